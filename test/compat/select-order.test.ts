// Property tests (issue #13): the order of an entry's sets, and the order of an index's entries,
// never change which requirement passes or which entry is chosen. Index order only breaks ties
// between entries whose architecture fallback, score and specificity are all equal.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { createCatalog } from "../../src/compat/catalog.js";
import { compileSets } from "../../src/compat/compiled-set.js";
import { prepareNode } from "../../src/compat/evaluate.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { selectEntries } from "../../src/compat/select.js";
import type { SelectionEntryInput } from "../../src/compat/select/input.js";
import type { EntryReport, SelectionResult } from "../../src/compat/select/report.js";
import { readSets } from "../../src/compat/sets.js";
import { MediaType } from "../../src/oci/media-types.js";

const catalog = createCatalog();

const NODE: NodeProfile = {
  schemaVersion: 1,
  name: "n",
  platform: { os: "linux", architecture: "amd64", variant: "v3", "os.features": ["f1", "f2"] },
  labels: {
    "oci.cpu.vendor": "GenuineIntel",
    "oci.cpu.features": ["AVX2", "BMI2", "FMA", "X86_64_V3"],
    "oci.os.glibc": "2.35",
    "oci.kernel.version": "5.15.0-91-generic",
  },
};

// Requirements that pass, fail, or are unknown on NODE.
const REQUIREMENTS: readonly [string, string][] = [
  ["oci.cpu.vendor", "GenuineIntel"],
  ["oci.cpu.vendor", "AuthenticAMD"],
  ["oci.cpu.features", "AVX2"],
  ["oci.cpu.features", "AVX512F"],
  ["oci.os.glibc", ">=2.31"],
  ["oci.os.glibc", ">=2.38"],
  ["oci.kernel.version", ">=5.10"],
  ["oci.pci.devices", "15b3.*"],
];

interface SetSpec {
  labels: Record<string, string>;
  score: number;
}

interface EntrySpec {
  os: string;
  architecture: string;
  variant?: string;
  features: string[];
  osFeatures: string[];
  sets: SetSpec[] | undefined;
}

const setSpec: fc.Arbitrary<SetSpec> = fc.record({
  labels: fc
    .uniqueArray(fc.constantFrom(...REQUIREMENTS), {
      maxLength: 4,
      selector: ([label]) => label,
    })
    .map((pairs) => Object.fromEntries(pairs)),
  score: fc.integer({ min: 0, max: 2 }),
});

const entrySpec: fc.Arbitrary<EntrySpec> = fc.record(
  {
    os: fc.constantFrom("linux", "linux", "linux", "windows"),
    architecture: fc.constantFrom("amd64", "amd64", "amd64", "386", "arm64"),
    variant: fc.constantFrom("v2", "v3", "v4"),
    features: fc.subarray(["avx2", "bmi2", "avx512f"]),
    osFeatures: fc.subarray(["f1", "f2", "f3"]),
    sets: fc.option(fc.array(setSpec, { minLength: 1, maxLength: 4 }), { nil: undefined }),
  },
  { requiredKeys: ["os", "architecture", "features", "osFeatures", "sets"] },
);

/** Each set carries its identity in `description`, so that results can be matched across orders. */
function toInput(spec: EntrySpec, id: number, setOrder: readonly number[]): SelectionEntryInput {
  const platform: SelectionEntryInput["platform"] = {
    os: spec.os,
    architecture: spec.architecture,
    ...(spec.variant === undefined ? {} : { variant: spec.variant }),
    ...(spec.features.length > 0 ? { features: spec.features } : {}),
    ...(spec.osFeatures.length > 0 ? { "os.features": spec.osFeatures } : {}),
  };
  const input: SelectionEntryInput = {
    descriptor: {
      mediaType: MediaType.ImageManifest,
      digest: `sha256:${id.toString(16).padStart(64, "0")}`,
      size: 100,
    },
    platform,
  };
  if (spec.sets !== undefined) {
    const sets = spec.sets;
    const raw = setOrder.map((i) => ({
      ...(sets[i] as SetSpec).labels,
      score: (sets[i] as SetSpec).score,
      description: `set-${i}`,
    }));
    const compiled = compileSets(readSets(raw), catalog);
    assert.equal(compiled.errors.length, 0);
    input.compat = {
      state: "ok",
      form: "manifest",
      descriptor: {
        mediaType: MediaType.ImageManifest,
        digest: `sha256:${"c".repeat(64)}`,
        size: 1,
      },
      sets: compiled.compiled,
    };
  }
  return input;
}

function select(inputs: SelectionEntryInput[]): SelectionResult {
  return selectEntries(inputs, { node: prepareNode(NODE, catalog), catalog });
}

/** What must not depend on order: per entry, its verdict, rank key and each set's verdict. */
function verdicts(r: SelectionResult): Map<string, unknown> {
  return new Map(
    r.entries.map((e) => [
      e.digest,
      {
        compatible: e.status === "chosen" || e.status === "compatible",
        excludedBy: e.excludedBy,
        key: rankKey(e),
        sets: Object.fromEntries(
          (e.compat?.result?.sets ?? []).map((s) => [
            s.description,
            [s.status, s.labels.map((l) => [l.label, l.status])],
          ]),
        ),
      },
    ]),
  );
}

function rankKey(e: EntryReport): string | undefined {
  if (e.score === undefined) return undefined;
  return JSON.stringify([e.native, e.score, e.specificity]);
}

/** The ranking as rank keys, and the digests sharing each key (ties, broken by index order). */
function rankingShape(r: SelectionResult): string[] {
  return r.ranking.map((i) => rankKey(r.entries[i] as EntryReport) ?? "");
}

const permutation = (n: number): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray(
    Array.from({ length: n }, (_, i) => i),
    { minLength: n, maxLength: n },
  );

const indexWithOrders = fc.array(entrySpec, { minLength: 1, maxLength: 6 }).chain((entries) =>
  fc.record({
    entries: fc.constant(entries),
    entryOrder: permutation(entries.length),
    setOrders: fc.tuple(...entries.map((e) => permutation(e.sets?.length ?? 0))),
  }),
);

describe("selection does not depend on order (property)", () => {
  test("reordering the sets of entries changes no verdict, no rank and not the chosen entry", () => {
    fc.assert(
      fc.property(indexWithOrders, ({ entries, setOrders }) => {
        const identity = entries.map((e) => (e.sets ?? []).map((_, i) => i));
        const before = select(entries.map((e, i) => toInput(e, i, identity[i] ?? [])));
        const after = select(entries.map((e, i) => toInput(e, i, setOrders[i] ?? [])));
        assert.deepEqual(verdicts(after), verdicts(before));
        assert.deepEqual(after.ranking, before.ranking);
        assert.equal(after.chosen?.digest, before.chosen?.digest);
      }),
      { numRuns: 400 },
    );
  });

  test("reordering the entries of an index changes no verdict; only ties follow the new index order", () => {
    fc.assert(
      fc.property(indexWithOrders, ({ entries, entryOrder, setOrders }) => {
        const inputs = entries.map((e, i) => toInput(e, i, setOrders[i] ?? []));
        const before = select(inputs);
        const after = select(entryOrder.map((i) => inputs[i] as SelectionEntryInput));
        assert.deepEqual(verdicts(after), verdicts(before));
        // The same keys in the same order; equal keys ordered by their new index positions.
        assert.deepEqual(rankingShape(after), rankingShape(before));
        const keys = rankingShape(after);
        for (let k = 1; k < keys.length; k++) {
          if (keys[k] === keys[k - 1]) {
            assert.ok((after.ranking[k] as number) > (after.ranking[k - 1] as number));
          }
        }
        // The chosen entry is the same one unless another entry ties with it.
        const top = keys[0];
        if (keys.filter((k) => k === top).length === 1) {
          assert.equal(after.chosen?.digest, before.chosen?.digest);
        }
        assert.equal(after.compatible, before.compatible);
      }),
      { numRuns: 400 },
    );
  });
});
