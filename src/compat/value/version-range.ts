// `version` values: ranges over versions, where a bare version is a prefix ("5.15" is 5.15.x).

import type { RangeAst, RangeDomain } from "./range.js";
import {
  boundsOf,
  boundsSatisfiable,
  failureNotes,
  parseRange,
  printRange,
  rangeHolds,
} from "./range.js";
import type { CompileResult, Matcher, MatchOutcome, PreparedFact } from "./types.js";
import { needsHas, NEVER_SATISFIABLE, wrongKind } from "./types.js";
import { compareParts, lexVersion, nextPrefix } from "./version.js";

type Parts = readonly number[];

export const versionDomain: RangeDomain<Parts> = {
  noun: "version",
  lex: lexVersion,
  compare: compareParts,
  // Prefix equality with missing components as 0 is exactly the half-open interval
  // [V, V with its last component + 1): "5.15" covers 5.15 … 5.15.999 but not 5.16 or 5.150.
  bare: (v) => ({
    lower: v,
    lowerInclusive: true,
    upper: nextPrefix(v),
    upperInclusive: false,
    excluded: [],
  }),
  floor: [0],
};

/** One alternative, flattened for the hot path. */
interface Compiled {
  readonly lower: Parts | undefined;
  readonly lowerInclusive: boolean;
  readonly upper: Parts | undefined;
  readonly upperInclusive: boolean;
  readonly excluded: readonly Parts[];
}

class VersionMatcher implements Matcher {
  readonly type = "version" as const;
  readonly satisfiable: boolean;
  private readonly alternatives: readonly Compiled[];
  private readonly printed: string;

  constructor(
    readonly source: string,
    private readonly ast: RangeAst<Parts>,
  ) {
    const all = ast.map((terms) => boundsOf(terms, versionDomain));
    // Alternatives that can never hold are dropped from the hot path; they would only cost time.
    this.alternatives = all.filter((b) => boundsSatisfiable(b, versionDomain));
    this.satisfiable = this.alternatives.length > 0;
    this.printed = printRange(ast);
  }

  matches(fact: PreparedFact): boolean {
    if (fact.type !== "version") return false;
    const x = fact.parts;
    const alternatives = this.alternatives;
    for (let i = 0; i < alternatives.length; i++) {
      const a = alternatives[i] as Compiled;
      if (a.lower !== undefined) {
        const c = compareParts(x, a.lower);
        if (c < 0 || (c === 0 && !a.lowerInclusive)) continue;
      }
      if (a.upper !== undefined) {
        const c = compareParts(x, a.upper);
        if (c > 0 || (c === 0 && !a.upperInclusive)) continue;
      }
      let excluded = false;
      for (let j = 0; j < a.excluded.length; j++) {
        if (compareParts(x, a.excluded[j] as Parts) === 0) {
          excluded = true;
          break;
        }
      }
      if (!excluded) return true;
    }
    return false;
  }

  explain(fact: PreparedFact): MatchOutcome {
    if (fact.type !== "version") return wrongKind("version", fact);
    const pass = rangeHolds(this.ast, fact.parts, versionDomain);
    const notes: string[] = [];
    // Show how a distro-decorated version was read, since that is where comparisons surprise.
    const read = fact.parts.join(".");
    if (read !== fact.text) notes.push(`read as ${read}`);
    if (!pass) notes.push(...failureNotes(this.ast, fact.parts, versionDomain));
    if (!this.satisfiable) notes.push(NEVER_SATISFIABLE);
    return { pass, reason: needsHas(this.printed, fact.text, notes) };
  }

  print(): string {
    return this.printed;
  }
}

export function compileVersion(value: string): CompileResult {
  const parsed = parseRange(value, versionDomain);
  if (!parsed.ok) return parsed;
  return { ok: true, matcher: new VersionMatcher(value, parsed.ast) };
}
