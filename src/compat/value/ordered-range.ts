// The one matcher for values over an ordering (`version`, `quantity`): the range grammar of
// range.ts, compiled into alternatives of a single interval minus excluded spans, with the
// explanation and printing every ordered type shares. A type brings only its scalar (RangeDomain)
// and how it reads and describes a node's fact.

import type { Interval, RangeAst, RangeDomain } from "./range.js";
import { parseRange, printRange } from "./range.js";
import { boundsOf, boundsSatisfiable } from "./range-bounds.js";
import { failureNotes, inInterval, rangeHolds } from "./range-holds.js";
import type { CompileResult, Matcher, MatchOutcome, PreparedFact } from "./types.js";
import { needsHas, NEVER_SATISFIABLE, wrongKind } from "./types.js";

export interface OrderedType<V> extends RangeDomain<V> {
  readonly type: "version" | "quantity";
  /** The fact's value; undefined when the fact was prepared as another type. */
  valueOf(fact: PreparedFact): V | undefined;
  /** How the node's fact was read, when that is worth showing (e.g. "read as 5.15.0.91"). */
  readingNotes(fact: PreparedFact, value: V): string[];
}

/** One alternative, flattened for the hot path. */
interface Compiled<V> {
  readonly lower: V | undefined;
  readonly lowerInclusive: boolean;
  readonly upper: V | undefined;
  readonly upperInclusive: boolean;
  readonly excluded: readonly Interval<V>[];
}

class OrderedRangeMatcher<V> implements Matcher {
  readonly type: "version" | "quantity";
  readonly satisfiable: boolean;
  private readonly alternatives: readonly Compiled<V>[];
  private readonly compare: (a: V, b: V) => number;
  private readonly printed: string;

  constructor(
    readonly source: string,
    private readonly ast: RangeAst<V>,
    private readonly kind: OrderedType<V>,
  ) {
    this.type = kind.type;
    this.compare = kind.compare;
    // Alternatives that can never hold are dropped from the hot path; they would only cost time.
    this.alternatives = ast
      .map((terms) => boundsOf(terms, kind))
      .filter((b) => boundsSatisfiable(b, kind));
    this.satisfiable = this.alternatives.length > 0;
    this.printed = printRange(ast);
  }

  matches(fact: PreparedFact): boolean {
    const x = this.kind.valueOf(fact);
    if (x === undefined) return false;
    const compare = this.compare;
    const alternatives = this.alternatives;
    for (let i = 0; i < alternatives.length; i++) {
      const a = alternatives[i] as Compiled<V>;
      if (a.lower !== undefined) {
        const c = compare(x, a.lower);
        if (c < 0 || (c === 0 && !a.lowerInclusive)) continue;
      }
      if (a.upper !== undefined) {
        const c = compare(x, a.upper);
        if (c > 0 || (c === 0 && !a.upperInclusive)) continue;
      }
      let excluded = false;
      for (let j = 0; j < a.excluded.length; j++) {
        if (inInterval(x, a.excluded[j] as Interval<V>, compare)) {
          excluded = true;
          break;
        }
      }
      if (!excluded) return true;
    }
    return false;
  }

  explain(fact: PreparedFact): MatchOutcome {
    const x = this.kind.valueOf(fact);
    if (x === undefined) return wrongKind(this.type, fact);
    const pass = rangeHolds(this.ast, x, this.kind);
    const notes = this.kind.readingNotes(fact, x);
    if (!pass) notes.push(...failureNotes(this.ast, x, this.kind));
    if (!this.satisfiable) notes.push(NEVER_SATISFIABLE);
    // A fact that yields a value is a version or a quantity, and both keep their text.
    return { pass, reason: needsHas(this.printed, "text" in fact ? fact.text : "", notes) };
  }

  print(): string {
    return this.printed;
  }
}

/** Compiles a value of an ordered type; syntax problems come back as issues with their column. */
export function compileOrderedRange<V>(value: string, kind: OrderedType<V>): CompileResult {
  const parsed = parseRange(value, kind);
  if (!parsed.ok) return parsed;
  return { ok: true, matcher: new OrderedRangeMatcher(value, parsed.ast, kind) };
}
