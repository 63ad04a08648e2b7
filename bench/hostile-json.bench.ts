// Hostile JSON at the 4 MiB document limit, through parseIJson as every command reads a document:
// nesting written to make a parser build deep structures (chains of containers, chains of chains
// 255 deep, nesting after a first item), beside a document of as many small containers side by
// side, which every parser must build. Each case also runs at a tenth of its size: the cost should
// grow about tenfold ("x10 cost" near 10; a quadratic step shows ~100). CPU time of this process.
import { parseIJson } from "../src/oci/ijson.js";
import { median, type Measurement } from "./harness.js";

const LIMIT = 4 * 1024 * 1024 - 16;

/** Repeats `unit` to fill about `bytes`, inside `[` `]`. */
function filled(unit: string, bytes: number): string {
  return `[${Array(Math.max(1, Math.floor(bytes / (unit.length + 1))))
    .fill(unit)
    .join(",")}]`;
}

const CASES: [name: string, build: (bytes: number) => string][] = [
  ["one chain of [ (deep)", (b) => `${"[".repeat(b / 2)}${"]".repeat(b / 2)}`],
  ['one chain of {"a": (deep)', (b) => `${'{"a":'.repeat(b / 6)}1${"}".repeat(b / 6)}`],
  ["chains of [ 255 deep, side by side", (b) => filled(`${"[".repeat(255)}${"]".repeat(255)}`, b)],
  ["nesting after a first item ([0,[0,...)", (b) => `${"[0,".repeat(b / 4)}0${"]".repeat(b / 4)}`],
  ["small containers side by side ([],[],...)", (b) => filled("[]", b)],
];

function cpuMs(text: string): number {
  const bytes = Buffer.from(text);
  const t0 = process.cpuUsage();
  try {
    parseIJson(bytes);
  } catch {
    // too deep: the strict parser's error, which is the point
  }
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
}

export function run(): Measurement[] {
  return CASES.map(([name, build]) => {
    const tenth = build(Math.floor(LIMIT / 10));
    const whole = build(LIMIT);
    cpuMs(tenth); // warm up the JIT
    const small = median([0, 1, 2].map(() => cpuMs(tenth)));
    const full = median([0, 1, 2].map(() => cpuMs(whole)));
    return {
      name: `hostile JSON: ${name}`,
      runs: 3,
      medianMs: full,
      figure: `CPU ${full.toFixed(0)} ms for ${(whole.length / 1048576).toFixed(1)} MiB; x10 cost ${(full / small).toFixed(1)}`,
    };
  });
}
