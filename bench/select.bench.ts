// select against the local CNCF registry (started here): latency cold (a fresh cache directory
// every run: tag + index + compat manifest + its config + the J blob) vs warm (the same cache: the
// tag only), in process and as a spawned CLI; and throughput over 100 images (100 tags, each an
// index with its own compatibilities) with a warm cache. Medians; the registry is on loopback, so
// the figures are ocicompat's own cost plus a loopback round trip, not a WAN's.
//
// Then issue #19's paired cases: a warm `ocicompat select` of the demo (4 entries) and of a wide
// index (2,000 entries, bench/select-images.ts) as processes, their CPU time (user + system) above
// `node -e 0`'s, beside `skopeo inspect --raw` of the same tag (the nearest skopeo operation: it
// resolves the tag and reads the index), all run alternately; and the 4-entry select with
// --no-registries-conf, whose difference is what reading the machine's registries.conf costs.
// With INSTRUCTION_RUNS=N, also the instructions each Node.js case executes (valgrind's callgrind,
// medians of N): a figure that a busy machine hardly moves, unlike its times.
// Needs `npm run build` and skopeo.
import { spawnSync } from "node:child_process";
import type { Plugin } from "esbuild";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCatalog } from "../src/compat/catalog.js";
import type { NodeProfile } from "../src/compat/node-profile.js";
import { openCache } from "../src/content/cache.js";
import { createStoreOpener } from "../src/content/open.js";
import { createRegistryStore } from "../src/content/registry/index.js";
import { loadNodeProfile } from "../src/node/profile-file.js";
import { selectImage } from "../src/ops/select.js";
import {
  compatBlob,
  compatManifest,
  demoImage,
  indexBlob,
  pushGraph,
} from "../test/ops/select-support.js";
import { startRegistry } from "../test/support/registry.js";
import { median, type Measurement } from "./harness.js";
import {
  hasValgrind,
  instructionCount,
  medianOf,
  processCost,
  type ProcessCost,
} from "./child-cpu.js";
import { wideImage } from "./select-images.js";

const RUNS = 10;
const IMAGES = 100;
/** Entries of the wide index. */
const WIDE = 2000;
/** Alternating rounds of the paired process cases. */
const PAIRED_RUNS = 15;

export async function runAsync(): Promise<Measurement[]> {
  const registry = await startRegistry();
  const work = mkdtempSync(join(tmpdir(), "ocicompat-bench-select-"));
  const catalog = createCatalog();
  const profile: NodeProfile = await loadNodeProfile("examples/nodes/intel-spr.json", catalog);
  try {
    const demo = demoImage("bench");
    const store = createRegistryStore({ registry: registry.host, repository: "bench/app" });
    await pushGraph(store, demo.blobs, demo.index.desc, "demo");
    // 100 images sharing the demo's variants, each with its own compat manifest and J blob.
    for (let i = 0; i < IMAGES; i++) {
      const v3 = compatManifest([{ "oci.cpu.features": "AVX2", score: i }], {
        os: "linux",
        architecture: "amd64",
        variant: "v3",
      });
      const j = compatBlob([{ "oci.cpu.vendor": "GenuineIntel", "oci.os.glibc": `>=2.${i % 30}` }]);
      const index = indexBlob([
        {
          descriptor: demo.generic.manifest.desc,
          platform: { os: "linux", architecture: "amd64" },
        },
        {
          descriptor: demo.v3.manifest.desc,
          platform: {
            os: "linux",
            architecture: "amd64",
            variant: "v3",
            compatibilities: v3.descriptor,
          },
        },
        {
          descriptor: demo.avx512.manifest.desc,
          platform: { os: "linux", architecture: "amd64", variant: "v4", compat: j.descriptor },
        },
        { descriptor: demo.arm64.manifest.desc, platform: { os: "linux", architecture: "arm64" } },
      ]);
      await pushGraph(store, [...demo.blobs, ...v3.blobs, ...j.blobs, index], index.desc, `t${i}`);
    }
    await store.close();

    const ref = (tag: string) => `${registry.host}/bench/app:${tag}`;
    const selectOnce = async (reference: string, cacheDir: string) => {
      let requests = 0;
      const opener = createStoreOpener({
        cache: openCache({ dir: cacheDir }),
        onRequest: () => void requests++,
      });
      try {
        const t0 = performance.now();
        await selectImage({ reference, opener, catalog, profile });
        return { ms: performance.now() - t0, requests };
      } finally {
        await opener.close();
      }
    };

    const rows: Measurement[] = [];
    // Cold: a fresh cache directory each run.
    const cold: number[] = [];
    let coldRequests = 0;
    await selectOnce(ref("demo"), join(work, "warmup"));
    for (let i = 0; i < RUNS; i++) {
      const r = await selectOnce(ref("demo"), join(work, `cold-${i}`));
      cold.push(r.ms);
      coldRequests = r.requests;
    }
    rows.push({
      name: "select cold (in process)",
      runs: RUNS,
      medianMs: median(cold),
      figure: `${coldRequests} requests`,
    });
    // Warm: the same cache directory.
    const warmDir = join(work, "warm");
    await selectOnce(ref("demo"), warmDir);
    const warm: number[] = [];
    let warmRequests = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = await selectOnce(ref("demo"), warmDir);
      warm.push(r.ms);
      warmRequests = r.requests;
    }
    rows.push({
      name: "select warm (in process)",
      runs: RUNS,
      medianMs: median(warm),
      figure: `${warmRequests} request${warmRequests === 1 ? "" : "s"}, ${(median(cold) / median(warm)).toFixed(1)}x faster than cold`,
    });

    // The CLI as scripts run it: process start-up included.
    const cli = (cacheDir: string): number => {
      const t0 = performance.now();
      const r = spawnSync(
        process.execPath,
        ["bin/ocicompat.js", "select", ref("demo"), "--node", "examples/nodes/intel-spr.json"],
        { env: { ...process.env, OCICOMPAT_CACHE_DIR: cacheDir }, encoding: "utf8" },
      );
      if (r.status !== 0) throw new Error(`ocicompat select failed: ${r.stderr}`);
      return performance.now() - t0;
    };
    const cliCold: number[] = [];
    const cliWarm: number[] = [];
    const cliWarmDir = join(work, "cli-warm");
    cli(cliWarmDir);
    for (let i = 0; i < RUNS; i++) {
      cliCold.push(cli(join(work, `cli-cold-${i}`)));
      cliWarm.push(cli(cliWarmDir));
    }
    rows.push({
      name: "ocicompat select cold (CLI process)",
      runs: RUNS,
      medianMs: median(cliCold),
      figure: "includes node start-up",
    });
    rows.push({
      name: "ocicompat select warm (CLI process)",
      runs: RUNS,
      medianMs: median(cliWarm),
      figure: "includes node start-up",
    });

    // Throughput: 100 images, warm cache, one opener (one connection pool), in sequence and 8 at once.
    const manyDir = join(work, "many");
    const opener = createStoreOpener({ cache: openCache({ dir: manyDir }) });
    try {
      const tags = Array.from({ length: IMAGES }, (_, i) => ref(`t${i}`));
      for (const t of tags) await selectImage({ reference: t, opener, catalog, profile });
      const t0 = performance.now();
      for (const t of tags) await selectImage({ reference: t, opener, catalog, profile });
      const sequential = performance.now() - t0;
      rows.push({
        name: `select ${IMAGES} images warm, sequential`,
        runs: 1,
        medianMs: sequential / IMAGES,
        figure: `${((IMAGES * 1000) / sequential).toFixed(0)} images/s`,
      });
      const t1 = performance.now();
      const queue = [...tags];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
            await selectImage({ reference: t, opener, catalog, profile });
          }
        }),
      );
      const parallel = performance.now() - t1;
      rows.push({
        name: `select ${IMAGES} images warm, 8 at once`,
        runs: 1,
        medianMs: parallel / IMAGES,
        figure: `${((IMAGES * 1000) / parallel).toFixed(0)} images/s`,
      });
    } finally {
      await opener.close();
    }
    rows.push(...(await pairedWarmSelect(registry.host, join(work, "paired"))));
    return rows;
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Warm select of 4 and 2,000 entries as processes, next to node -e 0 and skopeo. */
async function pairedWarmSelect(host: string, cacheDir: string): Promise<Measurement[]> {
  const store = createRegistryStore({ registry: host, repository: "bench/paired" });
  const demo = demoImage("paired");
  await pushGraph(store, demo.blobs, demo.index.desc, "demo");
  const wide = wideImage(WIDE);
  await pushGraph(store, wide.blobs, wide.index.desc, "wide");
  await store.close();

  const env = { ...process.env, OCICOMPAT_CACHE_DIR: cacheDir };
  const node = "examples/nodes/intel-spr.json";
  // Under valgrind a command runs ~50x slower: the 2,000-entry select would pass the default 30 s.
  const counted = (args: string[]): string[] => [...args, "--timeout", "0"];
  const selectArgs = (tag: string, extra: string[] = []): string[] => [
    "bin/ocicompat.js",
    "select",
    `${host}/bench/paired:${tag}`,
    "--node",
    node,
    ...extra,
  ];
  type Run = () => ProcessCost;
  type Count = () => number | undefined;
  // Each ocicompat case is timed, and counted under valgrind with the same arguments.
  const select = (tag: string, extra: string[] = []): [Run, Count] => [
    () => processCost(process.execPath, selectArgs(tag, extra), { env }),
    () => instructionCount(process.execPath, counted(selectArgs(tag, extra)), { env }),
  ];
  const skopeo = (tag: string) => (): ProcessCost =>
    processCost("skopeo", [
      "inspect",
      "--raw",
      "--tls-verify=false",
      `docker://${host}/bench/paired:${tag}`,
    ]);
  const floors = await floorPrograms(host, cacheDir);
  const cases: [name: string, run: Run, count?: Count][] = [
    [
      "node -e 0",
      () => processCost(process.execPath, ["-e", "0"]),
      () => instructionCount(process.execPath, ["-e", "0"]),
    ],
    // The same requests, without ocicompat: through Node's own HTTP client, and through undici as
    // the CLI loads and caches it (bench/floors/). The 60 ms target is measured against these.
    ["floor: the select's requests with node:http", floors.http, floors.httpCount],
    ["floor: the select's requests with undici, code-cached", floors.undici, floors.undiciCount],
    ["ocicompat select, 4 entries", ...select("demo")],
    ["skopeo inspect --raw, 4 entries", skopeo("demo")],
    [`ocicompat select, ${WIDE} entries`, ...select("wide", ["--max-entries", String(WIDE)])],
    [`skopeo inspect --raw, ${WIDE} entries`, skopeo("wide")],
    // What reading the machine's registries.conf costs: the difference from the 4-entry case.
    [
      "ocicompat select --no-registries-conf, 4 entries",
      ...select("demo", ["--no-registries-conf"]),
    ],
  ];
  // The first runs fill the content cache and the code cache: what follows is warm.
  for (const [, run] of cases) run();
  const costs = cases.map(() => [] as ProcessCost[]);
  for (let i = 0; i < PAIRED_RUNS; i++) cases.forEach(([, run], c) => costs[c]!.push(run()));
  const wall = (c: number): number => medianOf(costs[c]!.map((x) => x.wallMs));
  const cpu = (c: number): number => medianOf(costs[c]!.map((x) => x.cpuMs));
  const floor = cpu(0);
  const counts = instructionCounts(cases.map(([, , count]) => count));
  const countFigure = (c: number): string => {
    const n = counts[c];
    if (n === undefined) return "";
    const above = c === 0 ? "" : ` (+${((n - counts[0]!) / 1e6).toFixed(0)} M above node -e 0)`;
    return `; ${(n / 1e6).toFixed(0)} M instructions${above}`;
  };
  return cases.map(([name], c) => {
    const next = cases[c + 1]?.[0] ?? "";
    const pair = name.startsWith("ocicompat") && next.startsWith("skopeo") ? c + 1 : undefined;
    const above =
      c === 0
        ? " (the floor)"
        : name.startsWith("ocicompat") || name.startsWith("floor")
          ? ` (${(cpu(c) - floor).toFixed(0)} ms above node -e 0)`
          : "";
    const ratio =
      pair === undefined ? "" : `; ${(wall(c) / wall(pair)).toFixed(2)}x skopeo's wall time`;
    return {
      name: `warm, as a process: ${name}`,
      runs: PAIRED_RUNS,
      medianMs: wall(c),
      figure: `CPU ${cpu(c).toFixed(0)} ms${above}${ratio}${countFigure(c)}`,
    };
  });
}

/**
 * The floor programs of bench/floors/, given the requests a warm `select` of the demo sends
 * (recorded in process, with the same warm cache): node:http as it is, undici bundled by esbuild
 * with the CLI's stand-ins (scripts/bundle-shims/plugin.mjs) and run through a code cache.
 */
async function floorPrograms(
  host: string,
  cacheDir: string,
): Promise<{
  http: () => ProcessCost;
  undici: () => ProcessCost;
  httpCount: () => number | undefined;
  undiciCount: () => number | undefined;
}> {
  const catalog = createCatalog();
  const profile = await loadNodeProfile("examples/nodes/intel-spr.json", catalog);
  const sent: [string, string][] = [];
  const opener = createStoreOpener({
    cache: openCache({ dir: cacheDir }),
    onRequest: (method, url) => void sent.push([method, url]),
  });
  try {
    const reference = `${host}/bench/paired:demo`;
    await selectImage({ reference, opener, catalog, profile });
    sent.length = 0;
    await selectImage({ reference, opener, catalog, profile });
  } finally {
    await opener.close();
  }
  const dir = join(cacheDir, "floors");
  mkdirSync(dir, { recursive: true });
  const bundle = join(dir, "undici-floor.cjs");
  const { build } = await import("esbuild");
  // @ts-expect-error: a plain JavaScript module of the build scripts, without declarations.
  const { lazyBuiltins } = (await import("../scripts/bundle-shims/plugin.mjs")) as {
    lazyBuiltins: Plugin;
  };
  await build({
    entryPoints: ["bench/floors/undici-floor.cjs"],
    outfile: bundle,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    minify: true,
    logLevel: "warning",
    plugins: [lazyBuiltins],
  });
  const env = { ...process.env, FLOOR_REQUESTS: JSON.stringify(sent) };
  const httpArgs = ["bench/floors/http-floor.cjs"];
  const undiciArgs = ["bench/floors/run-cached.cjs", bundle, join(dir, "undici-floor.code")];
  return {
    http: () => processCost(process.execPath, httpArgs, { env }),
    undici: () => processCost(process.execPath, undiciArgs, { env }),
    httpCount: () => instructionCount(process.execPath, httpArgs, { env }),
    undiciCount: () => instructionCount(process.execPath, undiciArgs, { env }),
  };
}

/**
 * With INSTRUCTION_RUNS=N (and valgrind installed), each countable case's instructions, the
 * median of N runs taken by turns: a figure the machine's load hardly moves (child-cpu.ts).
 * Off by default: each run is ~50x slower under valgrind.
 */
function instructionCounts(
  counters: readonly ((() => number | undefined) | undefined)[],
): (number | undefined)[] {
  const runs = Number(process.env["INSTRUCTION_RUNS"] ?? 0);
  if (!(runs > 0)) return counters.map(() => undefined);
  if (!hasValgrind()) {
    process.stderr.write("INSTRUCTION_RUNS is set, but valgrind is not installed: no counts\n");
    return counters.map(() => undefined);
  }
  const seen = counters.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    counters.forEach((count, c) => {
      const n = count?.();
      if (n !== undefined) seen[c]!.push(n);
    });
  }
  return seen.map((list) => (list.length === 0 ? undefined : medianOf(list)));
}
