// Regenerates the command and output blocks of docs/walkthrough.md from real runs, so that they
// cannot go stale: starts Debian's docker-registry (CNCF distribution) on a free port, runs each
// step's commands with bin/ocicompat.js (build first: `npm run build`) and skopeo, and splices
// the commands with their outputs between the step's markers:
//
//   <!-- walkthrough:NAME -->
//   ...generated...
//   <!-- /walkthrough:NAME -->
//
// Outputs are made comparable across runs: the registry's address reads 127.0.0.1:5000 and the
// work directory $W, and SOURCE_DATE_EPOCH fixes the `created` time attach writes, so every
// digest is the same on every run.
//
//   npx tsx scripts/gen-walkthrough.ts          rewrite docs/walkthrough.md
//   npx tsx scripts/gen-walkthrough.ts --check  exit 1, with the first difference, when it is stale
//   npx tsx scripts/gen-walkthrough.ts --out F  write the fresh walkthrough to F instead
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../test/support/registry.js";

const WALKTHROUGH = "docs/walkthrough.md";
/** The address the walkthrough's reader runs the registry on (its step 1). */
const DOC_HOST = "127.0.0.1:5000";
const SOURCE_DATE_EPOCH = "1796083200"; // 2026-12-01T00:00:00Z

interface Step {
  name: string;
  /** Shell commands as the reader types them (127.0.0.1:5000, $W). */
  commands: string[];
  /** Runs instead of the commands (what needs the generator's own registry process). */
  perform?: (registry: TestRegistry) => Promise<void>;
  /** Show only the commands, not their output. */
  quiet?: boolean;
}

const APP = `${DOC_HOST}/demo/app:v1`;
const CLI = "node bin/ocicompat.js";

const STEPS: Step[] = [
  {
    name: "push",
    commands: [
      `skopeo copy --all --dest-tls-verify=false oci:examples/demo-layout:plain docker://${APP}`,
    ],
    quiet: true,
  },
  { name: "inspect-pushed", commands: [`${CLI} inspect ${APP}`] },
  {
    name: "attach",
    commands: [
      `${CLI} attach ${APP} --file examples/compat-v3.yaml --platform linux/amd64/v3`,
      `${CLI} attach ${APP} --file examples/compat-avx512.yaml --platform linux/amd64/v4 --format blob`,
    ],
  },
  { name: "protect-images", commands: [`${CLI} protect ${APP} --images`] },
  {
    name: "select",
    commands: [
      `${CLI} select ${APP} --node examples/nodes/intel-spr.json`,
      `${CLI} select ${APP} --node examples/nodes/amd-genoa.json`,
      `${CLI} check ${APP} --node examples/nodes/amd-genoa.json`,
    ],
  },
  {
    name: "gc",
    commands: [
      "kill %1  # the registry started in step 1",
      "docker-registry garbage-collect --delete-untagged $W/config.yml",
      "docker-registry serve $W/config.yml &",
    ],
    perform: async (registry) => {
      await registry.garbageCollect({ deleteUntagged: true });
    },
    quiet: true,
  },
  {
    name: "after-gc",
    commands: [
      `${CLI} verify ${APP} --gc`,
      `${CLI} select ${APP} --node examples/nodes/intel-spr.json`,
    ],
  },
  {
    name: "update",
    commands: [
      `sed 's/<=2.37"/<=2.39"/' examples/compat-avx512.yaml > $W/compat-avx512.yaml`,
      `${CLI} attach ${APP} --file $W/compat-avx512.yaml --platform linux/amd64/v4 --format blob`,
      `${CLI} select ${APP} --node examples/nodes/amd-genoa.json`,
      `${CLI} inspect ${APP}`,
    ],
  },
];

interface Context {
  registry: TestRegistry;
  work: string;
}

function run(command: string, ctx: Context): string {
  const actual = command.replaceAll(DOC_HOST, ctx.registry.host);
  const result = spawnSync("bash", ["-c", `${actual} 2>&1`], {
    encoding: "utf8",
    env: {
      ...process.env,
      W: ctx.work,
      OCICOMPAT_CACHE_DIR: join(ctx.work, "cache"),
      OCICOMPAT_CONFIG_DIR: join(ctx.work, "config"),
      SOURCE_DATE_EPOCH,
      NO_COLOR: "1",
      COLUMNS: "100",
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  const output = result.stdout.replaceAll(ctx.registry.host, DOC_HOST).replaceAll(ctx.work, "$W");
  const status = result.status ?? 1;
  // A non-zero status is part of what the reader sees (check: 1 = not compatible); 2 is a failure.
  if (status >= 2) throw new Error(`${command}: exit ${status}\n${output}`);
  return status === 0 ? output : `${output}# exit status ${status}\n`;
}

async function render(step: Step, ctx: Context): Promise<string> {
  const lines: string[] = [];
  if (step.perform !== undefined) await step.perform(ctx.registry);
  for (const command of step.commands) {
    const output = step.perform !== undefined ? "" : run(command, ctx);
    lines.push(`$ ${command}`);
    if (!step.quiet && output !== "") lines.push(output.replace(/\n$/, ""));
  }
  return ["```console", ...lines, "```"].join("\n");
}

/** The walkthrough with every step's block replaced by a fresh run's. */
async function generate(text: string): Promise<string> {
  const registry = await startRegistry();
  const work = mkdtempSync(join(tmpdir(), "ocicompat-walkthrough-"));
  try {
    let out = text;
    for (const step of STEPS) {
      const open = `<!-- walkthrough:${step.name} -->`;
      const close = `<!-- /walkthrough:${step.name} -->`;
      const start = out.indexOf(open);
      const end = out.indexOf(close);
      if (start < 0 || end < start) throw new Error(`${WALKTHROUGH}: no ${open} ... ${close}`);
      const block = await render(step, { registry, work });
      out = `${out.slice(0, start + open.length)}\n\n${block}\n\n${out.slice(end)}`;
    }
    return out;
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function firstDifference(a: string, b: string): string {
  const x = a.split("\n");
  const y = b.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i])
      return `line ${i + 1}:\n  committed: ${x[i] ?? "(end)"}\n  generated: ${y[i] ?? "(end)"}`;
  }
  return "";
}

async function main(): Promise<void> {
  const committed = readFileSync(WALKTHROUGH, "utf8");
  const fresh = await generate(committed);
  const out = process.argv.indexOf("--out");
  if (out > 0) {
    const file = process.argv[out + 1];
    if (file === undefined) throw new Error("--out needs a file");
    writeFileSync(file, fresh);
    return;
  }
  if (process.argv.includes("--check")) {
    if (fresh === committed) return;
    process.stderr.write(
      `${WALKTHROUGH} is stale (npx tsx scripts/gen-walkthrough.ts regenerates it); ${firstDifference(committed, fresh)}\n`,
    );
    process.exitCode = 1;
    return;
  }
  writeFileSync(WALKTHROUGH, fresh);
}

await main();
