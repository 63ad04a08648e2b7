// CLI start-up: what a short `ocicompat` command costs as a process, next to Node.js's own start-up
// (`node -e 0`), the floor under every figure. Each command runs RUNS times, interleaved with the
// others so machine noise hits all of them alike; medians are reported. Needs `npm run build`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { median, type Measurement } from "./harness.js";

const RUNS = 9;

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

function timed(args: string[]): number {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: "ignore" });
  const ms = performance.now() - t0;
  // check exits 1 when nothing fits this host; anything else means the command broke.
  if (run.status !== 0 && run.status !== 1)
    throw new Error(`${args.join(" ")} exited ${run.status}`);
  return ms;
}

export function run(): Measurement[] {
  if (!existsSync("dist/cli/main.js")) throw new Error("run `npm run build` first");
  const times = COMMANDS.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) COMMANDS.forEach(([, args], c) => times[c]!.push(timed(args)));
  const floor = median(times[0]!);
  return COMMANDS.map(([name], c) => {
    const ms = median(times[c]!);
    return {
      name: `start-up: ${name}`,
      runs: RUNS,
      medianMs: ms,
      figure: c === 0 ? "Node.js alone" : `${(ms - floor).toFixed(0)} ms above the floor`,
    };
  });
}
