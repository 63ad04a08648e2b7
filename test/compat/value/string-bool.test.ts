import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Case } from "./util.js";
import { compile, describeCase, evaluate, issues } from "./util.js";

describe("string values match the node's single value", () => {
  const cases: Case[] = [
    ["GenuineIntel", "GenuineIntel", true],
    ["GenuineIntel", "genuineintel", true],
    ["GenuineIntel", "AuthenticAMD", false],
    ["GenuineIntel|AuthenticAMD", "AuthenticAMD", true],
    ["!GenuineIntel", "AuthenticAMD", true],
    ["!GenuineIntel", "GenuineIntel", false],
    ["!GenuineIntel|AuthenticAMD", "HygonGenuine", true],
    ["!GenuineIntel|AuthenticAMD", "AuthenticAMD", false],
    ["ubuntu|debian", "Ubuntu", true],
    ["rhel*", "rhel", true],
    ["rh?l", "RHEL", true],
    ["rh?l", "rhl", false],
    ["Intel(R) Xeon(R) Gold 6338*", "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", true],
    ["a, b", "a, b", true],
    ["  ubuntu  ", "ubuntu", true],
    ["8", 8, true],
    ["x", ["x"], true],
    ["\\*", "*", true],
    ["\\*", "x", false],
    ["a?c", "a\u{1F600}c", true],
    ["a??c", "a\u{1F600}c", false],
  ];
  for (const c of cases) {
    test(describeCase("string", c), () => {
      assert.equal(evaluate("string", c[0], c[1]), c[2]);
    });
  }

  test("a glob with many stars is matched without backtracking blow-up", () => {
    assert.equal(evaluate("string", "*a*a*a*a*a*a*a*a*a*a*a*a*c", "a".repeat(5000)), false);
    assert.equal(evaluate("string", "*a*a*a*a*a*a*a*a*a*a*a*a*c", `${"a".repeat(5000)}c`), true);
  });

  test("satisfiability: only a negation covering every string is unsatisfiable", () => {
    assert.equal(compile("string", "!*").satisfiable, false);
    assert.equal(compile("string", "!a|*").satisfiable, false);
    assert.equal(compile("string", "!a").satisfiable, true);
    assert.equal(compile("string", "*").satisfiable, true);
    assert.equal(compile("string", "!?*").satisfiable, true);
  });

  test("prints canonically: spaces around alternatives dropped, commas left unescaped", () => {
    assert.equal(
      compile("string", " GenuineIntel | AuthenticAMD ").print(),
      "GenuineIntel|AuthenticAMD",
    );
    assert.equal(compile("string", "a\\,b").print(), "a,b");
    assert.equal(compile("string", "! x").print(), "!x");
  });

  const errors: [string, number, RegExp][] = [
    ["", 1, /empty value at column 1/],
    ["a||b", 2, /empty alternative at column 2/],
    ["a|!b", 3, /"!" may only start the list at column 3/],
    ["!", 1, /expected a name after "!"/],
  ];
  for (const [value, column, message] of errors) {
    test(`string ${JSON.stringify(value)} is rejected at column ${column}`, () => {
      const [first] = issues("string", value);
      assert.equal(first?.column, column);
      assert.match(first?.message ?? "", message);
    });
  }
});

describe("bool values compare to true/false facts", () => {
  const cases: Case[] = [
    ["true", true, true],
    ["TRUE", true, true],
    ["false", false, true],
    ["true", false, false],
    ["true", "false", false],
    ["True", "TRUE", true],
    [" false ", false, true],
  ];
  for (const c of cases) {
    test(describeCase("bool", c), () => {
      assert.equal(evaluate("bool", c[0], c[1]), c[2]);
    });
  }

  test("prints as lower-case true or false", () => {
    assert.equal(compile("bool", " TRUE ").print(), "true");
  });

  const errors: [string, number][] = [
    ["yes", 1],
    ["1", 1],
    ["", 1],
    ["  no", 3],
  ];
  for (const [value, column] of errors) {
    test(`bool ${JSON.stringify(value)} is rejected at column ${column}`, () => {
      const [first] = issues("bool", value);
      assert.equal(first?.column, column);
      assert.match(first?.message ?? "", /expected true or false/);
    });
  }
});
