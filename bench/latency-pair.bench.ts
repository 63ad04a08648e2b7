// A small copy against skopeo over links with latency (issue #19), the same copy again (a sync
// job's re-run, which finds everything in place), and a warm select beside
// skopeo reading the same tag's manifest (`inspect --raw`): on loopback, Node's start-up
// decides a small copy (docs/design.md, "Small copies and latency"); over a network, round trips
// do. Both registries serve HTTPS (a throwaway certificate both tools trust), so that neither
// tool pays for something the other skips (skopeo tries HTTPS first on a plain-HTTP registry),
// and sit behind a relay that delays every chunk by half the round-trip time (latency-proxy.ts).
// Each run copies into a registry started for it alone. Alternating, each tool first in every
// other round. Run `npm run build` first (the CLI bundle is what runs).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistryStore } from "../src/content/registry/index.js";
import { makeCertificate } from "../test/support/certificate.js";
import { startRegistry } from "../test/support/registry.js";
import { median, wallTime, type Measurement } from "./harness.js";
import { pushRandomImage } from "./generated-content.js";
import { demoImage, pushGraph } from "../test/ops/select-support.js";
import { startLatencyProxy, type LatencyProxy } from "./latency-proxy.js";

const RUNS = Number(process.env.LATENCY_RUNS ?? 7);
/** Round-trip times to add, in ms: loopback, a LAN, a region, across regions. */
const RTTS = [0, 2, 10, 20];

async function behind(host: string, rtt: number): Promise<LatencyProxy> {
  if (rtt === 0) return { host, close: async () => undefined };
  return startLatencyProxy(host, rtt / 2);
}

export async function run(): Promise<Measurement[]> {
  const work = mkdtempSync(join(tmpdir(), "ocicompat-bench-latency-"));
  const { cert, key } = makeCertificate(work);
  // skopeo reads CA certificates from *.crt files in a directory.
  const certDir = join(work, "certs");
  mkdirSync(certDir);
  copyFileSync(cert, join(certDir, "ca.crt"));
  const tls = { cert, key };
  const source = await startRegistry({ tls });
  try {
    const store = createRegistryStore({
      registry: source.host,
      repository: "bench/src",
      plainHttp: false,
      caFile: cert,
    });
    await pushRandomImage(store, 300, [2 * 1024 * 1024, 64 * 1024], "small");
    const demo = demoImage("latency");
    await pushGraph(store, demo.blobs, demo.index.desc, "demo");
    await store.close();

    const rows: Measurement[] = [];
    for (const rtt of RTTS) {
      const times = { ours: [] as number[], theirs: [] as number[] };
      const again = { ours: [] as number[], theirs: [] as number[] };
      const copy = (tool: "ours" | "theirs", from: string, to: string): Promise<number> =>
        tool === "ours"
          ? wallTime(process.execPath, [
              "bin/ocicompat.js",
              "copy",
              "--no-plain-http",
              "--ca-file",
              cert,
              "--no-mount-memory",
              from,
              to,
            ])
          : wallTime("skopeo", [
              "--insecure-policy",
              "copy",
              "-q",
              "--src-cert-dir",
              certDir,
              "--dest-cert-dir",
              certDir,
              `docker://${from}`,
              `docker://${to}`,
            ]);
      for (let i = 0; i < RUNS; i++) {
        const one = async (tool: "ours" | "theirs") => {
          const destination = await startRegistry({ tls });
          const [src, dst] = [await behind(source.host, rtt), await behind(destination.host, rtt)];
          try {
            const from = `${src.host}/bench/src:small`;
            const to = `${dst.host}/bench/small:v1`;
            times[tool].push(await copy(tool, from, to));
            // The same copy again, which finds everything in place: a sync job's re-run.
            again[tool].push(await copy(tool, from, to));
          } finally {
            await src.close();
            await dst.close();
            await destination.stop();
          }
        };
        const order: ("ours" | "theirs")[] = i % 2 === 0 ? ["ours", "theirs"] : ["theirs", "ours"];
        for (const tool of order) await one(tool);
      }
      for (const [what, runs] of [
        ["small image over TLS", times],
        ["the same copy again (nothing to send)", again],
      ] as const) {
        const [ours, theirs] = [median(runs.ours), median(runs.theirs)];
        rows.push(
          {
            name: `latency pair, RTT ${rtt} ms, ${what}: ocicompat`,
            runs: RUNS,
            medianMs: ours,
            figure: `time ocicompat/skopeo ${(ours / theirs).toFixed(2)}`,
          },
          {
            name: `latency pair, RTT ${rtt} ms, ${what}: skopeo`,
            runs: RUNS,
            medianMs: theirs,
            figure: "",
          },
        );
      }
    }
    rows.push(...(await warmSelects(source.host, cert, certDir, join(work, "cache"))));
    return rows;
  } finally {
    await source.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A warm select of the demo (4 entries; its compatibilities confirmed with a HEAD each) at each
 * round-trip time, beside skopeo reading the tag's manifest: one resolution, no compatibilities.
 */
async function warmSelects(
  host: string,
  cert: string,
  certDir: string,
  cacheDir: string,
): Promise<Measurement[]> {
  const env = { ...process.env, OCICOMPAT_CACHE_DIR: cacheDir };
  const rows: Measurement[] = [];
  for (const rtt of RTTS) {
    const link = await behind(host, rtt);
    try {
      const ref = `${link.host}/bench/src:demo`;
      const select = () =>
        wallTime(
          process.execPath,
          [
            "bin/ocicompat.js",
            "select",
            "--no-plain-http",
            "--ca-file",
            cert,
            ref,
            "--node",
            "examples/nodes/intel-spr.json",
          ],
          env,
        );
      const inspect = () =>
        wallTime("skopeo", ["inspect", "--raw", "--cert-dir", certDir, `docker://${ref}`]);
      await select(); // fills the cache: every later run is warm
      const times = { ours: [] as number[], theirs: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        times.ours.push(await select());
        times.theirs.push(await inspect());
      }
      rows.push(
        {
          name: `latency, RTT ${rtt} ms, warm select of 4 entries over TLS: ocicompat`,
          runs: RUNS,
          medianMs: median(times.ours),
          figure: `${(median(times.ours) / median(times.theirs)).toFixed(2)}x skopeo inspect --raw`,
        },
        {
          name: `latency, RTT ${rtt} ms, skopeo inspect --raw of the same tag`,
          runs: RUNS,
          medianMs: median(times.theirs),
          figure: "",
        },
      );
    } finally {
      await link.close();
    }
  }
  return rows;
}
