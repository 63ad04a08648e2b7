import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Case } from "./util.js";
import { compile, describeCase, evaluate, issues } from "./util.js";

const cpu = ["AVX2", "AVX512F", "FMA", "SSE4_2", "X86_64_V3"];
const kernel = ["PREEMPT", "NUMA", "CGROUPS", "BPF_SYSCALL"];
const pci = ["15b3.101b", "10de.2330", "8086.1592"];

describe("set values match node sets", () => {
  const cases: Case[] = [
    ["AVX2", cpu, true],
    ["avx2", cpu, true],
    ["AVX512FP16", cpu, false],
    ["AVX2, FMA", cpu, true],
    ["AVX2, FMA,", cpu, true],
    ["AVX2, FMA , ", cpu, true],
    ["AVX2|NEON", cpu, true],
    ["SVE|NEON", cpu, false],
    ["AVX2, SVE", cpu, false],
    ["!HYPERVISOR", cpu, true],
    ["!AVX2", cpu, false],
    ["!avx2", cpu, false],
    ["!SVE|AVX2", cpu, false],
    ["! SVE | NEON", cpu, true],
    ["AVX512*", cpu, true],
    ["AVX512?", cpu, true],
    ["AVX512??", cpu, false],
    ["*_V3", cpu, true],
    ["*_v4", cpu, false],
    ["*512*", cpu, true],
    ["!AVX512*", cpu, false],
    ["!*_V4", cpu, true],
    ["X86_64_V?", cpu, true],
    ["A*X*F", cpu, true],
    ["SSE4_1|SSE4_2, !HYPERVISOR, AVX*", cpu, true],
    ["NUMA, BPF_SYSCALL", kernel, true],
    ["PREEMPT_RT", kernel, false],
    ["!PREEMPT_RT", kernel, true],
    ["15b3.*", pci, true],
    ["10de.2330|10de.2331", pci, true],
    ["1002.*", pci, false],
    ["15B3.101B", pci, true],
    ["runc|crun", "runc", true],
    ["!A", [], true],
    ["A", [], false],
    ["*", [], false],
    ["!*", [], true],
    ["A\\,B", ["A,B"], true],
    ["A\\,B", ["A", "B"], false],
    ["\\*", ["*"], true],
    ["\\*", ["x"], false],
    ["\\!bang", ["!bang"], true],
    ["a\\|b", ["a|b"], true],
    ["\\ x", [" x"], true],
  ];
  for (const c of cases) {
    test(describeCase("set", c), () => {
      assert.equal(evaluate("set", c[0], c[1]), c[2]);
    });
  }

  test("a set fact holding the glob separator character still globs name by name", () => {
    assert.equal(evaluate("set", "a?b*", ["x\u0000y", "aXbc"]), true);
    assert.equal(evaluate("set", "*y", ["x\u0000y", "z"]), true);
    assert.equal(evaluate("set", "*\u0000*", ["x\u0000y"]), true);
    assert.equal(evaluate("set", "x*z", ["x\u0000y", "yz"]), false);
  });
});

describe("set satisfiability", () => {
  const cases: [string, boolean][] = [
    ["A, !A", false],
    ["a, !A", false],
    ["A|B, !A", true],
    ["A|B, !A, !B", false],
    ["A|B, !A|B", false],
    ["AVX512*, !AVX*", false],
    ["AVX*, !AVX512*", true],
    ["X, !*", false],
    ["!*", true],
    ["A?, !A*", false],
    ["A*, !A?", true],
    ["A*, !A, !A?*", false],
  ];
  for (const [value, satisfiable] of cases) {
    test(`${JSON.stringify(value)} is ${satisfiable ? "satisfiable" : "unsatisfiable"}`, () => {
      assert.equal(compile("set", value).satisfiable, satisfiable);
    });
  }
});

test("the satisfiability search gives up as satisfiable on adversarial globs", () => {
  const value = [
    "*a*b*c*d*e*f*g*h*i*j",
    ...Array.from(
      { length: 40 },
      (_, i) => `!*${"abcdefghij".charAt(i % 10)}${"?".repeat(i % 7)}*`,
    ),
  ].join(", ");
  assert.equal(compile("set", value).satisfiable, true);
});

describe("set values print canonically", () => {
  const cases: [string, string][] = [
    [" avx2 ,  FMA| sse ,", "avx2, FMA|sse"],
    ["! A", "!A"],
    ["a\\,b", "a\\,b"],
    ["\\a\\b", "ab"],
    ["\\ x\\ ", "\\ x\\ "],
    ["\\!x, y!", "\\!x, y!"],
  ];
  for (const [value, printed] of cases) {
    test(`${JSON.stringify(value)} prints as ${JSON.stringify(printed)}`, () => {
      assert.equal(compile("set", value).print(), printed);
    });
  }
});

describe("set syntax errors name the column", () => {
  const cases: [string, number[], RegExp][] = [
    ["", [1], /empty value at column 1/],
    ["   ", [1], /empty value/],
    ["A,,B", [3], /empty item at column 3/],
    [",A", [1], /empty item at column 1/],
    ["A, ,B", [4], /empty item at column 4/],
    ["A||B", [2], /empty alternative at column 2/],
    ["A|", [2], /empty alternative at column 2/],
    ["|A", [1], /empty alternative at column 1/],
    ["!", [1], /expected a name after "!" at column 1/],
    ["A|!B", [3], /"!" may only start the list at column 3/],
    ["!!A", [2], /"!" may only start the list/],
    ["A\\", [2], /dangling "\\" at column 2/],
    ["A,,B,|C", [3, 6], /empty item at column 3/],
  ];
  for (const [value, columns, message] of cases) {
    test(`${JSON.stringify(value)} is rejected at column ${columns.join(" and ")}`, () => {
      const found = issues("set", value);
      assert.deepEqual(
        found.map((i) => i.column),
        columns,
      );
      assert.match(found[0]?.message ?? "", message);
    });
  }
});
