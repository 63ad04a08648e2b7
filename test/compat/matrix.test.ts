import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createCatalog } from "../../src/compat/catalog.js";
import { compileSets } from "../../src/compat/compiled-set.js";
import { evaluateSets, prepareNode } from "../../src/compat/evaluate.js";
import {
  compatibilityMatrix,
  compatibilityMatrixPerGroup,
  factFingerprint,
} from "../../src/compat/matrix.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { readSets } from "../../src/compat/sets.js";

const catalog = createCatalog();

function node(name: string, labels: NodeProfile["labels"]): NodeProfile {
  return { schemaVersion: 1, name, platform: { os: "linux", architecture: "amd64" }, labels };
}

test("nodes with the same facts share a group, whatever their names and set order", () => {
  const a = node("a", { "oci.cpu.features": ["AVX2", "BMI2"], "oci.os.glibc": "2.35" });
  const b = node("b", { "oci.os.glibc": "2.35", "oci.cpu.features": ["BMI2", "AVX2"] });
  const c = node("c", { "oci.os.glibc": "2.36" });
  assert.equal(factFingerprint(a), factFingerprint(b));
  assert.notEqual(factFingerprint(a), factFingerprint(c));
  const m = compatibilityMatrix([], [a, b, c], catalog);
  assert.deepEqual(
    m.groups.map((g) => g.members),
    [[0, 1], [2]],
  );
});

test("every matrix cell agrees with a full evaluation of that image on that node", () => {
  const vendors = ["GenuineIntel", "AuthenticAMD"];
  const features = ["AVX2", "AVX512F", "BMI2", "FMA"];
  const nodeArb = fc.record({
    vendor: fc.constantFrom(...vendors),
    features: fc.subarray(features),
    glibc: fc.constantFrom("2.28", "2.31", "2.35", "2.39"),
  });
  const setArb = fc.record({
    "oci.cpu.vendor": fc.constantFrom(...vendors, "GenuineIntel|AuthenticAMD"),
    "oci.cpu.features": fc.subarray(features, { minLength: 1 }).map((f) => f.join(",")),
    "oci.os.glibc": fc.constantFrom(">=2.31", "<2.35", "[2.30, 2.36)", "2.3"),
  });
  fc.assert(
    fc.property(
      fc.array(fc.array(setArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
      fc.array(nodeArb, { minLength: 1, maxLength: 6 }),
      (images, facts) => {
        const nodes = facts.map((f, i) =>
          node(`n${i}`, {
            "oci.cpu.vendor": f.vendor,
            "oci.cpu.features": f.features,
            "oci.os.glibc": f.glibc,
          }),
        );
        const compiled = images.map((sets, i) => ({
          name: `img${i}`,
          sets: compileSets(readSets(sets), catalog).compiled,
        }));
        const m = compatibilityMatrix(compiled, nodes, catalog);
        compiled.forEach((image, ii) =>
          nodes.forEach((n, ni) => {
            assert.equal(
              m.compatible(ii, ni),
              evaluateSets(image.sets, prepareNode(n, catalog)).compatible,
            );
          }),
        );
      },
    ),
    { numRuns: 150 },
  );
});

test("the bitset matrix agrees with per-group evaluation across word boundaries, with globs, negations, tags and missing facts", () => {
  const features = ["AVX2", "AVX512F", "AVX512BW", "BMI2", "FMA", "AMXBF16"];
  const nodeArb = fc.record({
    features: fc.option(fc.subarray(features), { nil: undefined }),
    kernel: fc.option(fc.constantFrom("5.14.0-427.el9.x86_64", "5.15.0-91-generic", "6.8.0"), {
      nil: undefined,
    }),
    memory: fc.constantFrom(16 * 2 ** 30, 64 * 2 ** 30, 256 * 2 ** 30),
  });
  const item = fc.constantFrom("AVX2", "!AMXBF16", "AVX512*", "BMI2|FMA", "!AVX512BW", "amx*");
  const setArb = fc.record(
    {
      "oci.cpu.features": fc.array(item, { minLength: 1, maxLength: 3 }).map((i) => i.join(", ")),
      "oci.kernel.version": fc.constantFrom(">=5.15", "[5.14, 6.0)", "6"),
      // An alias of oci.kernel.version, and a label no node reports.
      "oci.kernel.versions": fc.constantFrom(">=5", "<6"),
      "oci.memory.total": fc.constantFrom(">=32Gi", "<100Gi"),
      "example.com/site": fc.constant("lab"),
      tags: fc.subarray(["gpu", "edge"]),
    },
    { requiredKeys: ["oci.cpu.features"] },
  );
  fc.assert(
    fc.property(
      fc.array(fc.array(setArb, { minLength: 0, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
      fc.array(nodeArb, { minLength: 30, maxLength: 70 }),
      fc.constantFrom([], ["gpu"]),
      (images, facts, tags) => {
        const nodes = facts.map((f, i) =>
          node(`n${i}`, {
            ...(f.features ? { "oci.cpu.features": f.features } : {}),
            ...(f.kernel ? { "oci.kernel.version": f.kernel } : {}),
            "oci.memory.total": f.memory,
          }),
        );
        const compiled = images.map((sets, i) => ({
          name: `img${i}`,
          sets: compileSets(readSets(sets), catalog).compiled,
        }));
        const bitsets = compatibilityMatrix(compiled, nodes, catalog, { tags });
        const reference = compatibilityMatrixPerGroup(compiled, nodes, catalog, { tags });
        assert.deepEqual([...bitsets.cells], [...reference.cells]);
      },
    ),
    { numRuns: 60 },
  );
});

test("an image with a set of no labels fits every group, and one with no sets fits none", () => {
  const nodes = Array.from({ length: 40 }, (_, i) => node(`n${i}`, { "oci.os.glibc": `2.${i}` }));
  const everywhere = { name: "any", sets: compileSets(readSets([{}]), catalog).compiled };
  const nowhere = { name: "none", sets: [] };
  const m = compatibilityMatrix([everywhere, nowhere], nodes, catalog);
  assert.equal(m.groups.length, 40);
  assert.deepEqual([...m.cells.slice(0, 40)], Array(40).fill(1));
  assert.deepEqual([...m.cells.slice(40)], Array(40).fill(0));
});
