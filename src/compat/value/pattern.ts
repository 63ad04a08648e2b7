// The pattern lists of `set` items and `string` values: `A|B` alternatives, a leading `!` that
// negates the whole list, `*`/`?` globs. A backslash makes the next character literal
// (`\*`, `\|`, `\,`, `\!`, `\\`, `\ ` for a space at either end), so any name can be written.
// Unescaped spaces around names are ignored. Matching is case-insensitive throughout.

import { globTextKey, nameKey, type NameForm } from "../canonical-names.js";
import type { GlobPart, SearchBudget } from "./glob.js";
import { Glob, globIncluded, searchBudget, SetGlob } from "./glob.js";
import type { ValueSyntaxIssue } from "./types.js";
import { isSpace, issueAt } from "./types.js";

export interface Pattern {
  readonly parts: readonly GlobPart[];
  /** Lower-cased parts in the label's canonical name form, for matching. */
  readonly lowerParts: readonly GlobPart[];
  /** The name's matching key (see canonical-names.ts) when there is no wildcard. */
  readonly exact: string | undefined;
}

export interface PatternList {
  readonly negated: boolean;
  readonly alternatives: readonly Pattern[];
}

/** Where a list is printed: a comma needs escaping only in a set, where it separates items. */
export type Dialect = "set" | "string";

function makePattern(parts: GlobPart[], form: NameForm | undefined): Pattern {
  const lowerParts: GlobPart[] = [];
  for (const p of parts) {
    if (p.kind !== "text") lowerParts.push(p);
    else {
      // Canonical text can be shorter (`avx512_*` → `avx512*`), even empty between wildcards.
      const text = globTextKey(form, p.text);
      if (text !== "") lowerParts.push({ kind: "text", text });
    }
  }
  const only = parts[0];
  const exact = parts.length === 1 && only?.kind === "text" ? nameKey(form, only.text) : undefined;
  return {
    parts,
    lowerParts: exact === undefined ? lowerParts : [{ kind: "text", text: exact }],
    exact,
  };
}

/**
 * Reads one pattern list from src[start, end); the caller has split set items at commas. Names
 * are matched in `form`'s canonical spelling when the label has one.
 */
export function parsePatternList(
  src: string,
  start: number,
  end: number,
  form?: NameForm,
): { list: PatternList } | { issue: ValueSyntaxIssue } {
  // No closures and no per-character objects: values may hold 100k names.
  let i = start;
  while (i < end && isSpace(src.charCodeAt(i))) i++;
  let negated = false;
  if (src.charAt(i) === "!" && i < end) {
    negated = true;
    const bang = i;
    i++;
    while (i < end && isSpace(src.charCodeAt(i))) i++;
    if (i >= end) return { issue: issueAt('expected a name after "!"', bang) };
  }
  const alternatives: Pattern[] = [];
  let previousBar = -1;
  for (;;) {
    while (i < end && isSpace(src.charCodeAt(i))) i++;
    if (src.charAt(i) === "!" && i < end) {
      return {
        issue: issueAt(
          '"!" may only start the list',
          i,
          'it negates every alternative; write "\\!" for a literal "!"',
        ),
      };
    }
    // Find the alternative's end; trailing spaces are dropped unless escaped.
    const from = i;
    let significantEnd = i;
    let plain = true;
    while (i < end) {
      const c = src.charCodeAt(i);
      if (c === BAR) break;
      if (c === BACKSLASH) {
        if (i + 1 >= end)
          return { issue: issueAt('dangling "\\"', i, 'write "\\\\" for a backslash') };
        plain = false;
        i += 2;
        significantEnd = i;
        continue;
      }
      if (c === STAR || c === QUESTION) plain = false;
      i++;
      if (!isSpace(c)) significantEnd = i;
    }
    if (significantEnd === from) {
      const at = previousBar >= 0 ? previousBar : i;
      return { issue: issueAt("empty alternative", at, 'alternatives are separated by one "|"') };
    }
    const parts: GlobPart[] = plain
      ? [{ kind: "text", text: src.slice(from, significantEnd) }]
      : globParts(src, from, significantEnd);
    alternatives.push(makePattern(parts, form));
    if (i >= end) break;
    previousBar = i;
    i++;
  }
  return { list: { negated, alternatives } };
}

const BAR = 124;
const BACKSLASH = 92;
const STAR = 42;
const QUESTION = 63;

/** The parts of src[from, to): text with escapes resolved, and the unescaped wildcards. */
function globParts(src: string, from: number, to: number): GlobPart[] {
  const parts: GlobPart[] = [];
  let text = "";
  for (let i = from; i < to; i++) {
    const c = src.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
      text += src.charAt(i);
    } else if (c === STAR || c === QUESTION) {
      if (text !== "") parts.push({ kind: "text", text });
      text = "";
      parts.push({ kind: c === STAR ? "star" : "one" });
    } else {
      text += src.charAt(i);
    }
  }
  if (text !== "") parts.push({ kind: "text", text });
  return parts;
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
  /** The same names in a Set when there are many, for lookups that stay cheap at 100k. */
  readonly exactSet: ReadonlySet<string> | undefined;
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
  const exactSet = exact.length > SMALL_LIST ? new Set(exact) : undefined;
  return { negated: list.negated, exact, exactSet, globs, setGlobs };
}

/** Up to this many names, a list is searched; beyond, looked up in a Set. */
const SMALL_LIST = 8;

/** Whether a name's matching key is one of the list's plain names. */
export function hasExact(list: CompiledList, key: string): boolean {
  return list.exactSet === undefined ? list.exact.includes(key) : list.exactSet.has(key);
}

/** Whether a name's matching key matches any alternative. */
export function listMatchesName(list: CompiledList, key: string): boolean {
  return hasExact(list, key) || list.globs.some((g) => g.test(key));
}

/**
 * Patterns that no name may match, arranged so that each check is cheap however many there are:
 * plain names in a Set, globs compiled once.
 */
export class ForbiddenNames {
  private readonly exact: ReadonlySet<string>;
  private readonly globs: readonly Glob[];
  private readonly all: readonly (readonly GlobPart[])[];

  constructor(patterns: readonly Pattern[]) {
    this.all = patterns.map((p) => p.lowerParts);
    this.exact = new Set(patterns.flatMap((p) => (p.exact === undefined ? [] : [p.exact])));
    this.globs = patterns.filter((p) => p.exact === undefined).map((p) => new Glob(p.lowerParts));
  }

  /**
   * Whether every name `p` matches is forbidden — then `p` can never be met. A plain name is
   * just looked up and tested; only a glob needs the automaton search, within `budget`.
   */
  cover(p: Pattern, budget: SearchBudget): boolean {
    if (this.all.length === 0) return false;
    const exact = p.exact;
    if (exact !== undefined) return this.exact.has(exact) || this.globs.some((g) => g.test(exact));
    return globIncluded(p.lowerParts, this.all, budget);
  }
}

/** {@link ForbiddenNames.cover} for a one-off check. */
export function coveredBy(
  p: Pattern,
  forbidden: readonly Pattern[],
  budget: SearchBudget = searchBudget(),
): boolean {
  return new ForbiddenNames(forbidden).cover(p, budget);
}
