// Version numbers, read by one grammar (docs/compat-language.md, "Version grammar"):
//   version    := number (sep number)* prerelease? wildcards?
//   prerelease := ("-" | "." | "~" | "") tag digits? (sep number)*
//   tag        := "alpha" | "beta" | "pre" | "rc" | "a" digits | "b" digits   (any case)
//   wildcards  := ("." ("*" | "x" | "X"))+         only without a pre-release
//   sep        := "." | "-" | "+"
// A tag (with its digits) must be followed by a separator or the end, so a hash such as
// `-a1b2c3` is never read as alpha 1. A node fact is read as far as the grammar goes and the rest
// (a distribution or architecture suffix) is ignored; a value must be read to its end, or it is
// refused (lexVersion), because a requirement cut short is a weaker requirement.
//
// A version is held as its components with the tag as a negative number, so that plain
// component-wise order with missing components as 0 puts a pre-release before its release:
// 6.20-rc1 is [6, 20, -1, 1], below 6.20 = [6, 20] = [6, 20, 0]. Zeros right before a tag are
// dropped (6.20.0-rc1 is 6.20-rc1), since 6.20.0 and 6.20 are one release.

import type { ValueSyntaxIssue } from "./types.js";
import { issueAt, quote } from "./types.js";

/** Tag → its component: every tag sorts below 0, the component a release has in that place. */
const TAGS: ReadonlyMap<string, number> = new Map([
  ["alpha", -4],
  ["a", -4],
  ["beta", -3],
  ["b", -3],
  ["pre", -2],
  ["rc", -1],
]);
const TAG_NAMES: ReadonlyMap<number, string> = new Map([
  [-4, "alpha"],
  [-3, "beta"],
  [-2, "pre"],
  [-1, "rc"],
]);
/** The lowest tag: X-alpha (= X-alpha0) is the least version that starts with X. */
export const LOWEST_TAG = -4;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Separators between numeric components. */
function isSeparator(c: string): boolean {
  return c === "." || c === "-" || c === "+";
}

function digitsEnd(s: string, i: number): number {
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/** Where reading stopped and what was there, so a refused value can say why. */
export type VersionStop =
  "end" | "after-wildcard" | "second-tag" | "tilde" | "build-metadata" | "unknown";

export interface VersionScan {
  /** The components read, with the tag as a negative number; empty when `s` is no version. */
  parts: number[];
  /** Index just past what was read. */
  end: number;
  stop: VersionStop;
}

/** A pre-release tag starting at `i` (after its optional separator): its rank and where it ends. */
function tagAt(s: string, i: number): { rank: number; digitsAt: number; end: number } | undefined {
  let j = i;
  while (j < s.length && isLetter(s.charCodeAt(j))) j++;
  const rank = TAGS.get(s.slice(i, j).toLowerCase());
  if (rank === undefined) return undefined;
  const end = digitsEnd(s, j);
  // "a"/"b" alone are letters after a version, not tags (OpenSSL's 1.1.1a is a release).
  if (j - i === 1 && end === j) return undefined;
  if (end < s.length && !isSeparator(s.charAt(end)) && s.charAt(end) !== "~") return undefined;
  return { rank, digitsAt: j, end };
}

function isWildcard(c: string): boolean {
  return c === "*" || c === "x" || c === "X";
}

/** Reads the version at the start of `s` (no leading space) as far as the grammar allows. */
export function scanVersion(s: string): VersionScan {
  const parts: number[] = [];
  let pos = digitsEnd(s, 0);
  if (pos === 0) return { parts, end: 0, stop: "unknown" };
  parts.push(Number(s.slice(0, pos)));
  let tagged = false;
  let wildcards = false;
  while (pos < s.length) {
    const c = s.charAt(pos);
    const next = pos + 1;
    if (isSeparator(c) && next < s.length && isDigit(s.charCodeAt(next))) {
      if (wildcards) return { parts, end: pos, stop: "after-wildcard" };
      const end = digitsEnd(s, next);
      parts.push(Number(s.slice(next, end)));
      pos = end;
      continue;
    }
    if (c === "." && next < s.length && isWildcard(s.charAt(next)) && !tagged) {
      const after = s.charAt(next + 1);
      if (after === "" || isSeparator(after)) {
        wildcards = true;
        pos = next + 1;
        continue;
      }
    }
    const tagStart = c === "-" || c === "." || c === "~" ? next : pos;
    const tag = tagAt(s, tagStart);
    if (tag !== undefined && !wildcards) {
      if (tagged) return { parts, end: pos, stop: "second-tag" };
      tagged = true;
      while (parts.length > 1 && parts[parts.length - 1] === 0) parts.pop();
      parts.push(tag.rank);
      if (tag.end > tag.digitsAt) parts.push(Number(s.slice(tag.digitsAt, tag.end)));
      pos = tag.end;
      continue;
    }
    if (wildcards && isSeparator(c)) return { parts, end: pos, stop: "after-wildcard" };
    const stop: VersionStop = c === "~" ? "tilde" : c === "+" ? "build-metadata" : "unknown";
    return { parts, end: pos, stop };
  }
  return { parts, end: pos, stop: "end" };
}

/**
 * Reads a node's version: the grammar as far as it goes, ignoring a distribution or architecture
 * suffix. `5.14.0-427.el9.x86_64` → [5, 14, 0, 427], `5.15.0-91-generic` → [5, 15, 0, 91],
 * `6.9.0-rc3` → [6, 9, -1, 3] (a tag is a negative component). Empty when the text is no version.
 */
export function parseVersion(text: string): number[] {
  return scanVersion(text.trim()).parts;
}

/**
 * Component-wise numeric order; missing components count as 0, so 2.36 = 2.36.0 = 2.36.0.0 and
 * 6.20-rc1 ([6, 20, -1, 1]) < 6.20.
 */
export function compareParts(a: readonly number[], b: readonly number[]): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  // The longer one decides by its first non-zero tail component: positive above, a tag below.
  for (let i = n; i < a.length; i++) {
    const x = a[i] as number;
    if (x !== 0) return x > 0 ? 1 : -1;
  }
  for (let i = n; i < b.length; i++) {
    const y = b[i] as number;
    if (y !== 0) return y > 0 ? -1 : 1;
  }
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

/**
 * The least version above every version that `parts`, written as a short version, stands for:
 * 5.15 → 5.16-alpha (5.16's pre-releases are not 5.15.x), 6.20-rc1 → 6.20-rc2, 6.20-rc → 6.20.
 */
export function spanEnd(parts: readonly number[]): number[] {
  const next = parts.slice();
  next[next.length - 1] = (next[next.length - 1] ?? 0) + 1;
  // A version with a tag already has its least descendant as itself; one without gains the
  // lowest tag, as npm's X-ranges end at "-0".
  if (!parts.some((p) => p < 0)) next.push(LOWEST_TAG);
  return next;
}

/** Components written back as a version, for explanations: [6, 20, -1, 1] → "6.20-rc1". */
export function formatVersion(parts: readonly number[]): string {
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as number;
    if (p < 0) {
      out += `-${TAG_NAMES.get(p) ?? "pre"}`;
      const n = parts[i + 1];
      if (n !== undefined && n >= 0) {
        out += String(n);
        i++;
      }
    } else {
      out += i === 0 ? String(p) : `.${p}`;
    }
  }
  return out;
}

const TOKEN_CHARS = /[A-Za-z0-9._+\-~*]/y;

const STOP_HINTS: Record<Exclude<VersionStop, "end" | "unknown">, string> = {
  "after-wildcard": "a wildcard ends the version",
  "second-tag": "a version has one pre-release tag",
  tilde: 'after "~" comes a pre-release tag: alpha, beta, pre or rc',
  "build-metadata": "build metadata does not order versions; leave it out",
};

/** Reads the version token that starts at `pos` in a value; all of it must be understood. */
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
  const scan = scanVersion(text);
  if (scan.parts.length === 0) {
    const hint = /^[vV]\d/.test(text)
      ? `drop the leading ${quote(text.charAt(0))}`
      : /^[*xX]$/.test(text)
        ? "that is every version: leave the label out"
        : "a version starts with a number";
    return { issue: issueAt(`${quote(text)} is not a version`, pos, hint) };
  }
  if (scan.end < text.length) {
    const rest = text.slice(scan.end);
    const hint =
      scan.stop === "end" || scan.stop === "unknown"
        ? "a required version is numbers with an optional pre-release tag (alpha, beta, pre, rc) or trailing wildcards; a distribution suffix cannot be compared"
        : STOP_HINTS[scan.stop];
    return {
      issue: issueAt(`unexpected ${quote(rest)} in version ${quote(text)}`, pos + scan.end, hint),
    };
  }
  return { value: scan.parts, text, end };
}
