// Whether a fact meets a range, read term by term from the AST by the operator meanings range.ts
// sets out, and which term failed. Apart from the bounds algebra because an explanation must name
// the failing term as it was written.

import type { Interval, RangeAst, RangeDomain, RangeOp, RangeTerm, Scalar } from "./range.js";
import { printTerm } from "./range.js";

function belowSpan<V>(x: V, s: Interval<V>, d: RangeDomain<V>): boolean {
  if (s.lower === undefined) return false;
  const c = d.compare(x, s.lower);
  return c < 0 || (c === 0 && !s.lowerInclusive);
}

function aboveSpan<V>(x: V, s: Interval<V>, d: RangeDomain<V>): boolean {
  if (s.upper === undefined) return false;
  const c = d.compare(x, s.upper);
  return c > 0 || (c === 0 && !s.upperInclusive);
}

function opHolds<V>(op: RangeOp, x: V, s: Interval<V>, d: RangeDomain<V>): boolean {
  switch (op) {
    case ">=":
      return !belowSpan(x, s, d);
    case ">":
      return aboveSpan(x, s, d);
    case "<=":
      return !aboveSpan(x, s, d);
    case "<":
      return belowSpan(x, s, d);
    case "=":
      return !belowSpan(x, s, d) && !aboveSpan(x, s, d);
    case "!=":
      return belowSpan(x, s, d) || aboveSpan(x, s, d);
  }
}

/** Evaluates one term directly from the AST; the explanation path uses it to name the culprit. */
export function termHolds<V>(term: RangeTerm<V>, x: V, d: RangeDomain<V>): boolean {
  switch (term.kind) {
    case "compare":
      return opHolds(term.op, x, d.span(term.operand.value), d);
    case "bare":
      return opHolds("=", x, d.span(term.operand.value), d);
    case "interval":
      return (
        (term.lower === undefined ||
          opHolds(term.lowerInclusive ? ">=" : ">", x, d.span(term.lower.value), d)) &&
        (term.upper === undefined ||
          opHolds(term.upperInclusive ? "<=" : "<", x, d.span(term.upper.value), d))
      );
  }
}

/** Whether `x` lies in the interval; the matcher's compiled alternatives use it for exclusions. */
export function inInterval<V>(x: V, i: Interval<V>, compare: (a: V, b: V) => number): boolean {
  if (i.lower !== undefined) {
    const c = compare(x, i.lower);
    if (c < 0 || (c === 0 && !i.lowerInclusive)) return false;
  }
  if (i.upper !== undefined) {
    const c = compare(x, i.upper);
    if (c > 0 || (c === 0 && !i.upperInclusive)) return false;
  }
  return true;
}

/**
 * Explanation notes for a failing value: the first failing term when there is one alternative,
 * since with several alternatives every one of them failed and the value itself says enough.
 */
export function failureNotes<V>(ast: RangeAst<V>, x: V, d: RangeDomain<V>): string[] {
  const only = ast.length === 1 ? ast[0] : undefined;
  if (only === undefined) return ["no alternative holds"];
  const failing = only.find((t) => !termHolds(t, x, d));
  if (failing === undefined) return [];
  // Where the end of a span decided (">5.15" starts at 5.16-alpha), say where that end is.
  const spans = d.describeSpan === undefined ? [] : upperEndScalars(failing).map(d.describeSpan);
  return [`fails ${printTerm(failing)}`, ...spans];
}

/** The scalars of a term that are read at the upper end of their span. */
function upperEndScalars<V>(term: RangeTerm<V>): Scalar<V>[] {
  switch (term.kind) {
    case "compare":
      return term.op === ">=" || term.op === "<" ? [] : [term.operand];
    case "bare":
      return [term.operand];
    case "interval": {
      const out: Scalar<V>[] = [];
      if (term.lower !== undefined && !term.lowerInclusive) out.push(term.lower);
      if (term.upper !== undefined && term.upperInclusive) out.push(term.upper);
      return out;
    }
  }
}

export function rangeHolds<V>(ast: RangeAst<V>, x: V, d: RangeDomain<V>): boolean {
  return ast.some((terms) => terms.every((t) => termHolds(t, x, d)));
}
