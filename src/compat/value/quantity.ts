// `quantity` values: the range grammar over plain numbers with decimal (k M G T) and binary
// (Ki Mi Gi Ti) suffixes. A bare quantity means equality. Quantities are real numbers, so
// ">4, <5" is satisfiable (4.5) even though a CPU count never lands there.

import type { LexResult, RangeAst, RangeDomain } from "./range.js";
import {
  boundsOf,
  boundsSatisfiable,
  failureNotes,
  parseRange,
  printRange,
  rangeHolds,
} from "./range.js";
import type { CompileResult, Matcher, MatchOutcome, PreparedFact } from "./types.js";
import { isSpace, issueAt, needsHas, NEVER_SATISFIABLE, quote, wrongKind } from "./types.js";

/** Suffix → [base, power]. */
const UNITS: ReadonlyMap<string, readonly [1000 | 1024, number]> = new Map([
  ["k", [1000, 1]],
  ["M", [1000, 2]],
  ["G", [1000, 3]],
  ["T", [1000, 4]],
  ["Ki", [1024, 1]],
  ["Mi", [1024, 2]],
  ["Gi", [1024, 3]],
  ["Ti", [1024, 4]],
]);

const UNIT_LIST = "k M G T Ki Mi Gi Ti";

function applyUnit(number: string, unit: string): number | undefined {
  if (unit === "") return Number(number);
  const scale = UNITS.get(unit);
  if (scale === undefined) return undefined;
  const [base, power] = scale;
  // Decimal scaling goes through the exponent so "0.3k" is exactly 300, not 300.00000000000006;
  // binary scaling multiplies by a power of two, which is exact.
  return base === 1000 ? Number(`${number}e${3 * power}`) : Number(number) * base ** power;
}

const QUANTITY = /^(\d+(?:\.\d+)?|\.\d+)[ \t]*([A-Za-z]*)$/;

/** "64Gi" → 68719476736, "1.5k" → 1500, "12" → 12; undefined when the text is not a quantity. */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (m === null) return undefined;
  return applyUnit(m[1] as string, m[2] as string);
}

function unitHint(unit: string): string {
  if (unit === "K" || unit === "KB") return 'did you mean "k" (×1000) or "Ki" (×1024)?';
  const candidates = [unit, unit.replace(/[bB]$/, "")];
  for (const c of candidates) {
    for (const known of UNITS.keys()) {
      if (known === c || known.toLowerCase() === c.toLowerCase())
        return `did you mean ${quote(known)}?`;
    }
  }
  return `units are ${UNIT_LIST}`;
}

const NUMBER = /\d+(?:\.\d+)?|\.\d+/y;
const LETTERS = /[A-Za-z]+/y;

function lexQuantity(src: string, pos: number): LexResult<number> {
  NUMBER.lastIndex = pos;
  const number = NUMBER.exec(src);
  if (number === null) {
    const word = /[^\s,|()[\]]*/y;
    word.lastIndex = pos;
    const text = word.exec(src)?.[0] ?? "";
    return text === ""
      ? { issue: issueAt("expected a quantity", pos, `found ${quote(src.charAt(pos))}`) }
      : { issue: issueAt(`${quote(text)} is not a quantity`, pos, "write a number such as 64Gi") };
  }
  let end = pos + number[0].length;
  // A space before the unit is tolerated ("64 Gi"); the canonical text drops it.
  let unitAt = end;
  while (unitAt < src.length && isSpace(src.charCodeAt(unitAt))) unitAt++;
  LETTERS.lastIndex = unitAt;
  const unit = LETTERS.exec(src)?.[0] ?? "";
  if (unit !== "") {
    if (!UNITS.has(unit)) {
      return { issue: issueAt(`unknown unit ${quote(unit)}`, unitAt, unitHint(unit)) };
    }
    end = unitAt + unit.length;
  }
  const value = applyUnit(number[0], unit) as number;
  return { value, text: `${number[0]}${unit}`, end };
}

const compareNumbers = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

export const quantityDomain: RangeDomain<number> = {
  noun: "quantity",
  lex: lexQuantity,
  compare: compareNumbers,
  bare: (v) => ({ lower: v, lowerInclusive: true, upper: v, upperInclusive: true, excluded: [] }),
  floor: undefined,
};

/** A number as written plus its binary-unit reading when exact, e.g. "68719476736 (= 64Gi)". */
function binaryNote(value: number): string | undefined {
  for (const [unit, [base, power]] of [...UNITS].reverse()) {
    const scale = base ** power;
    if (base === 1024 && value >= scale && value % scale === 0) return `= ${value / scale}${unit}`;
  }
  return undefined;
}

interface Compiled {
  readonly lower: number;
  readonly lowerInclusive: boolean;
  readonly upper: number;
  readonly upperInclusive: boolean;
  readonly excluded: readonly number[];
}

class QuantityMatcher implements Matcher {
  readonly type = "quantity" as const;
  readonly satisfiable: boolean;
  private readonly alternatives: readonly Compiled[];
  private readonly printed: string;

  constructor(
    readonly source: string,
    private readonly ast: RangeAst<number>,
  ) {
    this.alternatives = ast
      .map((terms) => boundsOf(terms, quantityDomain))
      .filter((b) => boundsSatisfiable(b, quantityDomain))
      .map((b) => ({
        // Infinite ends keep the hot path free of "is there a bound" branches.
        lower: b.lower ?? -Infinity,
        lowerInclusive: b.lower === undefined || b.lowerInclusive,
        upper: b.upper ?? Infinity,
        upperInclusive: b.upper === undefined || b.upperInclusive,
        excluded: b.excluded,
      }));
    this.satisfiable = this.alternatives.length > 0;
    this.printed = printRange(ast);
  }

  matches(fact: PreparedFact): boolean {
    if (fact.type !== "quantity") return false;
    const x = fact.value;
    const alternatives = this.alternatives;
    for (let i = 0; i < alternatives.length; i++) {
      const a = alternatives[i] as Compiled;
      if (a.lowerInclusive ? x < a.lower : x <= a.lower) continue;
      if (a.upperInclusive ? x > a.upper : x >= a.upper) continue;
      if (a.excluded.length === 0 || !a.excluded.includes(x)) return true;
    }
    return false;
  }

  explain(fact: PreparedFact): MatchOutcome {
    if (fact.type !== "quantity") return wrongKind("quantity", fact);
    const pass = rangeHolds(this.ast, fact.value, quantityDomain);
    const notes: string[] = [];
    const plain = String(fact.value);
    if (fact.text === plain) {
      const note = binaryNote(fact.value);
      if (note !== undefined) notes.push(note);
    } else {
      notes.push(`= ${plain}`);
    }
    if (!pass) notes.push(...failureNotes(this.ast, fact.value, quantityDomain));
    if (!this.satisfiable) notes.push(NEVER_SATISFIABLE);
    return { pass, reason: needsHas(this.printed, fact.text, notes) };
  }

  print(): string {
    return this.printed;
  }
}

export function compileQuantity(value: string): CompileResult {
  const parsed = parseRange(value, quantityDomain);
  if (!parsed.ok) return parsed;
  return { ok: true, matcher: new QuantityMatcher(value, parsed.ast) };
}
