// NFD's match ops, one by one, against NFD's own rules (kubernetes-sigs/node-feature-discovery
// pkg/apis/nfd/nodefeaturerule/expression.go, evaluateMatchExpression, and the op table in
// docs/usage/customization-guide.md).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  expressionProblem,
  matchExpression,
  type NfdExpression,
  type NfdOp,
} from "../../../src/compat/nfd/expression.js";

const e = (op: NfdOp, ...value: string[]): NfdExpression => ({ op, value });
const on = (x: NfdExpression, observed: string): boolean => matchExpression(x, true, observed);
const absent = (x: NfdExpression): boolean => matchExpression(x, false, undefined);

describe("NFD match ops", () => {
  test("Any matches a present and an absent element", () => {
    assert.equal(on(e("Any"), "x"), true);
    assert.equal(absent(e("Any")), true);
  });

  test("Exists matches only a present element, DoesNotExist only an absent one", () => {
    assert.equal(matchExpression(e("Exists"), true, undefined), true);
    assert.equal(absent(e("Exists")), false);
    assert.equal(matchExpression(e("DoesNotExist"), true, undefined), false);
    assert.equal(absent(e("DoesNotExist")), true);
  });

  test("In compares strings exactly: Intel is not intel, vfio-pci is not vfio_pci", () => {
    assert.equal(on(e("In", "Intel", "AMD"), "AMD"), true);
    assert.equal(on(e("In", "Intel"), "intel"), false);
    assert.equal(on(e("In", "vfio-pci"), "vfio_pci"), false);
  });

  test("NotIn matches a present value outside the list, and never an absent element", () => {
    assert.equal(on(e("NotIn", "4"), "5"), true);
    assert.equal(on(e("NotIn", "4", "5"), "5"), false);
    // NFD evaluates value ops only when the element is there: absent is not "not in".
    assert.equal(absent(e("NotIn", "4")), false);
  });

  test("InRegexp searches unanchored, with any of the patterns", () => {
    assert.equal(on(e("InRegexp", "^5\\.1[0-9]"), "5.14.0-427.el9.x86_64"), true);
    assert.equal(on(e("InRegexp", "el9"), "5.14.0-427.el9.x86_64"), true);
    assert.equal(on(e("InRegexp", "^6\\.", "^7\\."), "5.14.0"), false);
    assert.equal(absent(e("InRegexp", ".*")), false);
  });

  test("Gt and Lt compare integers strictly; a non-integer observed value does not match", () => {
    assert.equal(on(e("Gt", "4"), "5"), true);
    assert.equal(on(e("Gt", "5"), "5"), false);
    assert.equal(on(e("Lt", "5"), "4"), true);
    assert.equal(on(e("Lt", "5"), "5"), false);
    assert.equal(on(e("Gt", "-2"), "-1"), true);
    assert.equal(on(e("Gt", "4"), "5.1"), false);
    assert.equal(absent(e("Gt", "4")), false);
  });

  test("GtLt is exclusive at both ends", () => {
    assert.equal(on(e("GtLt", "1", "10"), "5"), true);
    assert.equal(on(e("GtLt", "1", "10"), "1"), false);
    assert.equal(on(e("GtLt", "1", "10"), "10"), false);
  });

  test('IsTrue and IsFalse compare with "true" and "false" exactly', () => {
    assert.equal(on(e("IsTrue"), "true"), true);
    assert.equal(on(e("IsTrue"), "True"), false);
    assert.equal(on(e("IsFalse"), "false"), true);
    assert.equal(on(e("IsFalse"), "true"), false);
    assert.equal(absent(e("IsFalse")), false);
  });

  test("NFD's value-count rules are checked when the spec is read", () => {
    assert.match(expressionProblem("Exists", ["x"]) ?? "", /must be empty/);
    assert.match(expressionProblem("In", []) ?? "", /must be non-empty/);
    assert.match(expressionProblem("Gt", ["1", "2"]) ?? "", /exactly one integer/);
    assert.match(expressionProblem("Gt", ["x"]) ?? "", /not an integer/);
    assert.match(expressionProblem("GtLt", ["5", "1"]) ?? "", /less than/);
    assert.match(expressionProblem("InRegexp", ["("]) ?? "", /not a valid regular expression/);
    assert.match(expressionProblem("Equals", ["x"]) ?? "", /not an NFD op/);
    assert.equal(expressionProblem("GtLt", ["1", "5"]), undefined);
  });
});
