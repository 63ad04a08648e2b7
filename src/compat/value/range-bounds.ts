// A range alternative reduced to one interval minus excluded spans, and whether any value is left
// in it, by the operator meanings range.ts sets out. Compiling a matcher and translating a value
// to node labels need this algebra; the grammar itself does not.

import type { Interval, RangeDomain, RangeOp, RangeTerm } from "./range.js";

/** One alternative reduced to a single interval minus some intervals. */
export interface Bounds<V> extends Interval<V> {
  excluded: Interval<V>[];
}

function raiseLower<V>(b: Interval<V>, value: V, inclusive: boolean, d: RangeDomain<V>): void {
  const c = b.lower === undefined ? 1 : d.compare(value, b.lower);
  if (c > 0) {
    b.lower = value;
    b.lowerInclusive = inclusive;
  } else if (c === 0) {
    b.lowerInclusive = b.lowerInclusive && inclusive;
  }
}

function lowerUpper<V>(b: Interval<V>, value: V, inclusive: boolean, d: RangeDomain<V>): void {
  const c = b.upper === undefined ? -1 : d.compare(value, b.upper);
  if (c < 0) {
    b.upper = value;
    b.upperInclusive = inclusive;
  } else if (c === 0) {
    b.upperInclusive = b.upperInclusive && inclusive;
  }
}

/** Narrows `b` to the values `op scalar` admits; "!=" is kept apart, as an excluded span. */
function applyOp<V>(b: Bounds<V>, op: RangeOp, s: Interval<V>, d: RangeDomain<V>): void {
  const atLeast = (): void => {
    if (s.lower !== undefined) raiseLower(b, s.lower, s.lowerInclusive, d);
  };
  const above = (): void => {
    if (s.upper !== undefined) raiseLower(b, s.upper, !s.upperInclusive, d);
  };
  const atMost = (): void => {
    if (s.upper !== undefined) lowerUpper(b, s.upper, s.upperInclusive, d);
  };
  const below = (): void => {
    if (s.lower !== undefined) lowerUpper(b, s.lower, !s.lowerInclusive, d);
  };
  switch (op) {
    case ">=":
      return atLeast();
    case ">":
      return above();
    case "<=":
      return atMost();
    case "<":
      return below();
    case "=":
      atLeast();
      return atMost();
    case "!=":
      b.excluded.push(s);
      return;
  }
}

/** Intersects the terms of one alternative into a single interval minus excluded spans. */
export function boundsOf<V>(terms: readonly RangeTerm<V>[], d: RangeDomain<V>): Bounds<V> {
  const b: Bounds<V> = {
    lower: undefined,
    lowerInclusive: false,
    upper: undefined,
    upperInclusive: false,
    excluded: [],
  };
  for (const term of terms) {
    if (term.kind === "compare") applyOp(b, term.op, d.span(term.operand.value), d);
    else if (term.kind === "bare") applyOp(b, "=", d.span(term.operand.value), d);
    else {
      if (term.lower !== undefined) {
        applyOp(b, term.lowerInclusive ? ">=" : ">", d.span(term.lower.value), d);
      }
      if (term.upper !== undefined) {
        applyOp(b, term.upperInclusive ? "<=" : "<", d.span(term.upper.value), d);
      }
    }
  }
  return b;
}

/**
 * Whether an interval holds some value. Both domains are dense (between two versions there is
 * always another one, e.g. 5.0.0.1 between 5 and 5.0.1), so only equal ends can empty it.
 */
function nonEmpty<V>(i: Interval<V>, d: RangeDomain<V>): boolean {
  if (i.lower === undefined || i.upper === undefined) return true;
  const c = d.compare(i.lower, i.upper);
  return c < 0 || (c === 0 && i.lowerInclusive && i.upperInclusive);
}

/** What is left of `i` once `cut` is taken out: up to two intervals. */
function subtract<V>(i: Interval<V>, cut: Interval<V>, d: RangeDomain<V>): Interval<V>[] {
  const left: Interval<V> = { ...i };
  const right: Interval<V> = { ...i };
  const pieces: Interval<V>[] = [];
  if (cut.lower !== undefined) {
    lowerUpper(left, cut.lower, !cut.lowerInclusive, d);
    pieces.push(left);
  }
  if (cut.upper !== undefined) {
    raiseLower(right, cut.upper, !cut.upperInclusive, d);
    pieces.push(right);
  }
  return pieces.filter((p) => nonEmpty(p, d));
}

/** Whether some value lies in the bounds (and at or above the domain's floor). */
export function boundsSatisfiable<V>(b: Bounds<V>, d: RangeDomain<V>): boolean {
  const start: Interval<V> = { ...b };
  if (d.floor !== undefined) raiseLower(start, d.floor, true, d);
  let left = nonEmpty(start, d) ? [start] : [];
  for (const cut of b.excluded) left = left.flatMap((i) => subtract(i, cut, d));
  return left.length > 0;
}
