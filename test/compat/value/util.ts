// Helpers shared by the value compiler tests.
import assert from "node:assert/strict";
import type { Fact, LabelType } from "../../../src/compat/label-types.js";
import type { Matcher, PreparedFact, ValueSyntaxIssue } from "../../../src/compat/value/index.js";
import { compileValue, prepareFact } from "../../../src/compat/value/index.js";

export function compile(type: LabelType, value: string): Matcher {
  const result = compileValue(type, value);
  if (!result.ok) assert.fail(`${type} ${JSON.stringify(value)}: ${JSON.stringify(result.issues)}`);
  return result.matcher;
}

export function issues(type: LabelType, value: string): ValueSyntaxIssue[] {
  const result = compileValue(type, value);
  if (result.ok)
    assert.fail(`${type} ${JSON.stringify(value)} compiled to ${result.matcher.print()}`);
  return result.issues;
}

export function prepared(type: LabelType, fact: Fact): PreparedFact {
  const p = prepareFact(type, fact);
  if (p === undefined) assert.fail(`${type} fact ${JSON.stringify(fact)} was not readable`);
  return p;
}

/** Evaluates both paths and insists they agree, so every table case also checks explain(). */
export function evaluate(type: LabelType, value: string, fact: Fact): boolean {
  const m = compile(type, value);
  const f = prepared(type, fact);
  const fast = m.matches(f);
  assert.equal(m.explain(f).pass, fast, `explain disagrees with matches: ${m.explain(f).reason}`);
  return fast;
}

export type Case = readonly [value: string, fact: Fact, expected: boolean];

export function describeCase(type: LabelType, [value, fact, expected]: Case): string {
  return `${type} ${JSON.stringify(value)} ${expected ? "passes" : "fails"} for node fact ${JSON.stringify(fact)}`;
}
