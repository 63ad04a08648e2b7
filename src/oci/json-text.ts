// Scanning JSON text that has already passed the strict parser, to find where values start and
// end. Edits splice new text in at those positions, so every other byte of a document (other
// entries, unknown fields, whitespace) stays exactly as it was.
import { OcicompatError } from "./errors.js";

function malformed(message: string): OcicompatError {
  return new OcicompatError("INTERNAL", `JSON text scanner: ${message}`);
}

export function skipWs(text: string, i: number): number {
  while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  return i;
}

/** The position just past the string starting at `i`. */
export function skipString(text: string, i: number): number {
  if (text[i] !== '"') throw malformed("expected a string");
  i++;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  throw malformed("unterminated string");
}

/** The position just past the value starting at `i`. */
export function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === "{" || c === "[") {
    let depth = 0;
    while (i < text.length) {
      const d = text[i];
      if (d === '"') {
        i = skipString(text, i);
        continue;
      }
      if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw malformed("unterminated container");
  }
  while (i < text.length && !",}] \t\n\r".includes(text[i] as string)) i++;
  return i;
}

/** `[start, end)` of a value in the text. */
export interface TextSpan {
  start: number;
  end: number;
}

export interface ObjectMember {
  key: string;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

export interface ObjectScan {
  /** Offsets of `{` and of `}`. */
  open: number;
  close: number;
  members: ObjectMember[];
}

export interface ArrayScan {
  /** Offsets of `[` and of `]`. */
  open: number;
  close: number;
  elements: TextSpan[];
}

/** The members of the object whose `{` is at `open`, in the order written. */
export function scanObject(text: string, open: number): ObjectScan {
  if (text[open] !== "{") throw malformed("expected an object");
  const members: ObjectMember[] = [];
  let i = skipWs(text, open + 1);
  while (text[i] !== "}") {
    const keyStart = i;
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(keyStart, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    if (text[i] !== ":") throw malformed("expected ':'");
    const valueStart = skipWs(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    members.push({ key, keyStart, keyEnd, valueStart, valueEnd });
    i = skipWs(text, valueEnd);
    if (text[i] === ",") i = skipWs(text, i + 1);
  }
  return { open, close: i, members };
}

/** The elements of the array whose `[` is at `open`, in order. */
export function scanArray(text: string, open: number): ArrayScan {
  if (text[open] !== "[") throw malformed("expected an array");
  const elements: TextSpan[] = [];
  let i = skipWs(text, open + 1);
  while (text[i] !== "]") {
    if (i >= text.length) throw malformed("unterminated array");
    const end = skipValue(text, i);
    elements.push({ start: i, end });
    i = skipWs(text, end);
    if (text[i] === ",") i = skipWs(text, i + 1);
  }
  return { open, close: i, elements };
}

/**
 * The array under `key` in the top-level object of a document, such as an index's `manifests`;
 * undefined when the object has no such member or its value is not an array.
 */
export function topLevelArray(text: string, key: string): ArrayScan | undefined {
  const member = scanObject(text, skipWs(text, 0)).members.find((m) => m.key === key);
  if (member === undefined || text[member.valueStart] !== "[") return undefined;
  return scanArray(text, member.valueStart);
}
