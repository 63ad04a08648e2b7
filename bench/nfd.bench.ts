// select on an image whose compatibilities are an NFD image-compatibility artifact (written by
// `attach --format nfd`), against the local CNCF registry (distribution 2.8: no referrers API,
// so the artifact is found through the referrers fallback tag). Counts the requests beyond the
// index: cold (a fresh cache directory each run, and a fresh client, so the referrers API probe is
// included) and warm (the same cache: the artifact comes from it, the listing is always live).
// NFD's own client (`nfd compat validate-node`) makes about 4 per validation and caches nothing.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCatalog } from "../src/compat/catalog.js";
import type { NodeProfile } from "../src/compat/node-profile.js";
import { openCache } from "../src/content/cache.js";
import { createStoreOpener } from "../src/content/open.js";
import { createRegistryStore } from "../src/content/registry/index.js";
import { attachNfd } from "../src/ops/attach/nfd.js";
import { selectImage } from "../src/ops/select.js";
import { indexBlob, pushGraph, variantImage } from "../test/ops/select-support.js";
import { startRegistry } from "../test/support/registry.js";
import { median, type Measurement } from "./harness.js";

const RUNS = 10;

export async function runAsync(): Promise<Measurement[]> {
  const registry = await startRegistry();
  const work = mkdtempSync(join(tmpdir(), "ocicompat-bench-nfd-"));
  const catalog = createCatalog();
  const profile: NodeProfile = {
    schemaVersion: 1,
    name: "bench",
    platform: { os: "linux", architecture: "amd64" },
    labels: {},
    nfd: {
      flags: { "kernel.loadedmodule": { elements: { "vfio-pci": {} } } },
      attributes: { "cpu.model": { elements: { vendor_id: "Intel" } } },
      instances: {
        "pci.device": { elements: [{ attributes: { vendor: "0eee", class: "0200" } }] },
      },
    },
  };
  try {
    const image = variantImage("bench nfd", { os: "linux", architecture: "amd64" });
    const index = indexBlob([
      { descriptor: image.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
    ]);
    const store = createRegistryStore({ registry: registry.host, repository: "bench/nfd" });
    await pushGraph(store, [...image.blobs, index], index.desc, "v1");
    const spec = readFileSync("test/fixtures/interop/nfd-image-compatibility.yaml");
    await attachNfd(store, "v1", { specFor: () => spec, created: "2026-01-01T00:00:00Z" });
    await store.close();

    const once = async (cacheDir: string) => {
      const requests: string[] = [];
      const opener = createStoreOpener({
        cache: openCache({ dir: cacheDir }),
        onRequest: (method, url) => requests.push(`${method} ${new URL(url).pathname}`),
      });
      try {
        const t0 = performance.now();
        const s = await selectImage({
          reference: `${registry.host}/bench/nfd:v1`,
          opener,
          catalog,
          profile,
        });
        if (!s.compatible) throw new Error("the bench image should fit");
        // Beyond the tag and the index: what reading the NFD data cost.
        const beyond = requests.filter(
          (r) => !r.endsWith("/manifests/v1") && !r.endsWith(index.desc.digest),
        );
        return { ms: performance.now() - t0, beyond: beyond.length };
      } finally {
        await opener.close();
      }
    };
    const cold: number[] = [];
    let coldBeyond = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = await once(join(work, `cold-${i}`));
      cold.push(r.ms);
      coldBeyond = r.beyond;
    }
    const warmDir = join(work, "warm");
    await once(warmDir);
    const warm: number[] = [];
    let warmBeyond = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = await once(warmDir);
      warm.push(r.ms);
      warmBeyond = r.beyond;
    }
    return [
      {
        name: "select, NFD artifact, cold (fresh client)",
        runs: RUNS,
        medianMs: median(cold),
        figure: `${coldBeyond} requests beyond the index (referrers API probe + fallback tag + artifact)`,
      },
      {
        name: "select, NFD artifact, warm",
        runs: RUNS,
        medianMs: median(warm),
        figure: `${warmBeyond} requests beyond the index (the fallback tag; the probe's answer and the artifact from the cache)`,
      },
    ];
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
