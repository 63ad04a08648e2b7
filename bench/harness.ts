// A tiny benchmark harness: run a function repeatedly for a time budget and report the median
// time per run. Numbers on shared machines are noisy, so results are compared as ratios within
// one run, never asserted in tests.
import { spawn } from "node:child_process";
export interface Measurement {
  name: string;
  runs: number;
  medianMs: number;
  /** Free-form figure for the table: "182 MB/s", "5.3 M evals/s". */
  figure: string;
}

export function measure(
  fn: () => void,
  budgetMs = 2000,
  minRuns = 5,
): { runs: number; medianMs: number } {
  fn(); // warm up the JIT
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < budgetMs) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
    if (times.length > 10_000) break;
  }
  times.sort((a, b) => a - b);
  return { runs: times.length, medianMs: times[Math.floor(times.length / 2)] ?? 0 };
}

export function printTable(rows: readonly Measurement[]): void {
  const header = ["benchmark", "runs", "median ms", "figure"];
  const body = rows.map((r) => [r.name, String(r.runs), r.medianMs.toFixed(3), r.figure]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]): string =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of body) console.log(line(row));
}

/** The middle value (the upper middle of an even count); 0 for none. */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
}

/** One timed run, for jobs too long to repeat. */
export function once(fn: () => void): { runs: number; medianMs: number } {
  const t0 = performance.now();
  fn();
  return { runs: 1, medianMs: performance.now() - t0 };
}

/** A small deterministic PRNG so generated workloads are the same on every run. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs a command to completion, its stdout ignored; resolves with its wall time in ms. */
export function wallTime(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => {
      if (status === 0) resolve(performance.now() - t0);
      else reject(new Error(`${cmd} ${args.join(" ")} failed (${status}): ${err}`));
    });
  });
}
