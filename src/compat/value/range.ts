// The range grammar shared by `version` and `quantity` values:
//   value    := alt ("||" alt)*            any alternative holds
//   alt      := term ("," term)*           every term holds
//   term     := op scalar | interval | scalar
//   op       := ">=" | ">" | "<=" | "<" | "=" | "!="
//   interval := ("[" | "(") scalar? "," scalar? ("]" | ")")   a missing end is open
// Whitespace may surround every token.
//
// Every operator is defined by the span a scalar stands for (RangeDomain.span): a quantity is the
// single point it names, a version the half-open interval of every version it is a short form of
// (5.15 is [5.15, 5.16-alpha)). Then "=" and a bare scalar mean "in the span", "!=" "outside it",
// "<" "below it", "<=" "below or in it", ">" "above it" and ">=" "in or above it"; an interval's
// "[a" is ">=a", "(a" is ">a", "b]" is "<=b" and "b)" is "<b". So the operators of one scalar never
// contradict each other, however short the scalar is.

import type { ValueSyntaxIssue } from "./types.js";
import { isSpace, issueAt, quote } from "./types.js";

export type RangeOp = ">=" | ">" | "<=" | "<" | "=" | "!=";

export interface Scalar<V> {
  readonly value: V;
  /** Canonical token text, printed back as is. */
  readonly text: string;
}

export type RangeTerm<V> =
  | { readonly kind: "compare"; readonly op: RangeOp; readonly operand: Scalar<V> }
  | { readonly kind: "bare"; readonly operand: Scalar<V> }
  | {
      readonly kind: "interval";
      readonly lower: Scalar<V> | undefined;
      readonly lowerInclusive: boolean;
      readonly upper: Scalar<V> | undefined;
      readonly upperInclusive: boolean;
    };

/** Alternatives (OR) of conjunctions (AND). */
export type RangeAst<V> = readonly (readonly RangeTerm<V>[])[];

export type LexResult<V> = { value: V; text: string; end: number } | { issue: ValueSyntaxIssue };

/** Everything the grammar needs to know about one kind of scalar. */
export interface RangeDomain<V> {
  readonly noun: string;
  /** Reads one scalar starting at `pos`, which holds a character that is not a space. */
  lex(src: string, pos: number): LexResult<V>;
  compare(a: V, b: V): number;
  /** The values a scalar stands for, with both ends given. */
  span(value: V): Interval<V>;
  /** The least value any fact can have, when there is one (versions never go below 0-alpha). */
  readonly floor: V | undefined;
  /** Says what a scalar's span is, for explanations; absent when a scalar is a single point. */
  describeSpan?(scalar: Scalar<V>): string;
}

/** A contiguous set of values; an end that is undefined is unbounded. */
export interface Interval<V> {
  lower: V | undefined;
  lowerInclusive: boolean;
  upper: V | undefined;
  upperInclusive: boolean;
}

/** One alternative reduced to a single interval minus some intervals. */
export interface Bounds<V> extends Interval<V> {
  excluded: Interval<V>[];
}

const OPS: ReadonlyMap<string, RangeOp> = new Map([
  [">=", ">="],
  [">", ">"],
  ["<=", "<="],
  ["<", "<"],
  ["=", "="],
  ["!=", "!="],
]);

// Operators people bring from other tools, mapped to what they most likely meant.
const OP_HINTS: ReadonlyMap<string, string> = new Map([
  ["=>", 'did you mean ">="?'],
  ["=<", 'did you mean "<="?'],
  ["==", 'did you mean "="?'],
  ["===", 'did you mean "="?'],
  ["!", 'did you mean "!="?'],
  ["!==", 'did you mean "!="?'],
  ["<>", 'did you mean "!="?'],
  ["~", 'use an interval such as "[1.2, 1.3)"'],
  ["^", 'use an interval such as "[1.2, 2)"'],
  ["~=", 'use an interval such as "[1.2, 1.3)"'],
  ["~>", 'use an interval such as "[1.2, 1.3)"'],
]);

const OP_CHARS = "<>=!~^";

class RangeParser<V> {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly domain: RangeDomain<V>,
  ) {}

  parse(): { ast: RangeAst<V> } | { issue: ValueSyntaxIssue } {
    this.skipSpace();
    if (this.atEnd()) {
      return {
        issue: issueAt(`expected a ${this.domain.noun} constraint, found an empty value`, 0),
      };
    }
    const alternatives: RangeTerm<V>[][] = [];
    let terms: RangeTerm<V>[] = [];
    for (;;) {
      const term = this.term();
      if ("issue" in term) return term;
      terms.push(term.term);
      this.skipSpace();
      if (this.atEnd()) break;
      const c = this.src.charAt(this.pos);
      if (c === ",") {
        this.pos++;
        const after = this.expectMore('","');
        if (after) return { issue: after };
      } else if (c === "|" && this.src.charAt(this.pos + 1) === "|") {
        this.pos += 2;
        alternatives.push(terms);
        terms = [];
        const after = this.expectMore('"||"');
        if (after) return { issue: after };
      } else if (c === "|") {
        return { issue: issueAt('expected "||"', this.pos, 'alternatives are joined by "||"') };
      } else {
        const hint = OP_CHARS.includes(c)
          ? `found ${quote(c)}; join constraints with ","`
          : `found ${quote(c)}`;
        return { issue: issueAt(`expected "," or "||" after a constraint`, this.pos, hint) };
      }
    }
    alternatives.push(terms);
    return { ast: alternatives };
  }

  /** After a separator another term must follow. */
  private expectMore(separator: string): ValueSyntaxIssue | undefined {
    this.skipSpace();
    if (this.atEnd()) {
      return issueAt(`expected a ${this.domain.noun} constraint after ${separator}`, this.pos);
    }
    const c = this.src.charAt(this.pos);
    if (c === "," || c === "|") return issueAt("empty constraint", this.pos);
    return undefined;
  }

  private term(): { term: RangeTerm<V> } | { issue: ValueSyntaxIssue } {
    const { src, domain } = this;
    const c = src.charAt(this.pos);
    if (OP_CHARS.includes(c)) {
      const start = this.pos;
      while (this.pos < src.length && OP_CHARS.includes(src.charAt(this.pos))) this.pos++;
      const text = src.slice(start, this.pos);
      const op = OPS.get(text);
      if (op === undefined) {
        return { issue: issueAt(`unknown operator ${quote(text)}`, start, OP_HINTS.get(text)) };
      }
      this.skipSpace();
      const next = src.charAt(this.pos);
      if (next !== "" && OP_CHARS.includes(next)) {
        const hint = OPS.has(text + next)
          ? `write ${quote(text + next)} without a space`
          : undefined;
        return { issue: issueAt(`unexpected ${quote(next)} after ${quote(op)}`, this.pos, hint) };
      }
      if (this.atEnd() || ",|)]".includes(next)) {
        return { issue: issueAt(`expected a ${domain.noun} after ${quote(op)}`, this.pos) };
      }
      const operand = this.scalar();
      if ("issue" in operand) return operand;
      return { term: { kind: "compare", op, operand: operand.scalar } };
    }
    if (c === "[" || c === "(") return this.interval();
    if (c === ")" || c === "]") return { issue: issueAt(`unexpected ${quote(c)}`, this.pos) };
    const operand = this.scalar();
    if ("issue" in operand) return operand;
    return { term: { kind: "bare", operand: operand.scalar } };
  }

  private interval(): { term: RangeTerm<V> } | { issue: ValueSyntaxIssue } {
    const { src } = this;
    const open = this.pos;
    const unclosed = { issue: issueAt("unclosed interval", open) };
    const lowerInclusive = src.charAt(this.pos) === "[";
    this.pos++;
    this.skipSpace();
    if (this.atEnd()) return unclosed;
    let lower: Scalar<V> | undefined;
    if (src.charAt(this.pos) !== ",") {
      if ("])".includes(src.charAt(this.pos))) {
        return { issue: issueAt('an interval needs two ends separated by ","', this.pos) };
      }
      const read = this.scalar();
      if ("issue" in read) return read;
      lower = read.scalar;
      this.skipSpace();
      if (this.atEnd()) return unclosed;
      if (src.charAt(this.pos) !== ",") {
        const c = src.charAt(this.pos);
        return {
          issue: "])".includes(c)
            ? issueAt('an interval needs two ends separated by ","', this.pos)
            : issueAt(
                'expected "," between the ends of the interval',
                this.pos,
                `found ${quote(c)}`,
              ),
        };
      }
    }
    this.pos++;
    this.skipSpace();
    if (this.atEnd()) return unclosed;
    let upper: Scalar<V> | undefined;
    if (!"])".includes(src.charAt(this.pos))) {
      const read = this.scalar();
      if ("issue" in read) return read;
      upper = read.scalar;
      this.skipSpace();
      if (this.atEnd()) return unclosed;
    }
    const close = src.charAt(this.pos);
    if (close !== "]" && close !== ")") {
      return {
        issue: issueAt(
          `expected "]" or ")" to close the interval opened at column ${open + 1}`,
          this.pos,
          `found ${quote(close)}`,
        ),
      };
    }
    this.pos++;
    // An open end is unbounded whichever bracket was written; keep one spelling of it.
    return {
      term: {
        kind: "interval",
        lower,
        lowerInclusive: lower !== undefined && lowerInclusive,
        upper,
        upperInclusive: upper !== undefined && close === "]",
      },
    };
  }

  private scalar(): { scalar: Scalar<V> } | { issue: ValueSyntaxIssue } {
    const read = this.domain.lex(this.src, this.pos);
    if ("issue" in read) return read;
    this.pos = read.end;
    return { scalar: { value: read.value, text: read.text } };
  }

  private skipSpace(): void {
    while (this.pos < this.src.length && isSpace(this.src.charCodeAt(this.pos))) this.pos++;
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }
}

/**
 * Parses a range value. Only the first problem is reported: after a broken term the rest of the
 * line rarely parses the way the author meant, so further messages would mislead.
 */
export function parseRange<V>(
  src: string,
  domain: RangeDomain<V>,
): { ok: true; ast: RangeAst<V> } | { ok: false; issues: ValueSyntaxIssue[] } {
  const result = new RangeParser(src, domain).parse();
  return "issue" in result ? { ok: false, issues: [result.issue] } : { ok: true, ast: result.ast };
}

export function printTerm<V>(term: RangeTerm<V>): string {
  switch (term.kind) {
    case "compare":
      return `${term.op}${term.operand.text}`;
    case "bare":
      return term.operand.text;
    case "interval": {
      const open = term.lowerInclusive ? "[" : "(";
      const close = term.upperInclusive ? "]" : ")";
      const lower = term.lower?.text ?? "";
      const upper = term.upper?.text ?? "";
      const sep = term.lower !== undefined && term.upper !== undefined ? ", " : ",";
      return `${open}${lower}${sep}${upper}${close}`;
    }
  }
}

export function printRange<V>(ast: RangeAst<V>): string {
  return ast.map((terms) => terms.map(printTerm).join(", ")).join(" || ");
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
