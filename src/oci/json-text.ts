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
