// What a command costs as a process: wall time and the user + system CPU time of the process
// (all its threads), measured by bash's `times`, which reports the children it waited for to the
// millisecond. Node 20 gives no child's resource usage itself.
import { spawnSync } from "node:child_process";

export interface ProcessCost {
  wallMs: number;
  cpuMs: number;
}

const TIMES = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/;

/** Runs `command` with `args` (output discarded); throws unless it exits with one of `ok`. */
export function processCost(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; ok?: readonly number[] } = {},
): ProcessCost {
  const script = '"$@" >/dev/null; rc=$?; times; exit $rc';
  const t0 = performance.now();
  const run = spawnSync("bash", ["-c", script, "bash", command, ...args], {
    encoding: "utf8",
    env: options.env ?? process.env,
  });
  const wallMs = performance.now() - t0;
  if (!(options.ok ?? [0]).includes(run.status ?? -1)) {
    throw new Error(`${command} ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  }
  // `times` prints the shell's own times, then its children's: the second line is the command.
  const m = TIMES.exec(run.stdout.trim());
  if (!m) throw new Error(`cannot read \`times\` output: ${run.stdout}`);
  const seconds = (min: string, sec: string): number => Number(min) * 60 + Number(sec);
  const cpuMs = (seconds(m[1]!, m[2]!) + seconds(m[3]!, m[4]!)) * 1000;
  return { wallMs, cpuMs };
}

export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
