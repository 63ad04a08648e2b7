// Version numbers: the leading numeric components of a string, compared component-wise.

import type { ValueSyntaxIssue } from "./types.js";
import { issueAt, quote } from "./types.js";

function isSeparator(code: number): boolean {
  return code === 46 /* . */ || code === 45 /* - */ || code === 43; /* + */
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * The leading numeric components of `text`, split on `.`, `-` and `+`; reading stops at the first
 * component that is not all digits, so distro suffixes fall away:
 * `5.14.0-427.el9.x86_64` → [5, 14, 0, 427], `5.15.0-91-generic` → [5, 15, 0, 91].
 * An empty result means the text is not a version.
 */
export function parseVersion(text: string): number[] {
  const s = text.trim();
  const parts: number[] = [];
  let start = 0;
  while (start < s.length) {
    let end = start;
    while (end < s.length && !isSeparator(s.charCodeAt(end))) {
      if (!isDigit(s.charCodeAt(end))) return parts;
      end++;
    }
    if (end === start) return parts;
    parts.push(Number(s.slice(start, end)));
    start = end + 1;
  }
  return parts;
}

/** Component-wise numeric order; missing components count as 0, so 2.36 = 2.36.0 = 2.36.0.0. */
export function compareParts(a: readonly number[], b: readonly number[]): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  // Components are never negative, so any non-zero tail component decides.
  for (let i = n; i < a.length; i++) if (a[i] !== 0) return 1;
  for (let i = n; i < b.length; i++) if (b[i] !== 0) return -1;
  return 0;
}

/** Compares two versions (strings are read with parseVersion); the result is -1, 0 or 1. */
export function compareVersions(
  a: string | readonly number[],
  b: string | readonly number[],
): number {
  return compareParts(
    typeof a === "string" ? parseVersion(a) : a,
    typeof b === "string" ? parseVersion(b) : b,
  );
}

/** The smallest version above every version that has `parts` as a prefix: 5.15 → 5.16. */
export function nextPrefix(parts: readonly number[]): number[] {
  const next = parts.slice();
  next[next.length - 1] = (next[next.length - 1] ?? 0) + 1;
  return next;
}

const TOKEN_CHARS = /[A-Za-z0-9._+\-~*]/y;

/** Reads the version token that starts at `pos` in a spec value. */
export function lexVersion(
  src: string,
  pos: number,
): { value: number[]; text: string; end: number } | { issue: ValueSyntaxIssue } {
  let end = pos;
  for (;;) {
    TOKEN_CHARS.lastIndex = end;
    if (!TOKEN_CHARS.test(src)) break;
    end++;
  }
  if (end === pos) {
    return { issue: issueAt("expected a version", pos, `found ${quote(src.charAt(pos))}`) };
  }
  const text = src.slice(pos, end);
  const value = parseVersion(text);
  if (value.length === 0) {
    const hint = /^[vV]\d/.test(text)
      ? `drop the leading ${quote(text.charAt(0))}`
      : "a version starts with a number";
    return { issue: issueAt(`${quote(text)} is not a version`, pos, hint) };
  }
  return { value, text, end };
}
