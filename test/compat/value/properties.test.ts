// Properties of what values mean: version order, equivalent interval and comparator forms,
// case-insensitive set matching, and glob matching and inclusion.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compareVersions } from "../../../src/compat/value/index.js";
import type { GlobPart } from "../../../src/compat/value/glob.js";
import { Glob, globIncluded } from "../../../src/compat/value/glob.js";
import type { VersionModel } from "./arbitraries.js";
import {
  inSpan,
  modelText,
  mustCompile,
  parts,
  referenceCompare,
  run,
  sign,
  valueText,
  versionModel,
  versionWithText,
} from "./arbitraries.js";

/** A node's version: a value's text plus, sometimes, a distribution suffix. */
const factText = (m: VersionModel): fc.Arbitrary<string> =>
  fc
    .tuple(valueText(m), fc.constantFrom("", ".el9.x86_64", "-generic", "+build.1", "-v8+"))
    .map(([text, suffix]) => text + suffix);

describe("version order is a total preorder", () => {
  test("reflexive, antisymmetric in sign, transitive, and total", () => {
    fc.assert(
      fc.property(
        versionWithText(valueText),
        versionWithText(valueText),
        versionWithText(valueText),
        (a, b, c) => {
          assert.equal(compareVersions(a.text, a.text), 0);
          const ab = compareVersions(a.text, b.text);
          assert.equal(sign(ab) + sign(compareVersions(b.text, a.text)), 0);
          if (ab <= 0 && compareVersions(b.text, c.text) <= 0) {
            assert.ok(compareVersions(a.text, c.text) <= 0);
          }
          assert.ok([-1, 0, 1].includes(ab));
        },
      ),
    );
  });

  test("agrees with the documented order, whatever the separators, tag spelling and suffix", () => {
    fc.assert(
      fc.property(versionWithText(factText), versionWithText(factText), (a, b) => {
        assert.equal(
          compareVersions(a.text, b.text),
          referenceCompare(a.model, b.model),
          `${a.text} vs ${b.text}`,
        );
      }),
    );
  });

  test("trailing zero components change nothing, nor do zeros before a tag", () => {
    fc.assert(
      fc.property(versionModel, fc.nat({ max: 3 }), (m, zeros) => {
        const padded = { ...m, release: [...m.release, ...Array<number>(zeros).fill(0)] };
        assert.equal(compareVersions(modelText(m), modelText(padded)), 0);
      }),
    );
  });
});

describe("interval and comparator forms are equivalent", () => {
  const pairs: [string, (a: string, b: string) => [string, string]][] = [
    ["[a, b) ≡ >=a, <b", (a, b) => [`[${a}, ${b})`, `>=${a}, <${b}`]],
    ["(a, b] ≡ >a, <=b", (a, b) => [`(${a}, ${b}]`, `>${a}, <=${b}`]],
    ["[a, b] ≡ >=a, <=b", (a, b) => [`[${a},${b}]`, `>=${a},<=${b}`]],
    ["(a, b) ≡ >a, <b", (a, b) => [`(${a}, ${b})`, `>${a}, <${b}`]],
    ["[a,] ≡ >=a", (a) => [`[${a},]`, `>=${a}`]],
    ["(a,) ≡ >a", (a) => [`(${a},)`, `>${a}`]],
    ["(,b) ≡ <b", (_, b) => [`(,${b})`, `<${b}`]],
    ["[,b] ≡ <=b", (_, b) => [`[,${b}]`, `<=${b}`]],
    ["=a ≡ [a, a]", (a) => [`=${a}`, `[${a}, ${a}]`]],
    ["bare a ≡ =a", (a) => [a, `=${a}`]],
    ["!=a ≡ <a || >a", (a) => [`!=${a}`, `<${a} || >${a}`]],
    ["<=a ≡ <a || a", (a) => [`<=${a}`, `<${a} || ${a}`]],
    [">=a ≡ a || >a", (a) => [`>=${a}`, `${a} || >${a}`]],
  ];
  for (const [name, forms] of pairs) {
    test(`version: ${name}`, () => {
      fc.assert(
        fc.property(
          versionWithText(valueText),
          versionWithText(valueText),
          versionWithText(factText),
          (a, b, x) => {
            const [left, right] = forms(a.text, b.text);
            const l = mustCompile("version", left);
            const r = mustCompile("version", right);
            assert.equal(run("version", l, x.text), run("version", r, x.text));
            assert.equal(l.satisfiable, r.satisfiable);
          },
        ),
      );
    });
  }

  test("version: <a, a and >a split every version into three", () => {
    fc.assert(
      fc.property(versionWithText(valueText), versionWithText(factText), (a, x) => {
        const held = [`<${a.text}`, a.text, `>${a.text}`].filter((v) =>
          run("version", mustCompile("version", v), x.text),
        );
        assert.equal(held.length, 1, `${x.text} against ${a.text}: ${held.join(" ")}`);
      }),
    );
  });

  test("version: bare a matches the versions that start with a, except a's own pre-releases", () => {
    fc.assert(
      fc.property(versionWithText(valueText), versionWithText(factText), (a, x) => {
        assert.equal(
          run("version", mustCompile("version", a.text), x.text),
          inSpan(a.model, x.model),
          `${a.text} on ${x.text}`,
        );
      }),
    );
  });

  test("version: a trailing wildcard changes nothing", () => {
    fc.assert(
      fc.property(
        parts,
        fc.constantFrom(".*", ".x", ".X", ".*.*"),
        fc.constantFrom("", ">", "<=", "!="),
        versionWithText(factText),
        (a, wildcard, op, x) => {
          const plain = mustCompile("version", `${op}${a.join(".")}`);
          const starred = mustCompile("version", `${op}${a.join(".")}${wildcard}`);
          assert.equal(run("version", plain, x.text), run("version", starred, x.text));
        },
      ),
    );
  });

  const q = fc.nat({ max: 20 });
  const quantityPairs: [string, (a: number, b: number) => [string, string]][] = [
    ["[a, b) ≡ >=a, <b", (a, b) => [`[${a}, ${b})`, `>=${a}, <${b}`]],
    ["(a, b] ≡ >a, <=b", (a, b) => [`(${a}, ${b}]`, `>${a}, <=${b}`]],
    ["[a,] ≡ >=a", (a) => [`[${a},]`, `>=${a}`]],
    ["(,b) ≡ <b", (_, b) => [`(,${b})`, `<${b}`]],
    ["bare a ≡ =a ≡ [a, a]", (a) => [`${a}`, `[${a}, ${a}]`]],
    ["aKi ≡ a×1024", (a) => [`>=${a}Ki`, `>=${a * 1024}`]],
  ];
  for (const [name, forms] of quantityPairs) {
    test(`quantity: ${name}`, () => {
      fc.assert(
        fc.property(q, q, fc.nat({ max: 44 }), (a, b, halves) => {
          const [left, right] = forms(a, b);
          const l = mustCompile("quantity", left);
          const r = mustCompile("quantity", right);
          const x = name.includes("Ki") ? halves * 512 : halves / 2;
          assert.equal(run("quantity", l, x), run("quantity", r, x));
          assert.equal(l.satisfiable, r.satisfiable);
        }),
      );
    });
  }
});

describe("set matching is case-insensitive", () => {
  const word = fc.string({ unit: fc.constantFrom(..."abcxyz019_."), minLength: 1, maxLength: 5 });
  const flip = (s: string, mask: readonly boolean[]): string =>
    Array.from(s, (ch, i) => (mask[i % Math.max(1, mask.length)] ? ch.toUpperCase() : ch)).join("");

  test("flipping the case of the value or of the node's names never changes the result", () => {
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ pick: fc.nat(), negated: fc.boolean(), glob: fc.boolean() }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(word, { maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
        (names, picks, others, maskA, maskB) => {
          const pool = [...names, ...others];
          const value = picks
            .map(({ pick, negated, glob }) => {
              const n = pool[pick % pool.length] as string;
              return `${negated ? "!" : ""}${glob ? `${n.slice(0, 2)}*` : n}`;
            })
            .join(", ");
          const base = run("set", mustCompile("set", value), names);
          const flippedValue = mustCompile("set", flip(value, maskA));
          assert.equal(
            run(
              "set",
              flippedValue,
              names.map((n) => flip(n, maskB)),
            ),
            base,
          );
          assert.equal(
            run(
              "set",
              flippedValue,
              names.map((n) => n.toUpperCase()),
            ),
            base,
          );
        },
      ),
    );
  });
});

describe("glob inclusion decides satisfiability exactly", () => {
  type T = "a" | "b" | "*" | "?";
  const pattern = fc.array(fc.constantFrom<T>("a", "b", "*", "?"), { minLength: 1, maxLength: 3 });
  const toParts = (p: readonly T[]): GlobPart[] =>
    p.map((t) =>
      t === "*" ? { kind: "star" } : t === "?" ? { kind: "one" } : { kind: "text", text: t },
    );
  const matches = (p: readonly T[], s: string): boolean =>
    new RegExp(`^${p.map((t) => (t === "*" ? ".*" : t === "?" ? "." : t)).join("")}$`).test(s);
  const strings: string[] = [""];
  for (let len = 1; len <= 6; len++) {
    for (const prefix of strings.filter((s) => s.length === len - 1)) {
      for (const ch of "abc") strings.push(prefix + ch);
    }
  }

  test("agrees with brute force over every string of up to six characters", () => {
    fc.assert(
      fc.property(pattern, fc.array(pattern, { maxLength: 2 }), (sub, sups) => {
        const brute = strings.every((s) => !matches(sub, s) || sups.some((p) => matches(p, s)));
        assert.equal(globIncluded(toParts(sub), sups.map(toParts)), brute);
      }),
      { numRuns: 500 },
    );
  });
});

describe("glob matching", () => {
  type T = "a" | "b" | "\u{1F600}" | "*" | "?";
  const pattern = fc.array(fc.constantFrom<T>("a", "b", "\u{1F600}", "*", "?"), { maxLength: 6 });
  const subject = fc.string({ unit: fc.constantFrom("a", "b", "\u{1F600}"), maxLength: 8 });

  test("agrees with an anchored RegExp where ? is one code point", () => {
    fc.assert(
      fc.property(pattern, subject, (p, s) => {
        const parts: GlobPart[] = p.map((t) =>
          t === "*" ? { kind: "star" } : t === "?" ? { kind: "one" } : { kind: "text", text: t },
        );
        const body = p.map((t) => (t === "*" ? ".*" : t === "?" ? "." : t)).join("");
        assert.equal(new Glob(parts).test(s), new RegExp(`^${body}$`, "su").test(s));
      }),
      { numRuns: 2000 },
    );
  });
});
