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
// contradict each other, however short the scalar is. This module holds the grammar: its AST, the
// parser and the printer; range-bounds.ts and range-holds.ts apply these meanings.

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
