// Globs in set and string values: `*` is any run of characters, `?` exactly one character.

export type GlobPart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "star" }
  | { readonly kind: "one" };

/** A run of a glob between stars: plain text, or code units with ONE_CODE for each `?`. */
interface Segment {
  readonly text: string | undefined;
  readonly codes: readonly number[];
}

const ONE_CODE = -1;

function isPairAt(s: string, i: number): boolean {
  const hi = s.charCodeAt(i);
  if (hi < 0xd800 || hi > 0xdbff) return false;
  const lo = s.charCodeAt(i + 1);
  return lo >= 0xdc00 && lo <= 0xdfff;
}

/** Where `seg` ends when it starts at `i` in `s`, or -1. */
function matchAt(seg: Segment, s: string, i: number): number {
  if (seg.text !== undefined) return s.startsWith(seg.text, i) ? i + seg.text.length : -1;
  const codes = seg.codes;
  let at = i;
  for (let j = 0; j < codes.length; j++) {
    const c = codes[j] as number;
    if (at >= s.length) return -1;
    if (c === ONE_CODE) {
      // `?` is one character as a human counts it: a whole surrogate pair.
      at += isPairAt(s, at) ? 2 : 1;
    } else if (c === s.charCodeAt(at)) {
      at++;
    } else {
      return -1;
    }
  }
  return at;
}

/** Where the leftmost occurrence of `seg` at or after `from` ends, or -1. */
function findFrom(seg: Segment, s: string, from: number): number {
  if (seg.text !== undefined) {
    const at = s.indexOf(seg.text, from);
    return at < 0 ? -1 : at + seg.text.length;
  }
  for (let k = from; k <= s.length; k += isPairAt(s, k) ? 2 : 1) {
    const end = matchAt(seg, s, k);
    if (end >= 0) return end;
  }
  return -1;
}

/**
 * One glob over one name. Not a RegExp: values come from documents anyone can publish, and a
 * backtracking engine takes seconds on a glob like "*a*a*a*a*a*a*a*a*c". Between stars the
 * leftmost occurrence of each segment is always a safe choice, so matching is a left-to-right
 * scan of native startsWith/indexOf calls: at worst O(pattern × name), and allocation-free.
 */
export class Glob {
  private readonly head: Segment;
  /** Segments between stars; undefined when the glob has no star at all. */
  private readonly middle: readonly Segment[] | undefined;
  private readonly tail: Segment;
  /** The literal text every match starts with (up to the first wildcard). */
  readonly prefix: string;

  constructor(parts: readonly GlobPart[]) {
    const segments: Segment[] = [];
    let text = "";
    let codes: number[] = [];
    let plain = true;
    let prefix: string | undefined;
    const flush = (): void => {
      prefix ??= text;
      segments.push({ text: plain ? text : undefined, codes });
      text = "";
      codes = [];
      plain = true;
    };
    for (const p of parts) {
      if (p.kind === "star") {
        flush();
      } else if (p.kind === "one") {
        prefix ??= text;
        codes.push(ONE_CODE);
        plain = false;
      } else {
        text += p.text;
        for (let i = 0; i < p.text.length; i++) codes.push(p.text.charCodeAt(i));
      }
    }
    flush();
    this.prefix = prefix ?? "";
    this.head = segments[0] as Segment;
    this.tail = segments[segments.length - 1] as Segment;
    this.middle = segments.length === 1 ? undefined : segments.slice(1, -1);
  }

  test(s: string): boolean {
    const middle = this.middle;
    let at = matchAt(this.head, s, 0);
    if (middle === undefined) return at === s.length;
    if (at < 0) return false;
    for (let i = 0; i < middle.length; i++) {
      at = findFrom(middle[i] as Segment, s, at);
      if (at < 0) return false;
    }
    const tail = this.tail;
    if (tail.text !== undefined) {
      return s.length - tail.text.length >= at && s.endsWith(tail.text);
    }
    for (let k = at; k <= s.length; k += isPairAt(s, k) ? 2 : 1) {
      if (matchAt(tail, s, k) === s.length) return true;
    }
    return false;
  }
}

/**
 * Joins a set's names so that a `*L*` glob is one substring search. When some name holds the
 * separator the join is skipped and names are searched one by one.
 */
export const NAME_SEPARATOR = "\u0000";

/** A set's names, pre-arranged so that globs can be tested without visiting every name. */
export interface GlobbableNames {
  /** Lower-cased names, sorted by code unit. */
  readonly sorted: readonly string[];
  /** Each lower-cased name reversed by code unit, sorted. */
  readonly sortedReversed: readonly string[];
  /** Lower-cased names joined by NAME_SEPARATOR; undefined when a name holds the separator. */
  readonly joined: string | undefined;
}

export function reverseUnits(text: string): string {
  let out = "";
  for (let i = text.length - 1; i >= 0; i--) out += text.charAt(i);
  return out;
}

export function globbableNames(lowerNames: readonly string[]): GlobbableNames {
  const joined = lowerNames.some((n) => n.includes(NAME_SEPARATOR))
    ? undefined
    : lowerNames.join(NAME_SEPARATOR);
  return {
    sorted: lowerNames.slice().sort(),
    sortedReversed: lowerNames.map(reverseUnits).sort(),
    joined,
  };
}

/** The first index whose string is not below `key`; strings starting with `key` begin there. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function hasPrefix(sorted: readonly string[], prefix: string): boolean {
  const at = lowerBound(sorted, prefix);
  return at < sorted.length && (sorted[at] as string).startsWith(prefix);
}

/**
 * A glob over a whole set of names. The most common shapes, `L*` and `*L`, are binary searches
 * over sorted names; `*L*` is a substring search; other shapes test, one by one, the names that
 * start with the glob's literal prefix.
 */
export class SetGlob {
  private readonly kind: "prefix" | "suffix" | "infix" | "general";
  private readonly text: string;
  private readonly glob: Glob;

  constructor(parts: readonly GlobPart[]) {
    const shape = parts.filter((p, i) => !(p.kind === "star" && parts[i - 1]?.kind === "star"));
    const [a, b, c] = shape;
    this.glob = new Glob(parts);
    this.text = "";
    if (shape.length === 2 && a?.kind === "text" && b?.kind === "star") {
      this.kind = "prefix";
      this.text = a.text;
    } else if (shape.length === 2 && a?.kind === "star" && b?.kind === "text") {
      this.kind = "suffix";
      this.text = reverseUnits(b.text);
    } else if (
      shape.length === 3 &&
      a?.kind === "star" &&
      b?.kind === "text" &&
      c?.kind === "star" &&
      !b.text.includes(NAME_SEPARATOR)
    ) {
      this.kind = "infix";
      this.text = b.text;
    } else {
      this.kind = "general";
    }
  }

  /** Whether some name matches; `names` must be non-empty. */
  test(names: GlobbableNames): boolean {
    switch (this.kind) {
      case "prefix":
        return hasPrefix(names.sorted, this.text);
      case "suffix":
        return hasPrefix(names.sortedReversed, this.text);
      case "infix":
        // No name holds the separator, so any occurrence lies inside a single name.
        if (names.joined !== undefined) return names.joined.includes(this.text);
        break;
      case "general":
        break;
    }
    // Only names starting with the glob's literal prefix can match, and they sort together.
    const sorted = names.sorted;
    const prefix = this.glob.prefix;
    for (let i = prefix === "" ? 0 : lowerBound(sorted, prefix); i < sorted.length; i++) {
      const name = sorted[i] as string;
      if (!name.startsWith(prefix)) break;
      if (this.glob.test(name)) return true;
    }
    return false;
  }
}

const ONE = 0;
const STAR = 1;
/** A code point, or one of the two wildcards. */
type Token = string | typeof ONE | typeof STAR;

function tokens(parts: readonly GlobPart[]): Token[] {
  return parts.flatMap((p): Token[] =>
    p.kind === "star" ? [STAR] : p.kind === "one" ? [ONE] : Array.from(p.text),
  );
}

/**
 * Caps the work of one satisfiability check: adversarial globs can make the subset automaton
 * exponential, and a value that is merely not proven unsatisfiable costs only a missed warning.
 */
export interface SearchBudget {
  left: number;
}

export function searchBudget(): SearchBudget {
  return { left: 100_000 };
}

/**
 * Whether every string `sub` matches is matched by at least one of `sups` (all lower-cased).
 * It searches the product of `sub`'s automaton with the subset automaton of the union of `sups`
 * for a string that `sub` accepts and no `sup` does. Characters that appear in no pattern all
 * behave alike, so one symbol (null) stands for them and the alphabet stays finite. When the
 * budget runs out it answers false: "not shown to be included".
 */
export function globIncluded(
  sub: readonly GlobPart[],
  sups: readonly (readonly GlobPart[])[],
  budget: SearchBudget = searchBudget(),
): boolean {
  // Building the automata costs in proportion to the patterns: charge it first, so that many
  // checks against a long list of patterns stay within the budget too.
  if (budget.left < 0) return false;
  budget.left -= sups.reduce((n, p) => n + p.length + 1, sub.length);
  if (budget.left < 0) return false;
  const a = tokens(sub);
  // The union of `sups` as one automaton: each pattern's states numbered after the previous one's,
  // with a token per state (undefined marks a pattern's accepting end).
  const tok: (Token | undefined)[] = [];
  const starts: number[] = [];
  for (const p of sups) {
    starts.push(tok.length);
    tok.push(...tokens(p), undefined);
  }
  const alphabet: (string | null)[] = [null];
  for (const t of [...a, ...tok]) {
    if (typeof t === "string" && !alphabet.includes(t)) alphabet.push(t);
  }

  const closeInto = (pattern: readonly (Token | undefined)[], state: number, into: Set<number>) => {
    let s = state;
    into.add(s);
    while (pattern[s] === STAR) into.add(++s);
  };
  const subsetOf = (states: Iterable<number>): number[] => {
    const into = new Set<number>();
    for (const s of states) closeInto(tok, s, into);
    return [...into].sort((x, y) => x - y);
  };
  const step = (pattern: readonly (Token | undefined)[], state: number, ch: string | null) => {
    const t = pattern[state];
    if (t === undefined) return -1;
    if (t === STAR) return state;
    if (t === ONE) return state + 1;
    return t === ch ? state + 1 : -1;
  };

  const queue: [number, number[]][] = [];
  const visited = new Set<string>();
  const visit = (q: number, subset: number[]): void => {
    const reach = new Set<number>();
    closeInto(a, q, reach);
    for (const r of reach) {
      const k = `${r}|${subset.join(",")}`;
      if (!visited.has(k)) {
        visited.add(k);
        queue.push([r, subset]);
      }
    }
  };
  visit(0, subsetOf(starts));
  for (let head = 0; head < queue.length; head++) {
    const [q, subset] = queue[head] as [number, number[]];
    if (q === a.length && !subset.some((s) => tok[s] === undefined)) return false;
    for (const ch of alphabet) {
      budget.left -= subset.length + 1;
      if (budget.left < 0) return false;
      const next = step(a, q, ch);
      if (next < 0) continue;
      const moved: number[] = [];
      for (const s of subset) {
        const n = step(tok, s, ch);
        if (n >= 0) moved.push(n);
      }
      visit(next, subsetOf(moved));
    }
  }
  return true;
}
