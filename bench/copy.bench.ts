// Copy: ocicompat copy vs `skopeo copy --all` for a 4-platform image (3 layers x 16 MiB each) on the
// local CNCF registry, through a loopback proxy that counts requests. Three cases: registry ->
// registry into a new repository, the same copy again (a no-op), registry -> OCI layout. The
// no-op takes a few hundred milliseconds, mostly process start-up, so it runs NOOP_RUNS times,
// alternating the two tools, and reports medians; the other cases run once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistryStore } from "../src/content/registry/index.js";
import { MediaType } from "../src/oci/media-types.js";
import { copyImage } from "../src/ops/copy.js";
import { startFaultProxy, type FaultProxy } from "../test/ops/copy-support.js";
import { startRegistry } from "../test/support/registry.js";
import { median, wallTime, type Measurement } from "./harness.js";
import { jsonBlob, pushRandomManifest } from "./generated-content.js";

const PLATFORMS = ["amd64", "arm64", "ppc64le", "s390x"];
const LAYERS = 3;
const LAYER_BYTES = 16 * 1024 * 1024;
const NOOP_RUNS = 7;

interface Measured {
  ms: number;
  requests: number;
  uploads: number;
  runs: number;
}

async function measured(proxy: FaultProxy, cmd: string, args: string[]): Promise<Measured> {
  proxy.reset();
  const ms = await wallTime(cmd, args);
  const uploads = proxy.seen.filter(
    (s) => /^(PUT|PATCH)$/.test(s.method) && s.url.includes("/blobs/uploads/"),
  ).length;
  return { ms, requests: proxy.seen.length, uploads, runs: 1 };
}

/** Runs both tools `runs` times, alternating so that machine noise hits both alike. */
async function alternating(
  runs: number,
  ours: () => Promise<Measured>,
  theirs: () => Promise<Measured>,
): Promise<[Measured, Measured]> {
  const a: Measured[] = [];
  const b: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await ours());
    b.push(await theirs());
  }
  const summary = (xs: Measured[]): Measured => ({
    ms: median(xs.map((x) => x.ms)),
    requests: Math.max(...xs.map((x) => x.requests)),
    uploads: Math.max(...xs.map((x) => x.uploads)),
    runs,
  });
  return [summary(a), summary(b)];
}

export async function run(): Promise<Measurement[]> {
  const registry = await startRegistry();
  const proxy = await startFaultProxy(registry.host);
  const work = mkdtempSync(join(tmpdir(), "ocicompat-bench-copy-"));
  try {
    const store = createRegistryStore({ registry: registry.host, repository: "bench/src" });
    const entries = [];
    const layerSizes = Array<number>(LAYERS).fill(LAYER_BYTES);
    for (const [p, architecture] of PLATFORMS.entries()) {
      const manifest = await pushRandomManifest(store, 1 + p * LAYERS, layerSizes, architecture);
      entries.push({ ...manifest, platform: { architecture, os: "linux" } });
    }
    const index = jsonBlob(MediaType.ImageIndex, {
      schemaVersion: 2,
      mediaType: MediaType.ImageIndex,
      manifests: entries,
    });
    await store.push(index.desc, index.bytes);
    await store.tag(index.desc, "v1");
    await store.close();

    const src = `${proxy.host}/bench/src:v1`;
    const ocicompat = (dst: string) =>
      measured(proxy, process.execPath, ["bin/ocicompat.js", "copy", src, dst]);
    // Node's own start-up on this machine, for reading the no-op figures.
    const bare: number[] = [];
    for (let i = 0; i < NOOP_RUNS; i++) bare.push(await wallTime(process.execPath, ["-e", "0"]));
    const skopeo = (dst: string) =>
      measured(proxy, "skopeo", [
        "--insecure-policy",
        "copy",
        "--all",
        "-q",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        `docker://${src}`,
        dst,
      ]);

    const cases = [
      {
        name: "registry -> registry, new repo",
        ours: () => ocicompat(`${proxy.host}/bench/ocicompat:v1`),
        theirs: () => skopeo(`docker://${proxy.host}/bench/skopeo:v1`),
      },
      {
        name: "registry -> registry again (no-op)",
        runs: NOOP_RUNS,
        ours: () => ocicompat(`${proxy.host}/bench/ocicompat:v1`),
        theirs: () => skopeo(`docker://${proxy.host}/bench/skopeo:v1`),
      },
      {
        name: "registry -> oci layout",
        ours: () => ocicompat(`oci:${join(work, "ocicompat")}:v1`),
        theirs: () => skopeo(`oci:${join(work, "skopeo")}:v1`),
      },
    ];
    const manifests = PLATFORMS.length + 1;
    const rows: Measurement[] = [];
    for (const c of cases) {
      const [ours, theirs] = await alternating(
        "runs" in c ? c.runs : 1,
        () => c.ours(),
        () => c.theirs(),
      );
      const ratio = (ours.ms / theirs.ms).toFixed(2);
      rows.push(
        {
          name: `copy ${c.name}: ocicompat`,
          runs: ours.runs,
          medianMs: ours.ms,
          figure: `${ours.requests} requests (${(ours.requests / manifests).toFixed(1)}/manifest), ${ours.uploads} upload PUT/PATCH; time ratio ocicompat/skopeo ${ratio}`,
        },
        {
          name: `copy ${c.name}: skopeo --all`,
          runs: theirs.runs,
          medianMs: theirs.ms,
          figure: `${theirs.requests} requests (${(theirs.requests / manifests).toFixed(1)}/manifest), ${theirs.uploads} upload PUT/PATCH`,
        },
      );
    }
    rows.push({
      name: "node -e 0 (Node.js start-up alone)",
      runs: NOOP_RUNS,
      medianMs: median(bare),
      figure: "the floor under every ocicompat CLI figure",
    });
    // The no-op in-process: what the copy itself costs without the process around it.
    proxy.reset();
    const t0 = performance.now();
    const from = createRegistryStore({ registry: proxy.host, repository: "bench/src" });
    const to = createRegistryStore({ registry: proxy.host, repository: "bench/ocicompat" });
    await copyImage({ src: from, reference: "v1", dst: to, tag: "v1" });
    const inProcess = performance.now() - t0;
    await Promise.all([from.close(), to.close()]);
    rows.push({
      name: "copy registry -> registry again (no-op): ocicompat in-process",
      runs: 1,
      medianMs: inProcess,
      figure: `${proxy.seen.length} requests, no process start-up`,
    });
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
    await proxy.close();
    await registry.stop();
  }
}
