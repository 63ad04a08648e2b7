// Shapes shared by every value type of the compatibility language (docs/compat-language.md).
import type { NameForm } from "../canonical-names.js";
import type { LabelType } from "../label-types.js";
import type { GlobbableNames } from "./glob.js";

export interface ValueSyntaxIssue {
  message: string;
  /** 1-based column in the value string (UTF-16 code units, as JavaScript counts them). */
  column: number;
}

export interface MatchOutcome {
  pass: boolean;
  /** For humans: what the value needs and what the node has, e.g. `needs >=2.31; node has 2.28`. */
  reason: string;
}

export interface Matcher {
  readonly type: LabelType;
  /** The original value string. */
  readonly source: string;
  /** Fast path for bulk evaluation: no allocation per call. */
  matches(fact: PreparedFact): boolean;
  /** Slow path with an explanation; always agrees with matches(). */
  explain(fact: PreparedFact): MatchOutcome;
  /** Canonical text; compileValue(type, m.print()) yields an equivalent matcher with the same print(). */
  print(): string;
  /** False when no fact can ever pass, e.g. ">=5, <4" or "A,!A". */
  readonly satisfiable: boolean;
  /** Set values only: the plain names (no wildcard) as written, for spelling checks. */
  literalNames?(): readonly string[];
  /**
   * Set values only: one matcher per comma-separated item; the value holds iff every one does.
   * Fleet matrices evaluate each distinct item once, since thousands of values share few items.
   */
  conjuncts?(): readonly Matcher[];
}

export type CompileResult =
  { ok: true; matcher: Matcher } | { ok: false; issues: ValueSyntaxIssue[] };

// Prepared facts are parsed once per node and reused across every label value that reads them;
// callers should treat them as opaque and only build them with prepareFact().

export interface PreparedVersion {
  readonly type: "version";
  readonly text: string;
  readonly parts: readonly number[];
}

export interface PreparedSet {
  readonly type: "set";
  /** The node's items as given, for explanations. */
  readonly items: readonly string[];
  /** Each item's matching key (lower case, canonical when the label has a name form). */
  readonly lowerList: readonly string[];
  readonly lower: ReadonlySet<string>;
  /** The keys and, for CPU features, their other spellings, arranged for globs. */
  readonly globbable: GlobbableNames;
  /** The label's name form, when its names have a canonical spelling. */
  readonly form: NameForm | undefined;
}

export interface PreparedString {
  readonly type: "string";
  readonly text: string;
  readonly lower: string;
}

export interface PreparedBool {
  readonly type: "bool";
  readonly value: boolean;
}

export interface PreparedQuantity {
  readonly type: "quantity";
  readonly text: string;
  readonly value: number;
}

export type PreparedFact =
  PreparedVersion | PreparedSet | PreparedString | PreparedBool | PreparedQuantity;

/** An issue whose message ends with the column, plus an optional hint in parentheses. */
export function issueAt(message: string, index: number, hint?: string): ValueSyntaxIssue {
  const column = index + 1;
  return { message: `${message} at column ${column}${hint ? ` (${hint})` : ""}`, column };
}

export function quote(text: string): string {
  return JSON.stringify(text);
}

/** The reason given when a matcher is handed a fact prepared for another type. */
export function wrongKind(expected: LabelType, fact: PreparedFact): MatchOutcome {
  return { pass: false, reason: `node fact was read as a ${fact.type}, not a ${expected}` };
}

export function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/** Added to explanations of unsatisfiable values, so authors fix the value, not the node. */
export const NEVER_SATISFIABLE = "no node can satisfy this value";

/** "needs X; node has Y (note; note)" — one shape for every type so reports line up. */
export function needsHas(needs: string, has: string, notes: readonly string[]): string {
  return `needs ${needs}; node has ${has}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`;
}
