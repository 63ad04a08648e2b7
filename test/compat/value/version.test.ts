import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compareVersions, parseVersion } from "../../../src/compat/value/index.js";
import type { Case } from "./util.js";
import { compile, describeCase, evaluate, issues } from "./util.js";

describe("parseVersion reads a node's version and ignores a distribution suffix", () => {
  const cases: [string, number[]][] = [
    ["5.14.0-427.el9.x86_64", [5, 14, 0, 427]],
    ["5.15.0-91-generic", [5, 15, 0, 91]],
    ["2.36", [2, 36]],
    ["6.8.0-1012-aws", [6, 8, 0, 1012]],
    ["4.18.0-513.24.1.el8_9.x86_64", [4, 18, 0, 513, 24, 1]],
    ["6.1.0-18-amd64", [6, 1, 0, 18]],
    ["5.10.16.3-microsoft-standard-WSL2", [5, 10, 16, 3]],
    ["6.7.4-arch1-1", [6, 7, 4]],
    ["6.1.21-v8+", [6, 1, 21]],
    ["1.2.3+build.5", [1, 2, 3]],
    ["1.2.3+4", [1, 2, 3, 4]],
    ["535.129.03", [535, 129, 3]],
    ["  22.04 ", [22, 4]],
    ["6.9.0-rc3", [6, 9, -1, 3]],
    ["6.20rc1", [6, 20, -1, 1]],
    ["1.2~rc1", [1, 2, -1, 1]],
    ["3.13.0a1", [3, 13, -4, 1]],
    ["12.4.1-beta.2", [12, 4, 1, -3, 2]],
    ["2.0-pre", [2, -2]],
    ["0.0-RC1", [0, -1, 1]],
    ["6.9.0-rc3-00012-gabcdef", [6, 9, -1, 3, 12]],
    ["6.9.0-rc3+", [6, 9, -1, 3]],
    ["5.10.0-rc1.el9.x86_64", [5, 10, -1, 1]],
    ["2.0.0-a1b2c3", [2, 0, 0]],
    ["1.1.1a", [1, 1, 1]],
    ["1.1.1w", [1, 1, 1]],
    ["1.0-alpha-beta", [1, -4]],
    ["1.2~git20240101", [1, 2]],
    ["5.*", [5]],
    ["abc", []],
    ["v5.15", []],
    ["", []],
  ];
  for (const [text, parts] of cases) {
    test(`${JSON.stringify(text)} reads as [${parts.join(", ")}]`, () => {
      assert.deepEqual(parseVersion(text), parts);
    });
  }
});

describe("compareVersions orders numerically with missing components as 0, pre-releases first", () => {
  const cases: [string, string, number][] = [
    ["2.36", "2.36.0.0", 0],
    ["5.14.0-427.el9.x86_64", "5.14.0-362.el9.x86_64", 1],
    ["5.9", "5.10", -1],
    ["5.15.0-91-generic", "5.15.0", 1],
    ["1.2.3+4", "1.2.3", 1],
    ["10.0.0.0", "9.255.255.255", 1],
    ["6.20-rc1", "6.20", -1],
    ["6.20rc1", "6.20.0", -1],
    ["1.2~rc1", "1.2", -1],
    ["6.20.0-rc1", "6.20-rc1", 0],
    ["6.20-rc1", "6.20-rc2", -1],
    ["6.20-rc2", "6.19.9", 1],
    ["1.0-alpha1", "1.0-beta1", -1],
    ["1.0a1", "1.0-alpha.1", 0],
    ["1.0-beta9", "1.0-pre1", -1],
    ["1.0-pre1", "1.0-rc1", -1],
    ["1.0-rc", "1.0-rc0", 0],
    ["1.0-rc1", "1.0-rc1.1", -1],
    ["6.9.0-rc3", "6.9-rc4", -1],
    ["6.9-rc3-00012", "6.9-rc3", 1],
    ["0-alpha", "0", -1],
  ];
  for (const [a, b, expected] of cases) {
    test(`${a} compares ${expected} to ${b}`, () => {
      assert.equal(compareVersions(a, b), expected);
      assert.equal(compareVersions(b, a), expected === 0 ? 0 : -expected);
    });
  }

  test("accepts already parsed components", () => {
    assert.equal(compareVersions([5, 15], "5.15.0"), 0);
  });
});

describe("version values match node versions", () => {
  const cases: Case[] = [
    [">=2.31, <=2.37", "2.35", true],
    [">=2.31, <=2.37", "2.38", false],
    [">=2.31, <=2.37", "2.31", true],
    [">=2.31, <=2.37", "2.37.1", true],
    [">=2.31, <2.37", "2.37.1", false],
    [">=5.14", "5.14.0-427.el9.x86_64", true],
    [">5.14.0-427", "5.14.0-427.el9.x86_64", false],
    [">=5.14.0-362", "5.14.0-427.el9.x86_64", true],
    ["<5.14.0-500", "5.14.0-427.el9.x86_64", true],
    ["5.15", "5.15.0-91-generic", true],
    ["5.1", "5.15.0-91-generic", false],
    ["5", "5.15.0-91-generic", true],
    ["5.15.0", "5.15", true],
    ["5.15", "5.16.0", false],
    ["5.15", "5.150", false],
    ["=2.36", "2.36.0", true],
    ["=2.36", "2.36.1", true],
    ["=2.36", "2.37", false],
    ["!=2.36", "2.36.0.0", false],
    ["!=2.36", "2.36.1", false],
    ["!=2.36", "2.35", true],
    [">=6.1 || 5.15", "5.15.0-91-generic", true],
    [">=6.1 || 5.15", "5.10.0", false],
    [">=6.1 || 5.15", "6.8.0-1012-aws", true],
    ["[5.10, 6.0)", "5.19.17", true],
    ["[5.10, 6.0)", "6.0", false],
    ["[5.10, 6.0)", "6.0-rc1", true],
    ["(5.10, 6.0]", "5.10", false],
    ["(5.10, 6.0]", "5.10.9", false],
    ["(5.10, 6.0]", "5.11", true],
    ["(5.10, 6.0]", "6.0.0", true],
    ["(5.10, 6.0]", "6.0.9", true],
    ["[6.1,]", "6.1", true],
    ["[6.1,]", "6.0.99", false],
    ["[,6)", "5.99", true],
    ["(,6)", "6", false],
    ["1.2.3.4", "1.2.3.4", true],
    [">1.2.3.4", "1.2.3.4.1", false],
    [">1.2.3.4", "1.2.3.5", true],
    ["<10.0.0.0", "9.255.255.255", true],
    [">=1.2.3", "1.2.3+build.5", true],
    [">=1.2.3+4", "1.2.3+5", true],
    [">=4.18.0-513", "4.18.0-513.24.1.el8_9.x86_64", true],
    ["6.1", "6.1.0-18-amd64", true],
    [">=6.7.4", "6.7.4-arch1-1", true],
    ["6.1.21", "6.1.21-v8+", true],
    ["  >=  2.31 ,<= 2.37  ", "2.35", true],
    [">=6||<5", "4.19", true],
    ["2.35", "2.35", true],
    [">=535", "535.129.03", true],
    ["[525, 530)", "535.129.03", false],
    [">=550.54", "550.54.14", true],
    [">=20.04", 22, true],
    [">=5, <=5, !=5.0.1", "5.0.0", true],
    [">=5, <=5, !=5.0.1", "5.0.1.7", false],
    ["[4.1.6, 4.1.6]", "4.1.6", true],
    ["[4.1.6, 4.1.6]", "4.1.7", false],
  ];
  for (const c of cases) {
    test(describeCase("version", c), () => {
      assert.equal(evaluate("version", c[0], c[1]), c[2]);
    });
  }
});

// The short-version table of docs/compat-language.md, row for row (a test below keeps the two equal).
const SHORT_VERSIONS: Case[] = [
  ["5.15", "5.15.0-91-generic", true],
  ["=5.15", "5.15.0-91-generic", true],
  ["5.15.*", "5.15.0-91-generic", true],
  ["!=5.15", "5.15.0-91-generic", false],
  ["<5.15", "5.15.0-91-generic", false],
  ["<=5.15", "5.15.0-91-generic", true],
  [">5.15", "5.15.0-91-generic", false],
  [">=5.15", "5.15.0-91-generic", true],
  ["[5.15, 5.15]", "5.15.0-91-generic", true],
  ["[5.14, 5.15)", "5.15.0-91-generic", false],
  ["(5.14, 5.16)", "5.15.0-91-generic", true],
  ["(5.15, 6]", "5.15.0-91-generic", false],
  ["5.15.0", "5.15.0-91-generic", true],
  [">5.15.0", "5.15.0-91-generic", false],
  [">=5.15.0-92", "5.15.0-91-generic", false],
  ["5", "5.15.0-91-generic", true],
  ["5.1", "5.15.0-91-generic", false],
  [">5.15", "5.16.0", true],
  [">5.15", "5.16.0-rc1", true],
  ["<=5.15", "5.16.0-rc1", false],
  ["5.15", "5.15.0-rc1", false],
  ["<5.15", "5.15.0-rc1", true],
  [">=6.20rc1", "6.20.0-rc1", true],
  [">=6.20-rc2", "6.20.0-rc1", false],
  [">=6.20", "6.20.0-rc7", false],
  ["6.20-rc", "6.20.0-rc3", true],
  [">=1.2~rc1", "1.2", true],
  [">=1.2~rc2", "1.2~rc1", false],
  [">=2.31, <=2.37", "2.37.1", true],
  [">=2.31, <2.37", "2.37.1", false],
  [">=525.60.13", "550.54.14", true],
];

describe("short versions mean the same for every operator (docs/compat-language.md)", () => {
  for (const c of SHORT_VERSIONS) {
    test(describeCase("version", c), () => {
      assert.equal(evaluate("version", c[0], c[1]), c[2]);
    });
  }

  test("the docs show exactly this table", () => {
    const docs = readFileSync(new URL("../../../docs/compat-language.md", import.meta.url), "utf8");
    const lines = docs.split("\n");
    const header = lines.findIndex((l) => /^\| value +\| node version +\| result +\|$/.test(l));
    assert.ok(header >= 0, "the short-version example table is missing");
    const rows: Case[] = [];
    for (const line of lines.slice(header + 2)) {
      if (!line.startsWith("|")) break;
      const [value, fact, result] = line
        .split(/ \| /)
        .map((cell) => cell.replace(/^\|? *`?|`? *\|?$/g, ""));
      rows.push([value as string, fact as string, result === "passes"]);
    }
    assert.deepEqual(rows, SHORT_VERSIONS);
  });
});

describe("pre-release versions order before their release", () => {
  const cases: Case[] = [
    [">=6.20rc1", "6.20.0-rc1", true],
    [">=6.20rc1", "6.20.0", true],
    [">=6.20rc1", "6.19.9", false],
    [">=6.20-rc2", "6.20.0-rc1", false],
    [">=6.20", "6.20.0-rc1", false],
    ["<6.20", "6.20.0-rc7", true],
    [">=1.2~rc1", "1.2~rc1", true],
    [">=1.2~rc1", "1.2", true],
    [">=1.2~rc2", "1.2~rc1", false],
    [">=1.2~rc1", "1.1.9", false],
    ["6.20-rc", "6.20-rc3", true],
    ["6.20-rc", "6.20.0", false],
    ["6.20-rc", "6.20-beta2", false],
    ["6.20-rc1", "6.20-rc1.5", true],
    ["6.20-rc1", "6.20-rc2", false],
    ["<=6.20-rc1", "6.20-rc1.5", true],
    [">6.20-rc1", "6.20-rc2", true],
    [">1.2~beta", "1.2-pre1", true],
    [">1.2~beta", "1.2-beta7", false],
    [">=3.13.0a1", "3.13.0b1", true],
    [">=3.13.0b1", "3.13.0a2", false],
    [">=5.0.0rc12", "5.0.0", true],
    [">=5.0.0rc12", "5.0.0rc11", false],
    ["<6", "6.0.0-rc1", true],
    [">=6", "6.0.0-rc1", false],
    ["5", "6.0.0-rc1", false],
    [">=6.9-rc4", "6.9.0-rc3", false],
    ["<0", "0-rc1", true],
  ];
  for (const c of cases) {
    test(describeCase("version", c), () => {
      assert.equal(evaluate("version", c[0], c[1]), c[2]);
    });
  }
});

describe("wildcards end a short version", () => {
  const cases: Case[] = [
    ["5.*", "5.15.0-91-generic", true],
    ["5.x", "5.15.0-91-generic", true],
    ["5.15.X", "5.15.0-91-generic", true],
    ["5.15.*.*", "5.15.0-91-generic", true],
    ["5.14.*", "5.15.0-91-generic", false],
    [">5.*", "6.1.0", true],
    [">5.*", "5.99", false],
    ["<=5.*", "5.99", true],
    ["!=5.*", "5.0", false],
  ];
  for (const c of cases) {
    test(describeCase("version", c), () => {
      assert.equal(evaluate("version", c[0], c[1]), c[2]);
    });
  }
});

describe("version satisfiability", () => {
  const cases: [string, boolean][] = [
    [">=5, <4", false],
    ["[3,2)", false],
    [">5, <=5", false],
    [">=5, <=5", true],
    ["=5, !=5.0", true],
    ["5.0, !=5.0", false],
    ["<0", true],
    ["<0-alpha", false],
    ["<=0", true],
    ["(,0)", true],
    ["(,0-alpha)", false],
    ["(,0]", true],
    [">=5, <4 || 3", true],
    ["(5, 5.0.0.1)", false],
    ["(5.0.0, 5.0.0.1)", false],
    ["(5.0.0, 5.0.2)", true],
    ["5.15, 5.16", false],
    ["5.15, !=5.15", false],
    ["5.15, !=5.15.0", true],
    ["5, !=5.0, !=5.1, !=5.2", true],
    ["[5, 5.1], !=5.0, !=5.1", true],
    ["[5, 5.1], !=5", false],
    [">5.15, <5.16", true],
    [">5.15, <5.16-alpha", false],
    [">5.15, <=5.16", true],
    ["6.20-rc, !=6.20-rc", false],
    [">=6.20-rc, <6.20", true],
  ];
  for (const [value, satisfiable] of cases) {
    test(`${JSON.stringify(value)} is ${satisfiable ? "satisfiable" : "unsatisfiable"}`, () => {
      assert.equal(compile("version", value).satisfiable, satisfiable);
    });
  }
});

describe("version values print canonically", () => {
  const cases: [string, string][] = [
    [" >=  2.31 ,<=2.37 ", ">=2.31, <=2.37"],
    ["[ 1 , 2 )", "[1, 2)"],
    ["[6.1,]", "[6.1,)"],
    ["(,6]", "(,6]"],
    ["[,6)", "(,6)"],
    ["5.15||6", "5.15 || 6"],
    ["=2.36,!=2.36.1", "=2.36, !=2.36.1"],
    ["5.14.0-427", "5.14.0-427"],
    [">=6.20rc1,<6.20", ">=6.20rc1, <6.20"],
    ["1.2~rc1", "1.2~rc1"],
    ["5.*||6.x", "5.* || 6.x"],
  ];
  for (const [value, printed] of cases) {
    test(`${JSON.stringify(value)} prints as ${JSON.stringify(printed)}`, () => {
      assert.equal(compile("version", value).print(), printed);
    });
  }
});

describe("version syntax errors name the column", () => {
  const cases: [string, number, RegExp][] = [
    ["", 1, /expected a version constraint, found an empty value/],
    [">=", 3, /expected a version after ">=" at column 3/],
    ["=> 5", 1, /unknown operator "=>" at column 1 \(did you mean ">="\?\)/],
    ["=< 5", 1, /did you mean "<="/],
    ["== 5", 1, /did you mean "="/],
    ["~1.2", 1, /unknown operator "~".*interval/],
    ["[1,2", 1, /unclosed interval at column 1/],
    [">=1, [1,2", 6, /unclosed interval at column 6/],
    ["[1]", 3, /two ends separated by ","/],
    [">=5 <6", 5, /expected "," or "\|\|" after a constraint at column 5 \(found "<"; join/],
    [">=5,,<6", 5, /empty constraint at column 5/],
    [">=5,", 5, /expected a version constraint after ","/],
    [">=5 | <3", 5, /expected "\|\|"/],
    ["abc", 1, /"abc" is not a version at column 1/],
    ["v5.15", 1, /drop the leading "v"/],
    [">=5)", 4, /found "\)"/],
    ["[1,2) || ", 10, /after "\|\|"/],
    ["[1;2)", 3, /expected "," between the ends/],
    [">= abc", 4, /"abc" is not a version at column 4/],
    ["[1, 2 3]", 7, /expected "\]" or "\)" to close the interval opened at column 1/],
    ["> = 1", 3, /unexpected "=" after ">" at column 3 \(write ">=" without a space\)/],
    [">=6.20 rc1", 8, /expected "," or "\|\|" after a constraint at column 8/],
    [">=5.14.0-427.el9", 13, /unexpected ".el9" in version "5.14.0-427.el9" at column 13/],
    ["5.*.3", 4, /unexpected ".3" in version "5.\*.3" at column 4 \(a wildcard ends the version\)/],
    ["5.*-rc1", 4, /a wildcard ends the version/],
    [">=1.2~git1", 6, /unexpected "~git1".*after "~" comes a pre-release tag/],
    ["1.2.3+build.5", 6, /unexpected "\+build.5".*build metadata does not order versions/],
    ["1.0-alpha-beta", 10, /unexpected "-beta".*one pre-release tag/],
    ["<=6.1.21-v8+", 9, /unexpected "-v8\+"/],
    ["5.15.", 5, /unexpected "." in version "5.15."/],
    ["1.1.1a", 6, /unexpected "a" in version "1.1.1a"/],
    ["2.0-a1b2", 4, /unexpected "-a1b2"/],
    ["*", 1, /"\*" is not a version at column 1 \(that is every version/],
    [">=x", 3, /"x" is not a version/],
  ];
  for (const [value, column, message] of cases) {
    test(`${JSON.stringify(value)} is rejected at column ${column}`, () => {
      const [first, ...rest] = issues("version", value);
      assert.equal(rest.length, 0);
      assert.equal(first?.column, column);
      assert.match(first?.message ?? "", message);
    });
  }
});
