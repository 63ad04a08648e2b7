// Shared by the value properties tests: checked compile and match helpers, and the version
// generators with the documented order and short-version spans they are checked against.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Fact, LabelType } from "../../../src/compat/label-types.js";
import type { Matcher } from "../../../src/compat/value/index.js";
import { prepareFact } from "../../../src/compat/value/index.js";

// ---- generic helpers -------------------------------------------------------------------------

/** Compiles a value the test knows to be valid (util.ts' `compile`, under the name these tests use). */
export { compile as mustCompile } from "./util.js";

export function run(type: LabelType, m: Matcher, fact: Fact): boolean {
  const p = prepareFact(type, fact);
  if (p === undefined) assert.fail(`unreadable ${type} fact ${JSON.stringify(fact)}`);
  const fast = m.matches(p);
  assert.equal(m.explain(p).pass, fast, "explain() disagrees with matches()");
  return fast;
}

export const sign = (n: number): number => (n > 0 ? 1 : n < 0 ? -1 : 0);

// ---- versions -----------------------------------------------------------------------------

export const parts = fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 4 });

/** A version as the docs describe it: release numbers and an optional pre-release. */
export interface VersionModel {
  release: number[];
  /** rank 0 alpha, 1 beta, 2 pre, 3 rc. */
  pre?: { rank: number; n: number[] };
}

const TAG_SPELLINGS: readonly (readonly string[])[] = [
  ["alpha", "a", "ALPHA"],
  ["beta", "b", "Beta"],
  ["pre", "PRE"],
  ["rc", "RC"],
];

export const versionModel: fc.Arbitrary<VersionModel> = fc.record(
  {
    release: parts,
    pre: fc.record({
      rank: fc.nat({ max: 3 }),
      n: fc.array(fc.nat({ max: 3 }), { maxLength: 2 }),
    }),
  },
  { requiredKeys: ["release"] },
);

/** Reference order, from the docs: releases zero-padded, then a pre-release below none. */
export function referenceCompare(a: VersionModel, b: VersionModel): number {
  const padded = (x: readonly number[], y: readonly number[]): number => {
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] ?? 0) - (y[i] ?? 0);
      if (d !== 0) return sign(d);
    }
    return 0;
  };
  const release = padded(a.release, b.release);
  if (release !== 0) return release;
  if (a.pre === undefined || b.pre === undefined) {
    return a.pre === b.pre ? 0 : a.pre === undefined ? 1 : -1;
  }
  return sign(a.pre.rank - b.pre.rank) || padded(a.pre.n, b.pre.n);
}

/** A version in a value's strict grammar: mixed separators and tag spellings. */
export const valueText = (m: VersionModel): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.array(fc.constantFrom(".", "-", "+"), { minLength: 8, maxLength: 8 }),
      fc.constantFrom("-", ".", "~", ""),
      fc.nat({ max: 2 }),
      fc.boolean(),
    )
    .map(([seps, preSep, spelling, glue]) => {
      let text = m.release.map((n, i) => (i === 0 ? `${n}` : `${seps[i]}${n}`)).join("");
      if (m.pre !== undefined) {
        const names = TAG_SPELLINGS[m.pre.rank] as readonly string[];
        let tag = names[spelling % names.length] as string;
        // A one-letter tag needs its number, and must not be glued to a one-letter neighbour.
        if (tag.length === 1 && (m.pre.n.length === 0 || !glue)) tag = names[0] as string;
        const [first, ...rest] = m.pre.n;
        const number =
          first === undefined ? "" : glue || tag.length === 1 ? `${first}` : `.${first}`;
        text += `${preSep}${tag}${number}${rest.map((n, i) => `${seps[7 - i]}${n}`).join("")}`;
      }
      return text;
    });

/** The plain text of a model, for facts built by the tests. */
export function modelText(m: VersionModel): string {
  const release = m.release.join(".");
  if (m.pre === undefined) return release;
  const [first, ...rest] = m.pre.n;
  const tag = (TAG_SPELLINGS[m.pre.rank] as readonly string[])[0] as string;
  return `${release}-${tag}${first ?? ""}${rest.map((n) => `.${n}`).join("")}`;
}

export const versionWithText = (text: (m: VersionModel) => fc.Arbitrary<string>) =>
  versionModel.chain((m) => text(m).map((t) => ({ model: m, text: t })));

/** The versions a value's short version stands for (docs: "Short versions"), from the spec. */
export function inSpan(s: VersionModel, x: VersionModel): boolean {
  const startsWith = (x: readonly number[], s: readonly number[]): boolean =>
    s.every((n, i) => (x[i] ?? 0) === n);
  if (referenceCompare(x, s) < 0) return false;
  if (s.pre === undefined) return startsWith(x.release, s.release);
  return (
    referenceCompare({ release: x.release }, { release: s.release }) === 0 &&
    x.pre?.rank === s.pre.rank &&
    startsWith(x.pre.n, s.pre.n)
  );
}
