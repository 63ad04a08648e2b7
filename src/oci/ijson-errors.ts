// The wording of INVALID_JSON errors: where an offset is (line and column, as editors count) and
// what was found there. The input checks, the strict parser and its token readers all use it.
import { OcicompatError } from "./errors.js";

export function invalid(message: string): OcicompatError {
  return new OcicompatError("INVALID_JSON", message);
}

export function codePointName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** `line L, column C`, 1-based; columns count code points so editors agree with us. */
export function where(src: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, src.length);
  for (let i = 0; i < end; i++) {
    if (src.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  let column = 1;
  for (let i = lineStart; i < end; i++) {
    const c = src.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const next = src.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    column++;
  }
  return `line ${line}, column ${column}`;
}

export function unexpected(src: string, at: number, expected: string): never {
  throw invalid(`${describeAt(src, at)} at ${where(src, at)}: expected ${expected}`);
}

function describeAt(src: string, at: number): string {
  if (at >= src.length) return "unexpected end of input";
  const c = src.charCodeAt(at);
  if (c === 0x27) return "unexpected single quote (JSON strings use double quotes)";
  if (c === 0x2f) return 'unexpected "/" (JSON has no comments)';
  const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(at, at + 40));
  if (word !== null) return `unexpected word ${JSON.stringify(word[0])}`;
  if (c < 0x20 || c === 0x7f) return `unexpected character ${codePointName(c)}`;
  return `unexpected character ${JSON.stringify(String.fromCodePoint(src.codePointAt(at) ?? c))}`;
}
