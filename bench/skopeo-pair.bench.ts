// Paired copies against skopeo (issue #19): the built CLI and `skopeo copy` move the same images
// on one local CNCF registry, alternately, PAIR_RUNS times per case; the table gives medians, the
// ratio ocicompat/skopeo and both tools' peak RSS (from /usr/bin/time), and both again above each
// tool's own idle run (ocicompat's `copy --help`, `skopeo --version`). Peak RSS counts the pages
// of the executable too, most of Node.js's; the private memory beside it is each tool's own
// (bench/proc-memory.ts). No proxy sits between the tools and the registry: a proxy in this
// process would be the bottleneck of both. Cases:
// - OCI layout -> registry, one 200 MiB layer, and a multi-layer image (12 layers of 1-24 MiB);
// - a small single-platform image registry -> registry, start-up dominated, beside `node -e 0`;
// - registry -> oci-archive and registry -> OCI layout, a 256 MiB layer.
// Every run writes to a fresh directory or file, or to a registry started for that run alone:
// skopeo remembers where it saw blobs (its blob info cache) and would mount them from an earlier
// run's repository on the same registry instead of uploading them, which is the mount case, not
// this one.
// Run `npm run build` first (the CLI bundle is what runs).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLayout } from "../src/content/layout.js";
import { createRegistryStore } from "../src/content/registry/index.js";
import { startRegistry } from "../test/support/registry.js";
import { median, type Measurement } from "./harness.js";
import { pushRandomImage } from "./generated-content.js";
import { sampleMemory, type MemorySample } from "./proc-memory.js";

const MiB = 1024 * 1024;
const PAIR_RUNS = Number(process.env.PAIR_RUNS ?? 3);
const SMALL_RUNS = Number(process.env.SMALL_RUNS ?? 7);
const TIME = "/usr/bin/time";

interface Run {
  ms: number;
  rssKiB: number;
  /** Private memory (RssAnon) and mapped files (RssFile) at their peaks, sampled. */
  memory: MemorySample;
}

/**
 * Runs a command under /usr/bin/time; resolves with its wall time, peak RSS, and the peaks of
 * its private memory and mapped files (bench/proc-memory.ts).
 */
function timed(cmd: string, args: string[], rssFile: string): Promise<Run> {
  // Each run starts on a quiet disk: what the previous run wrote without fsync, and what it
  // deleted, would otherwise be flushed during this one, whose own fsyncs would wait for it
  // (docs/design.md, "The working copy is not fsynced"). Outside the timing.
  spawnSync("sync");
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(TIME, ["-f", "%M", "-o", rssFile, cmd, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const sampling = child.pid === undefined ? undefined : sampleMemory(child.pid);
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => {
      const ms = performance.now() - t0;
      const memory = sampling?.stop() ?? { anonKiB: 0, fileKiB: 0 };
      if (status !== 0) {
        reject(new Error(`${cmd} ${args.join(" ")} failed (${status}): ${err}`));
        return;
      }
      const lines = readFileSync(rssFile, "utf8").trim().split("\n");
      resolve({ ms, rssKiB: Number(lines[lines.length - 1]), memory });
    });
  });
}

/** The peaks of private memory and of mapped files over `runs`, MiB. */
function privateMiB(runs: readonly Run[]): { anon: number; file: number } {
  return {
    anon: Math.max(...runs.map((r) => r.memory.anonKiB)) / 1024,
    file: Math.max(...runs.map((r) => r.memory.fileKiB)) / 1024,
  };
}

/**
 * Private memory and mapped files, as sampled. A run shorter than a few samples may end before
 * its peak is read (an idle run takes 20-120 ms), so its figures are lower bounds; a system
 * without /proc/PID/task/PID/children gives no samples at all.
 */
function sampled(memory: { anon: number; file: number }, short = false): string {
  if (memory.anon === 0) return "private memory not sampled";
  const atLeast = short ? "at least " : "";
  return `private memory ${atLeast}${memory.anon.toFixed(0)} MiB, mapped files ${atLeast}${memory.file.toFixed(0)} MiB`;
}

/** ocicompat's private memory against skopeo's, or why there is no ratio. */
function privateRatio(ours: { anon: number; file: number }, theirs: { anon: number }): string {
  if (ours.anon === 0 || theirs.anon === 0) return "private memory not sampled";
  return `private memory ${ours.anon.toFixed(0)} MiB (${(ours.anon / theirs.anon).toFixed(2)}x skopeo's), mapped files ${ours.file.toFixed(0)} MiB`;
}

interface PairCase {
  name: string;
  runs: number;
  /** Each run writes to a registry started for it alone, at `dst`. */
  freshRegistry?: boolean;
  /** The source and destination of run `i`, for each tool. */
  ours: (i: number, dst: string) => [string, string];
  theirs: (i: number, dst: string) => [string, string];
  /** Removes what run `i` wrote, so disk use stays bounded. */
  cleanup?: (i: number) => void;
}

/** Runs `job` with the destination registry host: one started for it alone when the case asks. */
async function withDestination(
  c: PairCase,
  job: (dst: string) => Promise<unknown>,
  shared: string,
): Promise<void> {
  if (!c.freshRegistry) {
    await job(shared);
    return;
  }
  const fresh = await startRegistry();
  try {
    await job(fresh.host);
  } finally {
    await fresh.stop();
  }
}

export async function run(): Promise<Measurement[]> {
  const registry = await startRegistry();
  const work = mkdtempSync(join(tmpdir(), "ocicompat-bench-pair-"));
  const rssFile = join(work, "rss");
  const host = registry.host;
  try {
    const layoutDir = join(work, "source-layout");
    const layout = await openLayout(layoutDir, { create: true });
    await pushRandomImage(layout, 1, [200 * MiB], "big");
    const multi = [24, 1, 16, 2, 8, 20, 4, 12, 1, 18, 6, 10].map((m) => m * MiB);
    await pushRandomImage(layout, 100, multi, "multi");
    const src = createRegistryStore({ registry: host, repository: "bench/src" });
    await pushRandomImage(src, 200, [256 * MiB], "big");
    await pushRandomImage(src, 300, [2 * MiB, 64 * 1024], "small");
    await src.close();

    const skopeo = (from: string, to: string) => [
      "--insecure-policy",
      "copy",
      "-q",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      from,
      to,
    ];
    const out = (tool: string, kind: string, i: number) => join(work, `${tool}-${kind}-${i}`);
    const cases: PairCase[] = [
      {
        name: "OCI layout -> registry, one 200 MiB layer",
        runs: PAIR_RUNS,
        freshRegistry: true,
        ours: (_, dst) => [`oci:${layoutDir}:big`, `${dst}/bench/big:v1`],
        theirs: (_, dst) => [`oci:${layoutDir}:big`, `docker://${dst}/bench/big:v1`],
      },
      {
        name: "OCI layout -> registry, 12 layers (150 MiB)",
        runs: PAIR_RUNS,
        freshRegistry: true,
        ours: (_, dst) => [`oci:${layoutDir}:multi`, `${dst}/bench/multi:v1`],
        theirs: (_, dst) => [`oci:${layoutDir}:multi`, `docker://${dst}/bench/multi:v1`],
      },
      {
        name: "registry -> registry, small single-platform image",
        runs: SMALL_RUNS,
        freshRegistry: true,
        ours: (_, dst) => [`${host}/bench/src:small`, `${dst}/bench/small:v1`],
        theirs: (_, dst) => [`docker://${host}/bench/src:small`, `docker://${dst}/bench/small:v1`],
      },
      {
        name: "registry -> oci-archive, one 256 MiB layer",
        runs: PAIR_RUNS,
        ours: (i) => [`${host}/bench/src:big`, `oci-archive:${out("ours", "archive", i)}:v1`],
        theirs: (i) => [
          `docker://${host}/bench/src:big`,
          `oci-archive:${out("theirs", "archive", i)}:v1`,
        ],
        cleanup: (i) => {
          rmSync(out("ours", "archive", i), { force: true });
          rmSync(out("theirs", "archive", i), { force: true });
        },
      },
      {
        name: "registry -> OCI layout, one 256 MiB layer",
        runs: PAIR_RUNS,
        ours: (i) => [`${host}/bench/src:big`, `oci:${out("ours", "layout", i)}:v1`],
        theirs: (i) => [`docker://${host}/bench/src:big`, `oci:${out("theirs", "layout", i)}:v1`],
        cleanup: (i) => {
          rmSync(out("ours", "layout", i), { recursive: true, force: true });
          rmSync(out("theirs", "layout", i), { recursive: true, force: true });
        },
      },
    ];

    // What each tool costs before it moves a byte: ocicompat with its registry stack loaded
    // (`copy --help`), skopeo printing its version, and Node.js alone. The "above idle" figures
    // compare what each tool adds to its own floor (docs/design.md, "Speed and fit").
    const idle = { ours: [] as Run[], theirs: [] as Run[], node: [] as Run[] };
    for (let i = 0; i < SMALL_RUNS; i++) {
      idle.ours.push(
        await timed(process.execPath, ["bin/ocicompat.js", "copy", "--help"], rssFile),
      );
      idle.theirs.push(await timed("skopeo", ["--version"], rssFile));
      idle.node.push(await timed(process.execPath, ["-e", "0"], rssFile));
    }
    const floor = (runs: Run[]) => ({
      ms: median(runs.map((r) => r.ms)),
      rss: Math.max(...runs.map((r) => r.rssKiB)) / 1024,
      ...privateMiB(runs),
    });
    const [idleOurs, idleTheirs, idleNode] = [
      floor(idle.ours),
      floor(idle.theirs),
      floor(idle.node),
    ];

    const rows: Measurement[] = [];
    for (const c of cases) {
      const ours: Run[] = [];
      const theirs: Run[] = [];
      for (let i = 0; i < c.runs; i++) {
        // Alternating, and each tool first in every other round, so noise and caches hit both.
        const one = () =>
          withDestination(
            c,
            async (dst) =>
              ours.push(
                await timed(
                  process.execPath,
                  ["bin/ocicompat.js", "copy", ...c.ours(i, dst)],
                  rssFile,
                ),
              ),
            host,
          );
        const other = () =>
          withDestination(
            c,
            async (dst) => theirs.push(await timed("skopeo", skopeo(...c.theirs(i, dst)), rssFile)),
            host,
          );
        if (i % 2 === 0) {
          await one();
          await other();
        } else {
          await other();
          await one();
        }
        c.cleanup?.(i);
      }
      const msOurs = median(ours.map((r) => r.ms));
      const msTheirs = median(theirs.map((r) => r.ms));
      const rssOurs = Math.max(...ours.map((r) => r.rssKiB)) / 1024;
      const rssTheirs = Math.max(...theirs.map((r) => r.rssKiB)) / 1024;
      const memOurs = privateMiB(ours);
      const memTheirs = privateMiB(theirs);
      // Each round's two runs meet the same machine (load, disk write-back): the ratio within a
      // round is steadier than the ratio of medians when a few runs are slow for both.
      const perRound = ours.map((r, i) => r.ms / theirs[i]!.ms);
      const spread = (values: number[], digits: number) =>
        `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
      rows.push(
        {
          name: `pair ${c.name}: ocicompat`,
          runs: c.runs,
          medianMs: msOurs,
          figure:
            `time ocicompat/skopeo ${(msOurs / msTheirs).toFixed(2)}, within a round ${median(perRound).toFixed(2)} (${spread(perRound, 2)}); ` +
            `runs ${spread(
              ours.map((r) => r.ms),
              0,
            )} ms; peak RSS ${rssOurs.toFixed(0)} MiB (${(rssOurs / rssTheirs).toFixed(2)}x skopeo's); ` +
            `above idle: time ${((msOurs - idleOurs.ms) / (msTheirs - idleTheirs.ms)).toFixed(2)}x, RSS ${((rssOurs - idleOurs.rss) / (rssTheirs - idleTheirs.rss)).toFixed(2)}x; ` +
            privateRatio(memOurs, memTheirs),
        },
        {
          name: `pair ${c.name}: skopeo`,
          runs: c.runs,
          medianMs: msTheirs,
          figure: `runs ${spread(
            theirs.map((r) => r.ms),
            0,
          )} ms; peak RSS ${rssTheirs.toFixed(0)} MiB; ${sampled(memTheirs)}`,
        },
      );
    }
    rows.push(
      {
        name: "pair idle: ocicompat copy --help (registry stack loaded)",
        runs: SMALL_RUNS,
        medianMs: idleOurs.ms,
        figure: `peak RSS ${idleOurs.rss.toFixed(0)} MiB: ocicompat's floor; ${sampled(idleOurs, true)}`,
      },
      {
        name: "pair idle: skopeo --version",
        runs: SMALL_RUNS,
        medianMs: idleTheirs.ms,
        figure: `peak RSS ${idleTheirs.rss.toFixed(0)} MiB: skopeo's floor; ${sampled(idleTheirs, true)}`,
      },
      {
        name: "pair idle: node -e 0 (Node.js start-up alone)",
        runs: SMALL_RUNS,
        medianMs: idleNode.ms,
        figure: `peak RSS ${idleNode.rss.toFixed(0)} MiB: under every ocicompat figure above; ${sampled(idleNode, true)}`,
      },
    );
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
    await registry.stop();
  }
}
