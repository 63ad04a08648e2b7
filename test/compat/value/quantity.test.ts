import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseQuantity } from "../../../src/compat/value/index.js";
import type { Case } from "./util.js";
import { compile, describeCase, evaluate, issues } from "./util.js";

describe("parseQuantity reads numbers with unit suffixes", () => {
  const cases: [string, number | undefined][] = [
    ["64Gi", 68719476736],
    ["1.5k", 1500],
    ["12", 12],
    ["0.3k", 300],
    ["1Ti", 1099511627776],
    ["2M", 2e6],
    ["1G", 1e9],
    ["1T", 1e12],
    ["1Ki", 1024],
    ["1.5Mi", 1572864],
    ["64 Gi", 68719476736],
    [".5k", 500],
    ["abc", undefined],
    ["64GB", undefined],
    ["64K", undefined],
    ["", undefined],
    ["-1", undefined],
    ["1e9", undefined],
  ];
  for (const [text, value] of cases) {
    test(`${JSON.stringify(text)} reads as ${value}`, () => {
      assert.equal(parseQuantity(text), value);
    });
  }
});

describe("quantity values match node numbers", () => {
  const cases: Case[] = [
    [">=64Gi", 68719476736, true],
    [">=64Gi", "32Gi", false],
    [">=8, <=128", 64, true],
    ["[4, 16)", 16, false],
    ["[4, 16]", 16, true],
    ["8", 8, true],
    ["8", "8.0", true],
    ["8", 9, false],
    [">=1.5k", "1500", true],
    [">1G", "1Gi", true],
    ["<1Gi || >=1Ti", "512Mi", true],
    ["<1Gi || >=1Ti", "2Gi", false],
    ["!=0", 0, false],
    ["(,2k]", 2000, true],
    ["> 0.5", 0.75, true],
    [">= 64 Gi", "64Gi", true],
  ];
  for (const c of cases) {
    test(describeCase("quantity", c), () => {
      assert.equal(evaluate("quantity", c[0], c[1]), c[2]);
    });
  }

  const sat: [string, boolean][] = [
    [">5, <=5", false],
    ["[3,2)", false],
    [">4, <5", true],
    ["=4, !=4", false],
    ["4, !=4.0", false],
    ["(,0)", true],
  ];
  for (const [value, satisfiable] of sat) {
    test(`${JSON.stringify(value)} is ${satisfiable ? "satisfiable (quantities are real numbers)" : "unsatisfiable"}`, () => {
      assert.equal(compile("quantity", value).satisfiable, satisfiable);
    });
  }

  test("prints units attached to their number", () => {
    assert.equal(compile("quantity", ">= 64 Gi ,< 1Ti").print(), ">=64Gi, <1Ti");
  });

  const errors: [string, number, RegExp][] = [
    [">=64GB", 5, /unknown unit "GB" at column 5 \(did you mean "G"\?\)/],
    [">=64K", 5, /did you mean "k" \(×1000\) or "Ki" \(×1024\)\?/],
    [">= x", 4, /"x" is not a quantity at column 4/],
    ["64 gi", 4, /did you mean "Gi"\?/],
    [">=", 3, /expected a quantity after ">="/],
    ["64Xi", 3, /units are k M G T Ki Mi Gi Ti/],
    ["[1k, 2k", 1, /unclosed interval/],
  ];
  for (const [value, column, message] of errors) {
    test(`quantity ${JSON.stringify(value)} is rejected at column ${column}`, () => {
      const [first] = issues("quantity", value);
      assert.equal(first?.column, column);
      assert.match(first?.message ?? "", message);
    });
  }
});
