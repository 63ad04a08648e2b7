// attach, re-attach, verify --gc and protect --images of the demo's four-entry index over a round
// trip (issue #19): the built CLI against the real registry, behind bench/latency-proxy.ts (0 and
// 20 ms of round trip) and the counting proxy. Each run copies the demo's `plain` index into a fresh repository
// (untimed, straight to the registry), then times `attach --all`, a re-attach with other sets
// (which writes a keep tag per entry), `verify --gc`, and `protect --images` (which writes a keep
// tag per image). Each step's writes go at once, and reads go ahead, so the times should grow
// with the round trip by the number of steps, not of entries.
import { spawnSync } from "node:child_process";
import { startFaultProxy } from "../test/ops/copy-support.js";
import { startRegistry } from "../test/support/registry.js";
import { median, wallTime, type Measurement } from "./harness.js";
import { startLatencyProxy } from "./latency-proxy.js";

const RUNS = Number(process.env["BENCH_ATTACH_RUNS"] ?? 5);
const ROUND_TRIPS_MS = [0, 20];
const DEMO = "oci:examples/demo-layout:plain";

interface Timed {
  ms: number[];
  requests: number;
}

export async function run(): Promise<Measurement[]> {
  const registry = await startRegistry();
  const counter = await startFaultProxy(registry.host);
  const rows: Measurement[] = [];
  try {
    for (const rtt of ROUND_TRIPS_MS) {
      const relay = rtt > 0 ? await startLatencyProxy(counter.host, rtt / 2) : undefined;
      const host = relay?.host ?? counter.host;
      const steps: [string, string[]][] = [
        ["attach --all", ["attach", "-f", "examples/compat-v3.yaml", "--all"]],
        ["re-attach --all", ["attach", "-f", "examples/compat-avx512.yaml", "--all"]],
        ["verify --gc", ["verify", "--gc"]],
        ["protect --images", ["protect", "--images"]],
      ];
      const timed = new Map<string, Timed>(steps.map(([name]) => [name, { ms: [], requests: 0 }]));
      try {
        for (let i = 0; i < RUNS + 1; i++) {
          const repository = `bench/attach-${rtt}-${i}`;
          const copied = spawnSync(process.execPath, [
            "bin/ocicompat.js",
            "copy",
            DEMO,
            `${registry.host}/${repository}:v1`,
          ]);
          if (copied.status !== 0) throw new Error(`copy failed: ${copied.stderr.toString()}`);
          for (const [name, args] of steps) {
            const [command, ...rest] = args as [string, ...string[]];
            counter.reset();
            const ms = await wallTime(process.execPath, [
              "bin/ocicompat.js",
              command,
              `${host}/${repository}:v1`,
              ...rest,
            ]);
            const figures = timed.get(name) as Timed;
            if (i > 0) figures.ms.push(ms); // the first run fills the code cache
            figures.requests = counter.seen.length;
          }
        }
      } finally {
        await relay?.close();
      }
      for (const [name] of steps) {
        const figures = timed.get(name) as Timed;
        rows.push({
          name: `${name}, 4 entries, ${rtt} ms round trip`,
          runs: figures.ms.length,
          medianMs: median(figures.ms),
          figure: `${figures.requests} requests`,
        });
      }
    }
  } finally {
    await counter.close();
    await registry.stop();
  }
  return rows;
}
