// A first `protect` of a wide index (issue #19): 150 entries whose compat manifests were attached
// without anchors (as a tool that pushes by digest leaves them), so protect writes a `.compat` tag
// and a referrers fallback index per entry, and with `--images` a keep tag per image. The built
// CLI against the real registry, behind the counting proxy and bench/latency-proxy.ts (0 and 20 ms
// of round trip). Each run protects a fresh repository, set up untimed through the library. Each
// step's writes go at once, so the time should grow with the round trip by windows and steps,
// not by entries.
import { createMemoryStore } from "../src/content/memory.js";
import { copyGraph } from "../src/content/copy.js";
import { createRegistryStore } from "../src/content/registry/index.js";
import { attach } from "../src/ops/attach.js";
import { pushAll } from "../test/content/layout-support.js";
import { startFaultProxy } from "../test/ops/copy-support.js";
import { startRegistry } from "../test/support/registry.js";
import { median, wallTime, type Measurement } from "./harness.js";
import { startLatencyProxy } from "./latency-proxy.js";
import { wideImage } from "./select-images.js";

const RUNS = Number(process.env["BENCH_PROTECT_RUNS"] ?? 3);
const ENTRIES = 150;
const ROUND_TRIPS_MS = [0, 20];

export async function run(): Promise<Measurement[]> {
  const registry = await startRegistry();
  const counter = await startFaultProxy(registry.host);
  // select's wide index, whose compat content the attach below replaces with one compat manifest
  // per entry.
  const wide = wideImage(ENTRIES);
  const memory = createMemoryStore();
  await pushAll(memory, wide.blobs);
  const index = wide.index.desc;
  const rows: Measurement[] = [];
  let fresh = 0;
  const unanchored = async (): Promise<string> => {
    const repository = `bench/protect-${fresh++}`;
    const store = createRegistryStore({ registry: registry.host, repository });
    try {
      await copyGraph(memory, store, index, { tag: "v1" });
      await attach(store, "v1", {
        sets: [{ "oci.cpu.features": "AVX2" }],
        all: true,
        anchor: "none",
        created: "2026-01-01T00:00:00Z",
      });
    } finally {
      await store.close();
    }
    return repository;
  };
  try {
    for (const rtt of ROUND_TRIPS_MS) {
      const relay = rtt > 0 ? await startLatencyProxy(counter.host, rtt / 2) : undefined;
      const host = relay?.host ?? counter.host;
      try {
        for (const extra of [[], ["--images"]]) {
          const ms: number[] = [];
          let requests = 0;
          for (let i = 0; i < RUNS + 1; i++) {
            const repository = await unanchored();
            counter.reset();
            const args = ["bin/ocicompat.js", "protect", `${host}/${repository}:v1`, ...extra];
            const took = await wallTime(process.execPath, args);
            if (i > 0) ms.push(took); // the first run fills the code cache
            requests = counter.seen.length;
          }
          rows.push({
            name: `${["first protect", ...extra].join(" ")}, ${ENTRIES} entries, ${rtt} ms round trip`,
            runs: ms.length,
            medianMs: median(ms),
            figure: `${requests} requests`,
          });
        }
      } finally {
        await relay?.close();
      }
    }
  } finally {
    await counter.close();
    await registry.stop();
  }
  return rows;
}
