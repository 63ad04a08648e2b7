import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Fact, LabelType } from "../../../src/compat/label-types.js";
import { prepareFact } from "../../../src/compat/value/index.js";
import { compile, prepared } from "./util.js";

function reason(type: LabelType, value: string, fact: Fact): string {
  return compile(type, value).explain(prepared(type, fact)).reason;
}

describe("explanations say what is needed and what the node has", () => {
  test("version: the range and the node's version", () => {
    assert.equal(
      reason("version", ">=2.31, <=2.37", "2.35"),
      "needs >=2.31, <=2.37; node has 2.35",
    );
  });

  test("version: a failure names the constraint that failed", () => {
    assert.equal(
      reason("version", ">=2.31, <=2.37", "2.38"),
      "needs >=2.31, <=2.37; node has 2.38 (fails <=2.37; 2.37 means 2.37 ≤ v < 2.38-alpha)",
    );
  });

  test("version: a decorated kernel version shows how it was read", () => {
    assert.equal(
      reason("version", ">=6.1", "5.14.0-427.el9.x86_64"),
      "needs >=6.1; node has 5.14.0-427.el9.x86_64 (read as 5.14.0.427; fails >=6.1)",
    );
  });

  test("version: a pre-release node version shows how it was read", () => {
    assert.equal(
      reason("version", ">=6.9", "6.9.0-rc3-00012-gabcdef"),
      "needs >=6.9; node has 6.9.0-rc3-00012-gabcdef (read as 6.9-rc3.12; fails >=6.9)",
    );
  });

  test("version: where a short version's span decided, the explanation gives the span", () => {
    assert.equal(
      reason("version", ">=5, <=5.14", "5.15.0-91-generic"),
      "needs >=5, <=5.14; node has 5.15.0-91-generic (read as 5.15.0.91; fails <=5.14; 5.14 means 5.14 ≤ v < 5.15-alpha)",
    );
  });

  test("version: a lower bound needs no span note", () => {
    assert.equal(reason("version", ">=2.31", "2.30"), "needs >=2.31; node has 2.30 (fails >=2.31)");
  });

  test("version: an open interval end gives its span", () => {
    assert.equal(
      reason("version", "(5.15, 6)", "5.15.0-91-generic"),
      "needs (5.15, 6); node has 5.15.0-91-generic (read as 5.15.0.91; fails (5.15, 6); 5.15 means 5.15 ≤ v < 5.16-alpha)",
    );
  });

  test("version: with alternatives the failure says none held", () => {
    assert.equal(
      reason("version", ">=6.1 || 5.15", "5.10"),
      "needs >=6.1 || 5.15; node has 5.10 (no alternative holds)",
    );
  });

  test("set: missing items are listed after the node's set", () => {
    assert.equal(
      reason("set", "AVX512FP16", ["AVX2", "AVX512F"]),
      "needs AVX512FP16; node has AVX2, AVX512F (missing: AVX512FP16)",
    );
  });

  test("set: forbidden items the node has are listed", () => {
    assert.equal(
      reason("set", "AVX2, !HYPERVISOR|VMX*", ["AVX2", "hypervisor", "VMX_EPT"]),
      "needs AVX2, !HYPERVISOR|VMX*; node has AVX2, hypervisor, VMX_EPT (forbidden but present: hypervisor, VMX_EPT)",
    );
  });

  test("set: a long node set is cut after 12 names with a count of the rest", () => {
    const names = Array.from({ length: 40 }, (_, i) => `F${i}`);
    const r = reason("set", "F0", names);
    assert.match(r, /node has F0, F1, .*F11, … \(\+28 more\)$/);
  });

  test("set: an empty node set is named as such", () => {
    assert.equal(reason("set", "A", []), "needs A; node has an empty set (missing: A)");
  });

  test("string: the required value and the node's value", () => {
    assert.equal(
      reason("string", "GenuineIntel", "AuthenticAMD"),
      "needs GenuineIntel; node has AuthenticAMD",
    );
  });

  test("string: an empty node value is quoted so it is visible", () => {
    assert.equal(reason("string", "x", ""), 'needs x; node has ""');
  });

  test("bool: the required and actual truth value", () => {
    assert.equal(reason("bool", "true", false), "needs true; node has false");
  });

  test("quantity: a plain byte count is also shown in binary units", () => {
    assert.equal(
      reason("quantity", ">=64Gi", 34359738368),
      "needs >=64Gi; node has 34359738368 (= 32Gi; fails >=64Gi)",
    );
  });

  test("quantity: a suffixed node value is also shown as a number", () => {
    assert.equal(reason("quantity", ">=1k", "2k"), "needs >=1k; node has 2k (= 2000)");
  });

  test("an unsatisfiable value says no node can satisfy it", () => {
    assert.match(reason("version", ">=5, <4", "4.5"), /no node can satisfy this value\)$/);
    assert.match(reason("set", "A, !A", ["A"]), /no node can satisfy this value\)$/);
    assert.match(reason("string", "!*", "x"), /no node can satisfy this value\)$/);
  });

  test("a fact prepared for another type fails in both paths with a reason", () => {
    const m = compile("version", ">=1");
    const f = prepared("set", ["1"]);
    assert.equal(m.matches(f), false);
    assert.deepEqual(m.explain(f), {
      pass: false,
      reason: "node fact was read as a set, not a version",
    });
  });
});

describe("prepareFact reads node facts or refuses them", () => {
  const readable: [LabelType, Fact][] = [
    ["version", "5.15.0-91-generic"],
    ["version", 8],
    ["version", ["5.15"]],
    ["set", "runc"],
    ["set", []],
    ["string", true],
    ["string", 8],
    ["bool", "True"],
    ["quantity", "64Gi"],
    ["quantity", 0],
  ];
  for (const [type, fact] of readable) {
    test(`${type} reads ${JSON.stringify(fact)}`, () => {
      assert.notEqual(prepareFact(type, fact), undefined);
    });
  }

  const refused: [LabelType, Fact, string][] = [
    ["version", "abc", "it has no leading number"],
    ["version", "", "it is empty"],
    ["version", 2.1, "JSON may have dropped a trailing zero"],
    ["version", -1, "versions are not negative"],
    ["version", true, "it is a boolean"],
    ["version", ["1", "2"], "it holds two versions"],
    ["quantity", "abc", "it is not a number"],
    ["quantity", Number.NaN, "it is not a number"],
    ["quantity", Number.POSITIVE_INFINITY, "it is not finite"],
    ["quantity", "64GB", "GB is not a unit"],
    ["set", 5, "it is a number"],
    ["set", false, "it is a boolean"],
    ["bool", "yes", "only true and false are booleans"],
    ["bool", 1, "it is a number"],
    ["string", ["a", "b"], "it holds two values"],
  ];
  for (const [type, fact, why] of refused) {
    test(`${type} refuses ${JSON.stringify(fact) ?? String(fact)} because ${why}`, () => {
      assert.equal(prepareFact(type, fact), undefined);
    });
  }

  test("a set fact keeps the node's names as given for explanations", () => {
    const f = prepareFact("set", ["AVX2", "Fma"]);
    assert.equal(f?.type, "set");
    assert.deepEqual(f?.type === "set" ? f.items : undefined, ["AVX2", "Fma"]);
  });
});
