// CLI start-up: what a short `ocicompat` command costs as a process, next to Node.js's own start-up
// (`node -e 0`), the floor under every figure: wall time and CPU time (user + system, all threads).
// Each command runs RUNS times, interleaved with the others so machine noise hits all of them
// alike; medians are reported. Needs `npm run build`.
import { existsSync } from "node:fs";
import type { Measurement } from "./harness.js";
import { medianOf, processCost, type ProcessCost } from "./child-cpu.js";

const RUNS = 11;

const COMMANDS: [name: string, args: string[]][] = [
  ["node -e 0 (the floor)", ["-e", "0"]],
  ["ocicompat --version", ["bin/ocicompat.js", "--version"]],
  [
    "ocicompat validate examples/compat-v3.yaml",
    ["bin/ocicompat.js", "validate", "examples/compat-v3.yaml"],
  ],
  [
    "ocicompat check --spec --node (offline)",
    [
      "bin/ocicompat.js",
      "check",
      "--spec",
      "examples/compat-avx512.yaml",
      "--node",
      "examples/nodes/intel-spr.json",
    ],
  ],
  [
    "ocicompat check oci:examples/demo-layout:demo",
    ["bin/ocicompat.js", "check", "oci:examples/demo-layout:demo"],
  ],
  ["ocicompat copy --help (loads the registry stack)", ["bin/ocicompat.js", "copy", "--help"]],
];

function cost(args: string[]): ProcessCost {
  // check exits 1 when nothing fits this host; anything else means the command broke.
  return processCost(process.execPath, args, { ok: [0, 1] });
}

export function run(): Measurement[] {
  if (!existsSync("dist/cli/main.cjs")) throw new Error("run `npm run build` first");
  // The first run of each command fills the code cache (docs/design.md, "Start-up").
  for (const [, args] of COMMANDS) cost(args);
  const costs = COMMANDS.map(() => [] as ProcessCost[]);
  for (let i = 0; i < RUNS; i++) COMMANDS.forEach(([, args], c) => costs[c]!.push(cost(args)));
  const cpu = (c: number): number => medianOf(costs[c]!.map((x) => x.cpuMs));
  const floor = cpu(0);
  return COMMANDS.map(([name], c) => ({
    name: `start-up: ${name}`,
    runs: RUNS,
    medianMs: medianOf(costs[c]!.map((x) => x.wallMs)),
    figure:
      c === 0
        ? `CPU ${floor.toFixed(0)} ms: Node.js alone`
        : `CPU ${cpu(c).toFixed(0)} ms, ${(cpu(c) - floor).toFixed(0)} ms above the floor`,
  }));
}
