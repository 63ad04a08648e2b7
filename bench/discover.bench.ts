// Node discovery: a full run against every probe, and a lazy run for one spec's labels (those of
// examples/compat-avx512.yaml), on this machine and on the Intel fixture tree. Discovery is
// asynchronous, so this suite exports runAsync() and times with its own loop; the numbers
// include the file system, so they vary with the page cache and are compared only as ratios.
import { readFileSync } from "node:fs";
import { createCatalog } from "../src/compat/catalog.js";
import { compileSets } from "../src/compat/compiled-set.js";
import { readSets } from "../src/compat/sets.js";
import { parseYaml } from "../src/compat/yaml.js";
import { discover, labelsNeededBy, type DiscoverOptions } from "../src/node/discover.js";
import type { Measurement } from "./harness.js";

const FIXTURE = "test/fixtures/hosts/intel-spr";
const SPEC = "examples/compat-avx512.yaml";

async function measureAsync(
  fn: () => Promise<unknown>,
  budgetMs = 1500,
  minRuns = 5,
): Promise<{ runs: number; medianMs: number }> {
  await fn(); // warm up the JIT and the page cache
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < budgetMs) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    if (times.length > 2000) break;
  }
  times.sort((a, b) => a - b);
  return { runs: times.length, medianMs: times[Math.floor(times.length / 2)] ?? 0 };
}

function specLabels(): Set<string> {
  const doc = parseYaml(readFileSync(SPEC, "utf8"), SPEC) as {
    compatibilities: Record<string, unknown>[];
  };
  return labelsNeededBy(compileSets(readSets(doc.compatibilities), createCatalog()).compiled);
}

async function case_(name: string, options: DiscoverOptions): Promise<Measurement> {
  let probes = 0;
  let labels = 0;
  const m = await measureAsync(async () => {
    const result = await discover(options);
    probes = result.probesRun.length;
    labels = Object.keys(result.profile.labels).length;
  });
  return { name, ...m, figure: `${probes} probes run, ${labels} labels` };
}

export async function runAsync(): Promise<Measurement[]> {
  const wanted = specLabels();
  const rows: Measurement[] = [];
  for (const [where, root] of [
    ["this host", "/"],
    ["intel fixture", FIXTURE],
  ] as const) {
    // No hooks or pack commands: they are the site's programs, not ocicompat's cost.
    rows.push(await case_(`discover full, ${where}`, { root, runCommands: false }));
    rows.push(
      await case_(`discover lazy (${wanted.size} labels of compat-avx512), ${where}`, {
        root,
        labels: wanted,
        runCommands: false,
      }),
    );
  }
  return rows;
}
