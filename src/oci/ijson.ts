// A strict I-JSON (RFC 7493) parser. JSON.parse keeps the last of two duplicate keys and accepts
// lone surrogates, so two tools can read one OCI document differently; content-addressed
// documents must mean exactly one thing, hence a parser of our own.
import { isUtf8 } from "node:buffer";
import { computeDigest } from "./digest.js";
import { OcicompatError } from "./errors.js";
import { codePointName, invalid, where } from "./ijson-errors.js";
import { NOT_SHOWN, parseNative } from "./ijson-native.js";
import { parseValue } from "./ijson-strict.js";
import { releaseKeyCache } from "./ijson-tokens.js";

export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 1000;

export interface ParseJsonOptions {
  maxBytes?: number;
  maxDepth?: number;
}

export interface JsonDocument {
  value: unknown;
  /** The bytes passed in, not a copy: the digest is only meaningful for these exact bytes. */
  bytes: Uint8Array;
  /** sha256 of `bytes`. */
  digest: string;
  size: number;
}

export function parseIJson(bytes: Uint8Array, options: ParseJsonOptions = {}): JsonDocument {
  const size = bytes.byteLength;
  // Before any decoding, so an oversized input costs nothing but this comparison.
  checkSize(size, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (size >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw invalid("byte order mark is not allowed in I-JSON");
  }
  const text = decodeUtf8(bytes);
  const value = parseText(text, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  return { value, bytes, digest: computeDigest(bytes), size };
}

export function parseIJsonText(text: string, options: ParseJsonOptions = {}): unknown {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  // A UTF-16 code unit needs one to three UTF-8 bytes, so the exact count is only needed near
  // the limit.
  if (text.length > maxBytes) checkSize(text.length, maxBytes);
  if (text.length * 3 > maxBytes) checkSize(Buffer.byteLength(text, "utf8"), maxBytes);
  if (text.charCodeAt(0) === 0xfeff) throw invalid("byte order mark is not allowed in I-JSON");
  // Decoded text can carry lone surrogates that valid UTF-8 never could; I-JSON forbids them.
  if (!(text as unknown as WellFormedCheck).isWellFormed()) {
    const at = firstLoneSurrogate(text);
    throw invalid(
      `lone surrogate ${codePointName(text.charCodeAt(at))} is not allowed in I-JSON at ${where(text, at)}`,
    );
  }
  return parseText(text, options.maxDepth ?? DEFAULT_MAX_DEPTH);
}

// String.prototype.isWellFormed is in Node 20 but not in TypeScript's ES2023 library.
interface WellFormedCheck {
  isWellFormed(): boolean;
}

function firstLoneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return i;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return i;
    }
  }
  return 0;
}

const MiB = 1024 * 1024;
const KiB = 1024;

function checkSize(size: number, maxBytes: number): void {
  if (size > maxBytes) {
    throw new OcicompatError(
      "TOO_LARGE",
      `document is ${size} bytes; the limit is ${maxBytes} bytes${humanSize(maxBytes)}`,
    );
  }
}

function humanSize(bytes: number): string {
  const unit =
    bytes >= MiB ? { n: MiB, name: "MiB" } : bytes >= KiB ? { n: KiB, name: "KiB" } : null;
  if (unit === null) return "";
  const amount = bytes / unit.n;
  return ` (${Number.isInteger(amount) ? amount : amount.toFixed(1)} ${unit.name})`;
}

function decodeUtf8(bytes: Uint8Array): string {
  // isUtf8 is a SIMD validator and toString a plain transcoder; together they beat a fatal
  // TextDecoder, and the offending offset is only searched for once we know there is one.
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8(bytes);
    const byte = bytes[offset] ?? 0;
    const shown = `0x${byte.toString(16).padStart(2, "0")}`;
    throw invalid(`invalid UTF-8 at byte offset ${offset} (byte ${shown})`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

/** Offset of the first byte that starts an ill-formed sequence (Unicode Table 3-7). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  const cont = (at: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = bytes[at];
    return b !== undefined && b >= lo && b <= hi;
  };
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (!cont(i + 1)) return i;
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      // E0 would otherwise allow overlong forms, ED would allow encoded surrogates.
      const lo = b === 0xe0 ? 0xa0 : 0x80;
      const hi = b === 0xed ? 0x9f : 0xbf;
      if (!cont(i + 1, lo, hi) || !cont(i + 2)) return i;
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      // F0 would allow overlong forms, F4 code points above U+10FFFF.
      const lo = b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xf4 ? 0x8f : 0xbf;
      if (!cont(i + 1, lo, hi) || !cont(i + 2) || !cont(i + 3)) return i;
      i += 4;
    } else {
      return i;
    }
  }
  // isUtf8 disagreed with this table; the start is the only honest answer left.
  return 0;
}

function parseText(src: string, maxDepth: number): unknown {
  const fast = parseNative(src, maxDepth);
  if (fast !== NOT_SHOWN) return fast;
  try {
    return parseValue(src, maxDepth);
  } finally {
    releaseKeyCache();
  }
}
