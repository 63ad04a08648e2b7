// Cross-repository mount (issue #19): an OCI layout copied into repository B of a registry that
// already holds its blobs in repository A, because an earlier copy put them there. ocicompat
// remembers where it saw blobs (blob-locations/) and mounts; skopeo 1.9 does the same with its
// blob info cache. Each tool gets a fresh memory per run that has seen A only through its own
// priming copy (untimed); then the copy into B is timed. A third row is ocicompat with
// --no-mount-memory: the upload it did before the memory existed. Runs alternate between the
// tools, and `sync` runs (untimed) before each timed copy. The layer is BENCH_MOUNT_MB MiB (default 256; the issue measured 1024).
//
// skopeo as root keeps its cache in /var/lib/containers/cache, with no flag to move it; each of
// its runs therefore gets a fresh directory bind-mounted there in a private mount namespace
// (`unshare -m`). Where that is not allowed, it uses the shared directory; the layers are new
// random bytes per run, so nothing in it is about them except what the priming copy recorded.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLayout } from "../src/content/layout.js";
import { startFaultProxy, type FaultProxy } from "../test/ops/copy-support.js";
import { startRegistry } from "../test/support/registry.js";
import { median, wallTime, type Measurement } from "./harness.js";
import { pushRandomImage } from "./generated-content.js";

const LAYER_BYTES = Number(process.env["BENCH_MOUNT_MB"] ?? 256) * 1024 * 1024;
const RUNS = Number(process.env["BENCH_MOUNT_RUNS"] ?? 3);
const SKOPEO_CACHE = "/var/lib/containers/cache";

/** A layout holding a one-layer image whose layer is new random bytes (`seed`). */
async function layoutImage(dir: string, seed: number): Promise<void> {
  await pushRandomImage(await openLayout(dir, { create: true }), seed, [LAYER_BYTES], "v1");
}

/**
 * Flushes the page cache's dirty pages (the layout and the registry's copy of the layer, hundreds
 * of MiB) before a timed run, so that their write-back does not land in whichever run is next.
 */
function settle(): void {
  spawnSync("sync");
}

interface Run {
  ms: number;
  requests: number;
  /** PUT/PATCH of blob bytes, and upload sessions opened without a mount. */
  uploads: number;
  mounts: number;
  mounted: number;
}

function counted(proxy: FaultProxy, ms: number): Run {
  const blobUploads = proxy.seen.filter((s) => s.url.includes("/blobs/uploads/"));
  return {
    ms,
    requests: proxy.seen.length,
    uploads: blobUploads.filter((s) => s.method === "PUT" || s.method === "PATCH").length,
    mounts: blobUploads.filter((s) => s.url.includes("mount=")).length,
    mounted: blobUploads.filter((s) => s.url.includes("mount=") && s.status === 201).length,
  };
}

function summary(name: string, runs: Run[], figure = ""): Measurement {
  const last = runs[runs.length - 1]!;
  return {
    name,
    runs: runs.length,
    medianMs: median(runs.map((r) => r.ms)),
    figure: `${last.requests} requests, ${last.uploads} upload PUT/PATCH, ${last.mounts} mount POSTs (${last.mounted} mounted)${figure}`,
  };
}

export async function run(): Promise<Measurement[]> {
  const registry = await startRegistry();
  const proxy = await startFaultProxy(registry.host);
  const work = mkdtempSync(join(tmpdir(), "ocicompat-bench-mount-"));
  const isolated =
    spawnSync("unshare", ["-m", "sh", "-c", `mount --bind /tmp ${SKOPEO_CACHE}`]).status === 0;
  const ours: Run[] = [];
  const before: Run[] = [];
  const theirs: Run[] = [];
  const bare: number[] = [];
  const version: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      // ocicompat, with its memory: prime repository A, then the timed copy into B.
      const ocicompat = async (memory: boolean, sink: Run[], tag: string) => {
        const layout = join(work, `ocicompat-${tag}-${i}`);
        await layoutImage(layout, 1000 * i + sink.length + (memory ? 1 : 500));
        const env = { ...process.env, OCICOMPAT_CACHE_DIR: join(work, `cache-${tag}-${i}`) };
        const flags = memory ? [] : ["--no-mount-memory"];
        const copy = (repo: string) =>
          wallTime(
            process.execPath,
            ["bin/ocicompat.js", "copy", ...flags, `oci:${layout}:v1`, `${proxy.host}/${repo}:v1`],
            env,
          );
        await copy(`bench/${tag}-a-${i}`);
        settle();
        proxy.reset();
        sink.push(counted(proxy, await copy(`bench/${tag}-b-${i}`)));
      };
      await ocicompat(true, ours, "ocicompat");

      // skopeo, with a fresh blob info cache that sees A only through its priming copy.
      const layout = join(work, `skopeo-${i}`);
      await layoutImage(layout, 1000 * i + 900);
      const cache = join(work, `skopeo-cache-${i}`);
      mkdirSync(cache, { recursive: true });
      const skopeo = (repo: string) => {
        const args = [
          "--insecure-policy",
          "copy",
          "-q",
          "--dest-tls-verify=false",
          `oci:${layout}:v1`,
          `docker://${proxy.host}/${repo}:v1`,
        ];
        if (!isolated) return wallTime("skopeo", args);
        const quoted = args.map((a) => `'${a}'`).join(" ");
        return wallTime("unshare", [
          "-m",
          "sh",
          "-c",
          `mount --bind '${cache}' ${SKOPEO_CACHE} && exec skopeo ${quoted}`,
        ]);
      };
      await skopeo(`bench/skopeo-a-${i}`);
      settle();
      proxy.reset();
      theirs.push(counted(proxy, await skopeo(`bench/skopeo-b-${i}`)));

      await ocicompat(false, before, "upload");
    }
    // Node's own start-up, and ocicompat's without any work, for reading the figures above.
    for (let i = 0; i < 5; i++) {
      bare.push(await wallTime(process.execPath, ["-e", "0"]));
      version.push(await wallTime(process.execPath, ["bin/ocicompat.js", "--version"]));
    }
  } finally {
    await proxy.close();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const size = `${LAYER_BYTES / 1024 / 1024} MiB layer`;
  const ratio = (a: Run[], b: Run[]) =>
    (median(a.map((r) => r.ms)) / median(b.map((r) => r.ms))).toFixed(2);
  return [
    summary(
      `copy cross-repository mount (${size}): ocicompat`,
      ours,
      `; time ratio ocicompat/skopeo ${ratio(ours, theirs)}`,
    ),
    summary(
      `copy cross-repository mount (${size}): skopeo`,
      theirs,
      isolated ? "; fresh blob info cache per run" : "; shared blob info cache (no unshare)",
    ),
    summary(
      `copy cross-repository mount (${size}): ocicompat --no-mount-memory (before)`,
      before,
      `; time ratio before/skopeo ${ratio(before, theirs)}`,
    ),
    {
      name: "node -e 0 (Node.js start-up alone)",
      runs: bare.length,
      medianMs: median(bare),
      figure: "",
    },
    {
      name: "ocicompat --version (start-up, no work)",
      runs: version.length,
      medianMs: median(version),
      figure: "",
    },
  ];
}
