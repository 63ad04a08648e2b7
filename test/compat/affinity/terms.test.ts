// Node selector term algebra: intersection, simplification and the scheduler's reading of terms.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  and,
  or,
  requirementHolds,
  requirementsOf,
  termOf,
  type Dnf,
} from "../../../src/compat/affinity/index.js";

const k = (key: string, c: object): Dnf => [new Map([[key, c]])];

describe("node selector terms", () => {
  test("contradicting bounds on one label leave no term", () => {
    assert.deepEqual(and(k("a", { gt: 5 }), k("a", { lt: 6 })), []);
  });

  test("In values outside a bound are dropped, and the bound goes with them", () => {
    const [t] = and(k("a", { in: new Set(["3", "7", "x"]) }), k("a", { gt: 5 }));
    assert.deepEqual(requirementsOf(t!), [{ key: "a", operator: "In", values: ["7"] }]);
  });

  test("Exists and DoesNotExist on one label contradict", () => {
    assert.deepEqual(and(k("a", { exists: true }), k("a", { exists: false })), []);
  });

  test("a term another term already admits is dropped from an OR", () => {
    const dnf = or(k("a", { gt: 5 }), k("a", { gt: 7 }), k("b", { exists: true }));
    assert.deepEqual(
      dnf.map((t) => requirementsOf(t)),
      [[{ key: "a", operator: "Gt", values: ["5"] }], [{ key: "b", operator: "Exists" }]],
    );
  });

  test("the cross product of two ORs keeps only consistent terms, none implied by another", () => {
    const left = or(k("x", { in: new Set(["1"]) }), k("x", { in: new Set(["2"]) }));
    const right = or(k("x", { in: new Set(["2"]) }), k("y", { exists: true }));
    const out = and(left, right).map((t) => requirementsOf(t));
    // (x=1 ∨ x=2) ∧ (x=2 ∨ y): x=1∧x=2 contradicts, x=2∧y is implied by x=2.
    assert.deepEqual(out, [
      [
        { key: "x", operator: "In", values: ["1"] },
        { key: "y", operator: "Exists" },
      ],
      [{ key: "x", operator: "In", values: ["2"] }],
    ]);
  });

  test("requirements read back into the same term", () => {
    const reqs = [
      { key: "a", operator: "Gt" as const, values: ["4"] },
      { key: "b", operator: "NotIn" as const, values: ["x"] },
    ];
    assert.deepEqual(requirementsOf(termOf(reqs)!), reqs);
  });

  test("requirements hold as the scheduler reads them: Gt/Lt on integers, NotIn on a missing label", () => {
    const labels = { n: "04", s: "abc" };
    assert.equal(requirementHolds({ key: "n", operator: "Gt", values: ["3"] }, labels), true);
    assert.equal(requirementHolds({ key: "s", operator: "Gt", values: ["3"] }, labels), false);
    assert.equal(requirementHolds({ key: "m", operator: "NotIn", values: ["1"] }, labels), true);
    assert.equal(requirementHolds({ key: "m", operator: "In", values: ["1"] }, labels), false);
    assert.equal(requirementHolds({ key: "m", operator: "DoesNotExist" }, labels), true);
  });
});
