// Reading NFD image-compatibility specs: what NFD would treat as a requirement is never dropped.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readNfdSpec } from "../../../src/compat/nfd/spec.js";

function specWith(rule: Record<string, unknown>): unknown {
  return { version: "v1alpha1", compatibilities: [{ rules: [{ name: "r", ...rule }] }] };
}

const AVX512 = { AVX512F: { op: "Exists" } };

describe("NFD spec field names", () => {
  test("a spec in NFD's spelling reads without errors", () => {
    const reading = readNfdSpec(
      specWith({ matchFeatures: [{ feature: "cpu.cpuid", matchExpressions: AVX512 }] }),
    );
    assert.deepEqual(reading.errors, []);
    assert.ok(reading.spec);
  });

  // Go's encoding/json, which NFD decodes specs with, matches field names without regard to case.
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "MatchExpressions in a term",
      { matchFeatures: [{ feature: "cpu.cpuid", MatchExpressions: AVX512 }] },
      "$.compatibilities[0].rules[0].matchFeatures[0].MatchExpressions",
    ],
    [
      "matchname in a term",
      { matchFeatures: [{ feature: "cpu.cpuid", matchname: { op: "In", value: ["AVX512F"] } }] },
      "$.compatibilities[0].rules[0].matchFeatures[0].matchname",
    ],
    [
      "MatchAny in a rule",
      { MatchAny: [{ matchFeatures: [{ feature: "cpu.cpuid", matchExpressions: AVX512 }] }] },
      "$.compatibilities[0].rules[0].MatchAny",
    ],
    [
      "Op in an expression",
      {
        matchFeatures: [{ feature: "cpu.cpuid", matchExpressions: { AVX512F: { Op: "Exists" } } }],
      },
      "$.compatibilities[0].rules[0].matchFeatures[0].matchExpressions.AVX512F.Op",
    ],
  ];
  for (const [name, rule, path] of cases) {
    test(`${name} is an error at ${path}, not a requirement silently dropped`, () => {
      const reading = readNfdSpec(specWith(rule));
      const hit = reading.errors.find((e) => e.path === path);
      assert.ok(hit, JSON.stringify(reading.errors));
      assert.match(hit.message, /regardless of case/);
    });
  }

  test("a typed comparison (type: version) is refused: as integers it would mean something else", () => {
    const reading = readNfdSpec(
      specWith({
        matchFeatures: [
          {
            feature: "kernel.version",
            matchExpressions: { full: { op: "Gt", value: ["5"], type: "version" } },
          },
        ],
      }),
    );
    assert.ok(
      reading.errors.some(
        (e) =>
          e.path === "$.compatibilities[0].rules[0].matchFeatures[0].matchExpressions.full.type",
      ),
      JSON.stringify(reading.errors),
    );
  });
});
