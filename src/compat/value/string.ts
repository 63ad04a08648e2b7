// `string` values: one pattern list matched against the node's single value.
// Decisions: a leading `!` negates the whole list (`!A|B` passes when the value is neither A nor
// B), because "not A, or B" is almost always a typo for that; and matching is case-insensitive,
// because the same vendor or distro shows up as GenuineIntel/genuineintel or Ubuntu/ubuntu
// depending on the probe. A comma is an ordinary character here (model names contain commas).

import type { Glob } from "./glob.js";
import type { CompiledList, PatternList } from "./pattern.js";
import { compileList, coveredBy, hasExact, parsePatternList, printPatternList } from "./pattern.js";
import type { CompileResult, Matcher, MatchOutcome, PreparedFact } from "./types.js";
import { issueAt, needsHas, NEVER_SATISFIABLE, quote, wrongKind } from "./types.js";

const ANYTHING = [{ kind: "star" as const }];

class StringMatcher implements Matcher {
  readonly type = "string" as const;
  private knownSatisfiable: boolean | undefined;
  private readonly compiled: CompiledList;
  private printedText: string | undefined;

  constructor(
    readonly source: string,
    private readonly list: PatternList,
  ) {
    this.compiled = compileList(list);
  }

  /** Worked out on first use: bulk evaluation never prints. */
  private get printed(): string {
    this.printedText ??= printPatternList(this.list, "string");
    return this.printedText;
  }

  /** Only a negation can exclude every string, e.g. "!*". Worked out on first use. */
  get satisfiable(): boolean {
    this.knownSatisfiable ??=
      !this.list.negated ||
      !coveredBy(
        { parts: ANYTHING, lowerParts: ANYTHING, exact: undefined },
        this.list.alternatives,
      );
    return this.knownSatisfiable;
  }

  matches(fact: PreparedFact): boolean {
    if (fact.type !== "string") return false;
    const value = fact.lower;
    const { globs, negated } = this.compiled;
    if (hasExact(this.compiled, value)) return !negated;
    for (let i = 0; i < globs.length; i++) if ((globs[i] as Glob).test(value)) return !negated;
    return negated;
  }

  explain(fact: PreparedFact): MatchOutcome {
    if (fact.type !== "string") return wrongKind("string", fact);
    const pass = this.matches(fact);
    const has = fact.text === "" || fact.text.trim() !== fact.text ? quote(fact.text) : fact.text;
    return {
      pass,
      reason: needsHas(this.printed, has, this.satisfiable ? [] : [NEVER_SATISFIABLE]),
    };
  }

  print(): string {
    return this.printed;
  }
}

export function compileString(value: string): CompileResult {
  if (value.trim() === "") {
    return {
      ok: false,
      issues: [issueAt("empty value", 0, "write a value or a pattern such as *")],
    };
  }
  const parsed = parsePatternList(value, 0, value.length);
  if ("issue" in parsed) return { ok: false, issues: [parsed.issue] };
  return { ok: true, matcher: new StringMatcher(value, parsed.list) };
}
