// The duplicate-set warning comes from one lookup per set, not from comparing every pair of sets
// (which took seconds on 10k sets). This checks it against the pairwise definition. A stricter set
// is never reported: it can raise its entry's rank (docs/design.md, "No shadowed set warning").
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { createCatalog } from "../../src/compat/catalog.js";
import { compileSets, type CompiledSet } from "../../src/compat/compiled-set.js";
import { readSets } from "../../src/compat/sets.js";
import { formatJsonPath } from "../../src/oci/json-path.js";

const catalog = createCatalog();

/** The pairwise definition: each set against the first earlier set it duplicates. */
function pairwise(compiled: readonly CompiledSet[]): string[] {
  const sig = (c: CompiledSet) => new Map(c.labels.map((l) => [l.canonical, l.matcher.print()]));
  const subset = (a: Map<string, string>, b: Map<string, string>) =>
    [...a].every(([k, v]) => b.get(k) === v);
  const group = (c: CompiledSet) => `${c.set.score}|${[...c.set.tags].sort().join(",")}`;
  const out: string[] = [];
  compiled.forEach((later, j) => {
    for (let i = 0; i < j; i++) {
      const earlier = compiled[i] as CompiledSet;
      if (group(earlier) !== group(later)) continue;
      const a = sig(earlier);
      const b = sig(later);
      if (a.size === b.size && subset(a, b)) {
        out.push(`${formatJsonPath([later.set.index])} duplicates set ${earlier.set.index}`);
        return;
      }
    }
  });
  return out;
}

const LABELS: Record<string, string[]> = {
  "oci.cpu.vendor": ["GenuineIntel", "AuthenticAMD"],
  "oci.os.glibc": [">=2.31", ">=2.35"],
  "oci.pci.devices": ["15b3.101b", "10de.*"],
  "oci.kernel.modules": ["nvidia"],
};

const arbSet = fc.record({
  labels: fc.subarray(Object.keys(LABELS), { minLength: 1 }),
  pick: fc.nat(),
  score: fc.constantFrom(0, 1),
  tags: fc.constantFrom([], ["gpu"]),
});

describe("redundancy warnings", () => {
  test("agree with comparing every pair of sets", () => {
    fc.assert(
      fc.property(fc.array(arbSet, { maxLength: 12 }), (specs) => {
        const raw = specs.map((s) => {
          const set: Record<string, unknown> = { score: s.score, tags: s.tags };
          s.labels.forEach((label, k) => {
            const values = LABELS[label] as string[];
            set[label] = values[(s.pick >> k) % values.length] as string;
          });
          return set;
        });
        const { compiled, warnings } = compileSets(readSets(raw as never), catalog);
        const found = warnings
          .filter((w) => /duplicates|shadowed/.test(w.message))
          .map((w) => `${w.path} ${w.message.replace(/:.*$/, "")}`);
        assert.deepEqual(found, pairwise(compiled));
      }),
      { numRuns: 300 },
    );
  });

  test("10k distinct sets are checked by lookups: a duplicate at the end is still found", () => {
    const raw = Array.from({ length: 10_000 }, (_, i) => ({
      "oci.pci.devices": `10de.${i.toString(16).padStart(4, "0")}`,
    }));
    raw.push({ "oci.pci.devices": "10de.0007" });
    const { warnings } = compileSets(readSets(raw), catalog);
    assert.deepEqual(
      warnings.map((w) => `${w.path}: ${w.message}`),
      ["$[10000]: duplicates set 7"],
    );
  });
});
