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

/**
 * The instructions a command executes, in all its threads, counted by valgrind's callgrind.
 * Unlike time, the count hardly moves with the machine's load: the same build, inputs and cache
 * repeat within ~2%, so changes of a few percent can be told apart on a busy machine. The
 * command runs ~50x slower under valgrind. Undefined when valgrind is not installed.
 */
export function instructionCount(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; ok?: readonly number[] } = {},
): number | undefined {
  if (!hasValgrind()) return undefined;
  const run = spawnSync(
    "valgrind",
    ["--tool=callgrind", "--callgrind-out-file=/dev/null", command, ...args],
    { encoding: "utf8", env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
  );
  if (!(options.ok ?? [0]).includes(run.status ?? -1)) {
    throw new Error(`valgrind ${command} ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  }
  const m = /Collected : (\d+)/.exec(run.stderr);
  if (!m) throw new Error(`cannot read callgrind's count: ${run.stderr.slice(-500)}`);
  return Number(m[1]);
}

let valgrindPresent: boolean | undefined;

export function hasValgrind(): boolean {
  valgrindPresent ??= spawnSync("valgrind", ["--version"]).status === 0;
  return valgrindPresent;
}
