// `bool` values: exactly `true` or `false` (any case). Other spellings (yes/no/1/0) are rejected
// so a typo in a spec never silently turns into a requirement.

import type { CompileResult, Matcher, MatchOutcome, PreparedFact } from "./types.js";
import { isSpace, issueAt, needsHas, quote, wrongKind } from "./types.js";

export function readBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  return t === "true" ? true : t === "false" ? false : undefined;
}

class BoolMatcher implements Matcher {
  readonly type = "bool" as const;
  readonly satisfiable = true;

  constructor(
    readonly source: string,
    private readonly value: boolean,
  ) {}

  matches(fact: PreparedFact): boolean {
    return fact.type === "bool" && fact.value === this.value;
  }

  explain(fact: PreparedFact): MatchOutcome {
    if (fact.type !== "bool") return wrongKind("bool", fact);
    return { pass: this.matches(fact), reason: needsHas(this.print(), String(fact.value), []) };
  }

  print(): string {
    return String(this.value);
  }
}

export function compileBool(value: string): CompileResult {
  const parsed = readBool(value);
  if (parsed === undefined) {
    let at = 0;
    while (at < value.length && isSpace(value.charCodeAt(at))) at++;
    const found = value.trim() === "" ? "an empty value" : quote(value.trim());
    return { ok: false, issues: [issueAt(`expected true or false, found ${found}`, at)] };
  }
  return { ok: true, matcher: new BoolMatcher(value, parsed) };
}
