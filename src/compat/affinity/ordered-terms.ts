// Version and quantity values as Gt/Lt terms over NFD's numeric labels (kernel-version.major,
// cpu-model.family, ...): each interval of the value becomes bounds on the tuple of label values.
// Apart from labels.ts because this tuple arithmetic has nothing to do with names and patterns.
import { parseRange, type Interval } from "../value/range.js";
import { boundsOf, type Bounds } from "../value/range-bounds.js";
import { quantityType } from "../value/quantity.js";
import { LOWEST_TAG } from "../value/version.js";
import { versionType } from "../value/version-range.js";
import { ANY_NODE, and, or, term, type Constraint, type Dnf, type Term } from "./terms.js";
import { exact, inexpressible, type LabelTranslation } from "./translation.js";

type Parts = readonly number[];

function pieces<V>(b: Bounds<V>, compare: (a: V, b: V) => number): Interval<V>[] {
  let out: Interval<V>[] = [{ ...b }];
  const nonEmpty = (i: Interval<V>): boolean => {
    if (i.lower === undefined || i.upper === undefined) return true;
    const c = compare(i.lower, i.upper);
    return c < 0 || (c === 0 && i.lowerInclusive && i.upperInclusive);
  };
  for (const cut of b.excluded) {
    out = out.flatMap((i) => {
      const res: Interval<V>[] = [];
      if (cut.lower !== undefined) {
        const left = { ...i };
        const c = left.upper === undefined ? -1 : compare(cut.lower, left.upper);
        if (c <= 0) {
          left.upper = cut.lower;
          left.upperInclusive = !cut.lowerInclusive && (c < 0 || left.upperInclusive);
        }
        res.push(left);
      }
      if (cut.upper !== undefined) {
        const right = { ...i };
        const c = right.lower === undefined ? 1 : compare(cut.upper, right.lower);
        if (c >= 0) {
          right.lower = cut.upper;
          right.lowerInclusive = !cut.upperInclusive && (c > 0 || right.lowerInclusive);
        }
        res.push(right);
      }
      return res.filter(nonEmpty);
    });
  }
  return out.filter(nonEmpty);
}

/**
 * A version bound as a bound on the label tuple: the components the labels carry, and whether the
 * bound falls between two tuples (exact) or inside one (approximate). `X-alpha` (the least
 * version starting with X, where `>X'` and `<=X'` end) is the tuple X: a node on an X pre-release
 * is labelled X, and such a bound admits it on both sides.
 */
function tupleBound(p: Parts, n: number): { tuple: number[]; exact: boolean } {
  const tag = p.findIndex((x) => x < 0);
  const nums = tag < 0 ? [...p] : p.slice(0, tag);
  const alphaEnd = tag === p.length - 1 && p[tag] === LOWEST_TAG;
  while (nums.length > 0 && nums[nums.length - 1] === 0) nums.pop();
  const fits = nums.length <= n;
  return { tuple: nums.slice(0, n), exact: fits && (tag < 0 || alphaEnd) };
}

/**
 * The first `count` keys equal to b's components, said as Gt/Lt: NFD writes VERSION_ID's parts as
 * they appear (`22.04` gives minor `04`), which Gt/Lt read as numbers and In would not. NFD omits
 * a minor (or later) label the version does not write (Debian `12` has no minor), and the value
 * language reads the missing component as 0: so a 0 after the first key is also met by absence.
 */
function prefixEqual(
  b: readonly number[],
  keys: readonly string[],
  count: number,
): Map<string, Constraint>[] {
  let terms: Map<string, Constraint>[] = [new Map()];
  for (let j = 0; j < count; j++) {
    const key = keys[j] as string;
    const v = b[j] as number;
    const alternatives: Constraint[] =
      j >= 1 && v === 0 ? [{ gt: -1, lt: 1 }, { exists: false }] : [{ gt: v - 1, lt: v + 1 }];
    terms = terms.flatMap((t) => alternatives.map((c) => new Map(t).set(key, c)));
  }
  return terms;
}

/** Tuple ≥ b, over the keys (b without trailing zeros). */
function atLeast(b: readonly number[], keys: readonly string[]): Dnf {
  if (b.length === 0) return ANY_NODE;
  const out: Term[] = [];
  for (let i = 0; i < b.length; i++) {
    const last = i === b.length - 1;
    for (const t of prefixEqual(b, keys, i)) {
      t.set(keys[i] as string, { gt: (b[i] as number) - (last ? 1 : 0) });
      out.push(t);
    }
  }
  return out;
}

/** Tuple < b. An absent label after the first reads as 0, which is below any b[i] > 0. */
function below(b: readonly number[], keys: readonly string[]): Dnf {
  const out: Term[] = [];
  for (let i = 0; i < b.length; i++) {
    if ((b[i] as number) <= 0) continue;
    for (const t of prefixEqual(b, keys, i)) {
      const absent = new Map(t);
      t.set(keys[i] as string, { lt: b[i] as number });
      out.push(t);
      if (i >= 1) out.push(absent.set(keys[i] as string, { exists: false }));
    }
  }
  return out;
}

function roundUp(tuple: readonly number[], n: number): number[] {
  const t = [...tuple];
  while (t.length < n) t.push(0);
  t[n - 1] = (t[n - 1] as number) + 1;
  while (t.length > 0 && t[t.length - 1] === 0) t.pop();
  return t;
}

export function versionTerms(value: string, keys: readonly string[]): LabelTranslation {
  const parsed = parseRange(value, versionType);
  if (!parsed.ok) return inexpressible("the value does not parse");
  const n = keys.length;
  const loose: string[] = [];
  const alternatives: Dnf[] = [];
  for (const alt of parsed.ast) {
    for (const piece of pieces(boundsOf(alt, versionType), versionType.compare)) {
      let dnf: Dnf = ANY_NODE;
      // Version spans are [lower, upper): lower ends are inclusive, upper ends exclusive.
      if (piece.lower !== undefined) {
        const b = tupleBound(piece.lower, n);
        if (!b.exact) loose.push(`lower end ${describe(piece.lower)}`);
        dnf = and(dnf, atLeast(b.tuple, keys));
      }
      if (piece.upper !== undefined) {
        const b = tupleBound(piece.upper, n);
        const tuple = b.exact ? b.tuple : roundUp(b.tuple, n);
        if (!b.exact) loose.push(`upper end ${describe(piece.upper)}`);
        dnf = and(dnf, below(tuple, keys));
      }
      alternatives.push(dnf);
    }
  }
  const dnf = or(...alternatives);
  if (loose.length === 0) return exact(dnf);
  return {
    dnf,
    fidelity: "approximate",
    reason: `${loose.join(", ")}: NFD's numeric labels carry the first ${n} components and no pre-release, so the bound is widened to the nearest ${n}-component version`,
  };
}

function describe(p: Parts): string {
  return p.map((x) => (x < 0 ? ["alpha", "beta", "pre", "rc"][x + 4] : String(x))).join(".");
}

export function integerTerms(value: string, key: string): LabelTranslation {
  const parsed = parseRange(value, quantityType);
  if (!parsed.ok) return inexpressible("the value does not parse");
  const alternatives: Dnf[] = [];
  for (const alt of parsed.ast) {
    for (const i of pieces(boundsOf(alt, quantityType), quantityType.compare)) {
      const c: Constraint = {};
      if (i.lower !== undefined) {
        c.gt = i.lowerInclusive ? Math.ceil(i.lower) - 1 : Math.floor(i.lower);
      }
      if (i.upper !== undefined) {
        c.lt = i.upperInclusive ? Math.floor(i.upper) + 1 : Math.ceil(i.upper);
      }
      if (c.gt !== undefined && c.lt !== undefined && c.lt - c.gt < 2) continue;
      // With no bound at all, the label must still be there, as the fact must for the value.
      alternatives.push([term(key, Object.keys(c).length > 0 ? c : { exists: true })]);
    }
  }
  return exact(or(...alternatives));
}
