// `quantity` values: the ordered-range matcher over plain numbers with decimal (k M G T) and binary
// (Ki Mi Gi Ti) suffixes. A bare quantity means equality. Quantities are real numbers, so
// ">4, <5" is satisfiable (4.5) even though a CPU count never lands there.

import type { OrderedType } from "./ordered-range.js";
import { compileOrderedRange } from "./ordered-range.js";
import type { LexResult } from "./range.js";
import type { CompileResult } from "./types.js";
import { isSpace, issueAt, quote } from "./types.js";

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

/** A number as written plus its binary-unit reading when exact, e.g. "68719476736 (= 64Gi)". */
function binaryNote(value: number): string | undefined {
  for (const [unit, [base, power]] of [...UNITS].reverse()) {
    const scale = base ** power;
    if (base === 1024 && value >= scale && value % scale === 0) return `= ${value / scale}${unit}`;
  }
  return undefined;
}

export const quantityType: OrderedType<number> = {
  type: "quantity",
  noun: "quantity",
  lex: lexQuantity,
  compare: compareNumbers,
  span: (v) => ({ lower: v, lowerInclusive: true, upper: v, upperInclusive: true }),
  floor: undefined,
  valueOf: (fact) => (fact.type === "quantity" ? fact.value : undefined),
  readingNotes: (fact, value) => {
    if (!("text" in fact)) return [];
    const plain = String(value);
    if (fact.text !== plain) return [`= ${plain}`];
    const note = binaryNote(value);
    return note === undefined ? [] : [note];
  },
};

export function compileQuantity(value: string): CompileResult {
  return compileOrderedRange(value, quantityType);
}
