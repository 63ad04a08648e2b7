// `set` values: comma-separated items, each a pattern list that must hold against the node's set.
// A positive item holds when some node name matches one of its alternatives; a negated item
// (`!A|B`) holds when no node name matches any of them.

import { keySpellings, type NameForm } from "../canonical-names.js";
import type { Glob, SetGlob } from "./glob.js";
import { searchBudget } from "./glob.js";
import type { CompiledList, PatternList } from "./pattern.js";
import { compileList, ForbiddenNames, parsePatternList, printPatternList } from "./pattern.js";
import type {
  CompileResult,
  Matcher,
  MatchOutcome,
  PreparedFact,
  PreparedSet,
  ValueSyntaxIssue,
} from "./types.js";
import { isSpace, issueAt, needsHas, NEVER_SATISFIABLE, wrongKind } from "./types.js";

/** Beyond this many names an explanation would drown the reader; the rest are counted. */
const SHOWN_NAMES = 12;

export function describeSet(names: readonly string[]): string {
  if (names.length === 0) return "an empty set";
  const shown = names.slice(0, SHOWN_NAMES).join(", ");
  return names.length > SHOWN_NAMES ? `${shown}, … (+${names.length - SHOWN_NAMES} more)` : shown;
}

class SetMatcher implements Matcher {
  readonly type = "set" as const;
  private knownSatisfiable: boolean | undefined;
  private readonly compiled: readonly CompiledList[];
  private printedText: string | undefined;

  constructor(
    readonly source: string,
    private readonly items: readonly PatternList[],
  ) {
    this.compiled = items.map(compileList);
  }

  /** Worked out on first use: bulk evaluation never prints. */
  private get printed(): string {
    this.printedText ??= this.items.map((item) => printPatternList(item, "set")).join(", ");
    return this.printedText;
  }

  /**
   * Node sets are independent names, so each positive item needs only one witness that no
   * negated item forbids; the value is unsatisfiable exactly when some positive item has none.
   * Worked out on first use: bulk evaluation never asks.
   */
  get satisfiable(): boolean {
    if (this.knownSatisfiable === undefined) {
      const forbidden = new ForbiddenNames(
        this.items.filter((i) => i.negated).flatMap((i) => i.alternatives),
      );
      const budget = searchBudget();
      this.knownSatisfiable = this.items.every(
        (item) => item.negated || !item.alternatives.every((p) => forbidden.cover(p, budget)),
      );
    }
    return this.knownSatisfiable;
  }

  matches(fact: PreparedFact): boolean {
    if (fact.type !== "set") return false;
    const compiled = this.compiled;
    for (let i = 0; i < compiled.length; i++) {
      const item = compiled[i] as CompiledList;
      if (itemHit(item, fact) === item.negated) return false;
    }
    return true;
  }

  explain(fact: PreparedFact): MatchOutcome {
    if (fact.type !== "set") return wrongKind("set", fact);
    const missing: string[] = [];
    // Indexes of the node's names that a negated item forbids, shown in the node's order.
    const forbiddenAt = new Set<number>();
    let positions: ReadonlyMap<string, readonly number[]> | undefined;
    this.items.forEach((item, n) => {
      const compiled = this.compiled[n] as CompiledList;
      if (!item.negated) {
        if (!itemHit(compiled, fact)) missing.push(printPatternList(item, "set"));
        return;
      }
      positions ??= namePositions(fact);
      for (const key of compiled.exact)
        for (const at of positions.get(key) ?? []) forbiddenAt.add(at);
      if (compiled.globs.length > 0) {
        fact.lowerList.forEach((key, at) => {
          const spellings = keySpellings(fact.form, key);
          if (compiled.globs.some((g: Glob) => spellings.some((name) => g.test(name)))) {
            forbiddenAt.add(at);
          }
        });
      }
    });
    const present = [
      ...new Set([...forbiddenAt].sort((a, b) => a - b).map((at) => fact.items[at] as string)),
    ];
    const notes: string[] = [];
    if (missing.length > 0) notes.push(`missing: ${missing.join(", ")}`);
    if (present.length > 0) notes.push(`forbidden but present: ${present.join(", ")}`);
    if (!this.satisfiable) notes.push(NEVER_SATISFIABLE);
    const pass = missing.length === 0 && present.length === 0;
    return { pass, reason: needsHas(this.printed, describeSet(fact.items), notes) };
  }

  print(): string {
    return this.printed;
  }

  conjuncts(): readonly Matcher[] {
    if (this.items.length <= 1) return [this];
    return this.items.map((item) => new SetMatcher(printPatternList(item, "set"), [item]));
  }

  literalNames(): readonly string[] {
    const out: string[] = [];
    for (const item of this.items) {
      for (const p of item.alternatives) {
        const only = p.parts[0];
        if (p.exact !== undefined && only?.kind === "text") out.push(only.text);
      }
    }
    return out;
  }
}

/** Whether some node name matches one of the item's alternatives: lookups, then set globs. */
function itemHit(item: CompiledList, fact: PreparedSet): boolean {
  const keys = fact.lower;
  for (let j = 0; j < item.exact.length; j++) if (keys.has(item.exact[j] as string)) return true;
  if (fact.lowerList.length === 0) return false;
  for (let j = 0; j < item.setGlobs.length; j++) {
    if ((item.setGlobs[j] as SetGlob).test(fact.globbable)) return true;
  }
  return false;
}

/** Each matching key of the node's names → where it occurs in the node's list. */
function namePositions(fact: PreparedSet): Map<string, number[]> {
  const out = new Map<string, number[]>();
  fact.lowerList.forEach((key, at) => {
    const list = out.get(key);
    if (list === undefined) out.set(key, [at]);
    else list.push(at);
  });
  return out;
}

/**
 * Splits at unescaped commas and parses every item, reporting every broken item: items are
 * independent, so one typo does not make the next item's message misleading.
 */
export function compileSet(value: string, form?: NameForm): CompileResult {
  const items: PatternList[] = [];
  const issues: ValueSyntaxIssue[] = [];
  let start = 0;
  const finishItem = (end: number, isLast: boolean): void => {
    let first = start;
    while (first < end && isSpace(value.charCodeAt(first))) first++;
    if (first === end) {
      // Nothing after the last comma is the allowed trailing comma; nothing at all is not.
      if (!isLast) issues.push(issueAt("empty item", end));
      else if (start === 0) issues.push(issueAt("empty value", 0, "write at least one name"));
      return;
    }
    const parsed = parsePatternList(value, first, end, form);
    if ("issue" in parsed) issues.push(parsed.issue);
    else items.push(parsed.list);
  };
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    if (ch === "\\") {
      i++;
    } else if (ch === ",") {
      finishItem(i, false);
      start = i + 1;
    }
  }
  finishItem(value.length, true);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, matcher: new SetMatcher(value, items) };
}
