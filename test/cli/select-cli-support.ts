// Shared by the `ocicompat select` CLI test files: the example nodes, and the demo image on the
// real CNCF registry, reached through a loopback counting proxy so the requests of the whole CLI
// process can be counted. Each file starts its own (useDemoRegistry).
import { after, before } from "node:test";
import { tempDir } from "../content/layout-support.js";
import {
  demoImage,
  pushToRegistry,
  startCountingProxy,
  type CountingProxy,
} from "../ops/select-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

export const demo = demoImage("cli-select");
export const work = tempDir("ocicompat-cli-select-");
// Set in useDemoRegistry's before(); the test files read them through live ES module bindings.
export let registry: TestRegistry;
export let proxy: CountingProxy;
let cacheCount = 0;

export const INTEL = "examples/nodes/intel-spr.json";
export const AMD = "examples/nodes/amd-genoa.json";
export const OLD = "examples/nodes/old-xeon.json";

/** A fresh cache directory: the run is cold. */
export function freshCache(): Record<string, string> {
  return { OCICOMPAT_CACHE_DIR: `${work.path}/cache-${cacheCount++}` };
}

export function ref(repo = "demo/app", tag = "v1"): string {
  return `${proxy.host}/${repo}:${tag}`;
}

/**
 * Starts the registry and the proxy in front of it, with demo/app:v1 pushed, before the calling
 * file's tests; stops them and removes `work` after.
 */
export function useDemoRegistry(): void {
  before(async () => {
    registry = await startRegistry();
    proxy = await startCountingProxy(registry.host);
    await pushToRegistry(registry.host, "demo/app", demo.blobs, demo.index.desc, "v1");
  });

  after(async () => {
    await proxy.close();
    await registry.stop();
    work.remove();
  });
}
