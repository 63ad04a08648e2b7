import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { compileSets } from "../../src/compat/compiled-set.js";
import { anySetPasses, evaluateSets, prepareNode } from "../../src/compat/evaluate.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { readSets } from "../../src/compat/sets.js";

const catalog = createCatalog();

const node: NodeProfile = {
  schemaVersion: 1,
  name: "node-a",
  platform: { os: "linux", architecture: "amd64", variant: "v3" },
  labels: {
    "oci.cpu.vendor": "GenuineIntel",
    "oci.cpu.features": ["AVX2", "AVX512F", "X86_64_V3"],
    "oci.kernel.version": "5.15.0-91-generic",
    "oci.os.glibc": "2.35",
    "oci.memory.total": 68719476736,
    "oci.kernel.selinux": false,
  },
};

function evaluate(sets: Record<string, unknown>[], tags?: string[]) {
  const compiled = compileSets(readSets(sets), catalog, ["compatibilities"]);
  assert.deepEqual(compiled.errors, []);
  const prepared = prepareNode(node, catalog);
  const result = evaluateSets(compiled.compiled, prepared, tags ? { tags } : {});
  assert.equal(
    anySetPasses(compiled.compiled, prepared, tags ? { tags } : {}),
    result.compatible,
    "fast path agrees",
  );
  return result;
}

describe("evaluation", () => {
  test("a set passes when every label passes, and the entry is compatible", () => {
    const r = evaluate([
      {
        "oci.cpu.vendor": "GenuineIntel",
        "oci.os.glibc": ">=2.31, <=2.37",
        "oci.memory.total": ">=64Gi",
      },
    ]);
    assert.equal(r.compatible, true);
    assert.equal(r.bestSet, 0);
    assert.deepEqual(
      r.sets[0]?.labels.map((l) => l.status),
      ["pass", "pass", "pass"],
    );
  });

  test("one failing label fails the set and reports required and observed values", () => {
    const r = evaluate([{ "oci.cpu.features": "AVX512F, AVX512FP16" }]);
    assert.equal(r.compatible, false);
    const label = r.sets[0]?.labels[0];
    assert.equal(label?.status, "fail");
    assert.equal(label?.required, "AVX512F, AVX512FP16");
    assert.deepEqual(label?.observed, ["AVX2", "AVX512F", "X86_64_V3"]);
    assert.match(label?.reason ?? "", /AVX512FP16/);
  });

  test("a label the node has no fact for is unknown, reported apart from fail, and not passing", () => {
    const r = evaluate([{ "oci.pci.devices": "15b3.*", "oci.cpu.vendor": "GenuineIntel" }]);
    assert.equal(r.compatible, false);
    assert.equal(r.sets[0]?.status, "unknown");
    assert.equal(r.sets[0]?.labels[0]?.status, "unknown");
    assert.match(r.sets[0]?.labels[0]?.reason ?? "", /no fact for oci.pci.devices/);
  });

  test("fail outranks unknown in a set's status", () => {
    const r = evaluate([{ "oci.pci.devices": "15b3.*", "oci.cpu.vendor": "AuthenticAMD" }]);
    assert.equal(r.sets[0]?.status, "fail");
  });

  test("the entry is compatible if any set passes, and the best score wins", () => {
    const r = evaluate([
      { "oci.cpu.vendor": "AuthenticAMD", score: 50 },
      { "oci.cpu.vendor": "GenuineIntel", score: 5 },
      { "oci.kernel.version": ">=5.15", score: 7 },
    ]);
    assert.equal(r.compatible, true);
    assert.equal(r.bestSet, 2);
    assert.equal(r.score, 7);
  });

  test("scores are read from Proposal H's spellings too", () => {
    const r = evaluate([
      { "oci.cpu.vendor": "GenuineIntel", "compatibility-score": 3 },
      { "oci.kernel.version": "5.15", "oci.compatibility-score": 9 },
    ]);
    assert.equal(r.bestSet, 1);
    assert.equal(r.score, 9);
  });

  test("equal scores keep the first passing set", () => {
    const r = evaluate([{ "oci.cpu.vendor": "GenuineIntel" }, { "oci.kernel.version": "5.15" }]);
    assert.equal(r.bestSet, 0);
    assert.equal(r.score, 0);
  });

  test("at equal scores the passing set with more labels is the best, wherever it stands", () => {
    const strict = { "oci.cpu.vendor": "GenuineIntel", "oci.kernel.version": ">=5.10" };
    const loose = { "oci.cpu.vendor": "GenuineIntel" };
    for (const [order, best] of [
      [[strict, loose], 0],
      [[loose, strict], 1],
    ] as const) {
      const r = evaluate([...order]);
      assert.equal(r.bestSet, best);
      assert.equal(r.specificity, 2);
    }
  });

  test("tag filtering skips sets without a selected tag, and says why", () => {
    const sets = [
      { "oci.cpu.vendor": "GenuineIntel", tags: "intel" },
      { "oci.cpu.vendor": "AuthenticAMD", tags: ["amd"] },
    ];
    const amd = evaluate(sets, ["amd"]);
    assert.equal(amd.compatible, false);
    assert.equal(amd.sets[0]?.status, "skipped");
    assert.match(amd.sets[0]?.reason ?? "", /has tags intel; selected tags are amd/);
    assert.equal(evaluate(sets, ["intel", "other"]).compatible, true);
  });

  test("a label is found through its alias in the node profile and in the set", () => {
    const r = evaluate([{ "oci.kernel.versions": ">=5.15, <6" }]);
    assert.equal(r.compatible, true);
    assert.equal(r.sets[0]?.labels[0]?.label, "oci.kernel.versions");
  });

  test("a fact that cannot be read as the label's type is unknown, naming the value", () => {
    const weird: NodeProfile = { ...node, labels: { "oci.os.glibc": "musl" } };
    const compiled = compileSets(readSets([{ "oci.os.glibc": ">=2.31" }]), catalog);
    const r = evaluateSets(compiled.compiled, prepareNode(weird, catalog));
    assert.equal(r.sets[0]?.labels[0]?.status, "unknown");
    assert.match(r.sets[0]?.labels[0]?.reason ?? "", /"musl" cannot be read as a version/);
  });

  test("booleans and quantities compare against typed facts", () => {
    assert.equal(
      evaluate([{ "oci.kernel.selinux": "false", "oci.memory.total": "[32Gi, 128Gi)" }]).compatible,
      true,
    );
    assert.equal(evaluate([{ "oci.kernel.selinux": "true" }]).compatible, false);
  });
});

describe("compiling sets", () => {
  test("a value with bad syntax for its label's type is an error with the column", () => {
    const { errors } = compileSets(readSets([{ "oci.os.glibc": ">=2.31, =>2.37" }]), catalog, [
      "compatibilities",
    ]);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.path, '$.compatibilities[0]["oci.os.glibc"]');
    assert.equal(typeof errors[0]?.column, "number");
    assert.match(errors[0]?.message ?? "", /not a valid version value/);
  });

  test("an unknown label is a warning and is matched as a string", () => {
    const { compiled, warnings } = compileSets(
      readSets([{ "org.example.mpi": "openmpi|mpich" }]),
      catalog,
      ["compatibilities"],
    );
    assert.match(warnings[0]?.message ?? "", /unknown label "org.example.mpi"/);
    assert.equal(compiled[0]?.labels[0]?.type, "string");
  });

  test("a set that can never pass is a warning", () => {
    const { warnings } = compileSets(readSets([{ "oci.kernel.version": ">=5, <4" }]), catalog, [
      "compatibilities",
    ]);
    assert.ok(
      warnings.some((w) => w.path === "$.compatibilities[0]" && /can never pass/.test(w.message)),
      JSON.stringify(warnings),
    );
  });

  test("duplicate sets are a warning, even when spelled differently", () => {
    const { warnings } = compileSets(
      readSets([{ "oci.cpu.features": "AVX2,BMI2" }, { "oci.cpu.features": " AVX2 , BMI2 ," }]),
      catalog,
      ["compatibilities"],
    );
    assert.ok(
      warnings.some((w) => w.path === "$.compatibilities[1]" && /duplicates set 0/.test(w.message)),
      JSON.stringify(warnings),
    );
  });

  test("a stricter set with the same score is not called redundant: it can raise the entry's rank", () => {
    const { warnings } = compileSets(
      readSets([
        { "oci.cpu.vendor": "GenuineIntel", "oci.os.glibc": ">=2.31" },
        { "oci.cpu.vendor": "GenuineIntel" },
      ]),
      catalog,
      ["compatibilities"],
    );
    assert.deepEqual(warnings, []);
  });

  test("a stricter set with a higher score is not shadowed", () => {
    const { warnings } = compileSets(
      readSets([
        { "oci.cpu.vendor": "GenuineIntel", "oci.os.glibc": ">=2.31", score: 5 },
        { "oci.cpu.vendor": "GenuineIntel" },
      ]),
      catalog,
    );
    assert.deepEqual(warnings, []);
  });
});
