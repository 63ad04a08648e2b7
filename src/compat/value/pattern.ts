// The pattern lists of `set` items and `string` values: `A|B` alternatives, a leading `!` that
// negates the whole list, `*`/`?` globs. A backslash makes the next character literal
// (`\*`, `\|`, `\,`, `\!`, `\\`, `\ ` for a space at either end), so any name can be written.
// Unescaped spaces around names are ignored. Matching is case-insensitive throughout.

import type { GlobPart, SearchBudget } from "./glob.js";
import { Glob, globIncluded, searchBudget, SetGlob } from "./glob.js";
import type { ValueSyntaxIssue } from "./types.js";
import { isSpace, issueAt } from "./types.js";

export interface Pattern {
  readonly parts: readonly GlobPart[];
  /** Lower-cased parts, for matching. */
  readonly lowerParts: readonly GlobPart[];
  /** The lower-cased name when there is no wildcard. */
  readonly exact: string | undefined;
}

export interface PatternList {
  readonly negated: boolean;
  readonly alternatives: readonly Pattern[];
}

/** Where a list is printed: a comma needs escaping only in a set, where it separates items. */
export type Dialect = "set" | "string";

function makePattern(parts: GlobPart[]): Pattern {
  const lowerParts = parts.map((p) =>
    p.kind === "text" ? { kind: "text" as const, text: p.text.toLowerCase() } : p,
  );
  const only = lowerParts[0];
  const exact = lowerParts.length === 1 && only?.kind === "text" ? only.text : undefined;
  return { parts, lowerParts, exact };
}

/** Reads one pattern list from src[start, end); the caller has split set items at commas. */
export function parsePatternList(
  src: string,
  start: number,
  end: number,
): { list: PatternList } | { issue: ValueSyntaxIssue } {
  let i = start;
  const skipSpace = (): void => {
    while (i < end && isSpace(src.charCodeAt(i))) i++;
  };
  skipSpace();
  let negated = false;
  if (src.charAt(i) === "!" && i < end) {
    negated = true;
    const bang = i;
    i++;
    skipSpace();
    if (i >= end) return { issue: issueAt('expected a name after "!"', bang) };
  }
  const alternatives: Pattern[] = [];
  let previousBar = -1;
  for (;;) {
    skipSpace();
    if (src.charAt(i) === "!" && i < end) {
      return {
        issue: issueAt(
          '"!" may only start the list',
          i,
          'it negates every alternative; write "\\!" for a literal "!"',
        ),
      };
    }
    // Characters with whether they were escaped, so trailing spaces trim only when unescaped.
    const chars: { ch: string; escaped: boolean }[] = [];
    while (i < end && src.charAt(i) !== "|") {
      const ch = src.charAt(i);
      if (ch === "\\") {
        if (i + 1 >= end)
          return { issue: issueAt('dangling "\\"', i, 'write "\\\\" for a backslash') };
        chars.push({ ch: src.charAt(i + 1), escaped: true });
        i += 2;
      } else {
        chars.push({ ch, escaped: false });
        i++;
      }
    }
    while (chars.length > 0) {
      const last = chars[chars.length - 1] as { ch: string; escaped: boolean };
      if (last.escaped || !isSpace(last.ch.charCodeAt(0))) break;
      chars.pop();
    }
    if (chars.length === 0) {
      const at = previousBar >= 0 ? previousBar : i;
      return { issue: issueAt("empty alternative", at, 'alternatives are separated by one "|"') };
    }
    const parts: GlobPart[] = [];
    let text = "";
    for (const { ch, escaped } of chars) {
      if (!escaped && (ch === "*" || ch === "?")) {
        if (text !== "") parts.push({ kind: "text", text });
        text = "";
        parts.push({ kind: ch === "*" ? "star" : "one" });
      } else {
        text += ch;
      }
    }
    if (text !== "") parts.push({ kind: "text", text });
    alternatives.push(makePattern(parts));
    if (i >= end) break;
    previousBar = i;
    i++;
  }
  return { list: { negated, alternatives } };
}

function printPattern(p: Pattern, dialect: Dialect): string {
  let out = "";
  const specials = dialect === "set" ? "\\|*?," : "\\|*?";
  const total = p.parts.reduce((n, part) => n + (part.kind === "text" ? part.text.length : 1), 0);
  let at = 0;
  for (const part of p.parts) {
    if (part.kind !== "text") {
      out += part.kind === "star" ? "*" : "?";
      at++;
      continue;
    }
    for (const ch of part.text) {
      const edge = at === 0 || at + ch.length === total;
      const escape =
        specials.includes(ch) || (at === 0 && ch === "!") || (edge && isSpace(ch.charCodeAt(0)));
      out += escape ? `\\${ch}` : ch;
      at += ch.length;
    }
  }
  return out;
}

export function printPatternList(list: PatternList, dialect: Dialect): string {
  const body = list.alternatives.map((p) => printPattern(p, dialect)).join("|");
  return list.negated ? `!${body}` : body;
}

/** The hot-path form: exact names for Set/equality lookups, glob matchers only for real globs. */
export interface CompiledList {
  readonly negated: boolean;
  readonly exact: readonly string[];
  /** The same globs, for testing against a whole set at once. */
  readonly setGlobs: readonly SetGlob[];
  /** The same globs, for testing one name. */
  readonly globs: readonly Glob[];
}

export function compileList(list: PatternList): CompiledList {
  const exact: string[] = [];
  const globs: Glob[] = [];
  const setGlobs: SetGlob[] = [];
  for (const p of list.alternatives) {
    if (p.exact !== undefined) {
      exact.push(p.exact);
    } else {
      globs.push(new Glob(p.lowerParts));
      setGlobs.push(new SetGlob(p.lowerParts));
    }
  }
  return { negated: list.negated, exact, globs, setGlobs };
}

/** Whether a name (already lower-cased) matches any alternative. */
export function listMatchesName(list: CompiledList, lower: string): boolean {
  return list.exact.includes(lower) || list.globs.some((g) => g.test(lower));
}

/**
 * Whether every name `p` matches is matched by one of `forbidden` — then `p` can never be met.
 * A plain name is just tested; only a glob needs the automaton search.
 */
export function coveredBy(
  p: Pattern,
  forbidden: readonly Pattern[],
  budget: SearchBudget = searchBudget(),
): boolean {
  if (forbidden.length === 0) return false;
  const exact = p.exact;
  if (exact !== undefined) {
    return forbidden.some((f) => f.exact === exact || new Glob(f.lowerParts).test(exact));
  }
  return globIncluded(
    p.lowerParts,
    forbidden.map((f) => f.lowerParts),
    budget,
  );
}
