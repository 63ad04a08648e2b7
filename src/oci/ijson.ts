// A strict I-JSON (RFC 7493) parser. JSON.parse keeps the last of two duplicate keys and accepts
// lone surrogates, so two tools can read one OCI document differently; content-addressed
// documents must mean exactly one thing, hence a parser of our own.
//
// The parser is iterative (an explicit stack of open containers) so that hostile nesting can
// never overflow the call stack, whatever maxDepth a caller chooses.
import { isUtf8 } from "node:buffer";
import { computeDigest } from "./digest.js";
import { OcicompatError } from "./errors.js";
import { formatJsonPath } from "./json-path.js";

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

function invalid(message: string): OcicompatError {
  return new OcicompatError("INVALID_JSON", message);
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

function codePointName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** `line L, column C`, 1-based; columns count code points so editors agree with us. */
function where(src: string, offset: number): string {
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

type JsonObject = Record<string, unknown>;
type Container = unknown[] | JsonObject;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

// Helpers below report where a scan ended through this variable instead of allocating a result
// object per token; parsing is synchronous, so nothing can observe it between writes.
let scanEnd = 0;

function parseText(src: string, maxDepth: number): unknown {
  const fast = parseNative(src, maxDepth);
  if (fast !== NOT_SHOWN) return fast;
  try {
    return parseValue(src, maxDepth);
  } finally {
    releaseKeyCache();
  }
}

const NOT_SHOWN = Symbol("not shown valid by the native parse");
/** Deeper documents take the strict parser, whose stack is explicit: the count below recurses. */
const NATIVE_MAX_DEPTH = 256;

/**
 * The engine's JSON.parse, when one scan of the text shows that the strict parser would return
 * the same value: no escaped surrogate (a raw one cannot survive UTF-8 decoding, and text passed
 * in is checked for them), nesting within `maxDepth`, and as many members in the result as key
 * separators in the text, which a duplicate key would make one more. Anything else, and every
 * document JSON.parse refuses, goes to the strict parser, which also words the error. A process
 * runs most parsers once, before the JIT has compiled them: on an index of 2,000 entries this
 * path costs a tenth of the strict one's time.
 */
function parseNative(src: string, maxDepth: number): unknown {
  const n = src.length;
  let members = 0;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = src.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < n; i++) {
        const s = src.charCodeAt(i);
        if (s === 0x22) break;
        if (s === 0x5c /* \ */) {
          // \uD800-\uDFFF: a surrogate escape, which only the strict parser checks for pairing.
          if (src.charCodeAt(i + 1) === 0x75 && (src.charCodeAt(i + 2) | 0x20) === 0x64) {
            const h = src.charCodeAt(i + 3) | 0x20;
            if ((h >= 0x38 && h <= 0x39) || (h >= 0x61 && h <= 0x66)) return NOT_SHOWN;
          }
          i++;
        }
      }
    } else if (c === 0x3a /* : */) {
      members++;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > Math.min(maxDepth, NATIVE_MAX_DEPTH)) return NOT_SHOWN;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(src);
  } catch {
    return NOT_SHOWN;
  }
  return memberCount(value) === members ? value : NOT_SHOWN;
}

/** Object members in `value`, nested ones included (depth is bounded by the caller's scan). */
function memberCount(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += memberCount(item);
    return count;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  count += keys.length;
  for (const key of keys) count += memberCount(object[key]);
  return count;
}

/**
 * The whole grammar in one function so the position stays in a local variable. Containers
 * are opened and closed on an explicit stack rather than by recursion.
 */
function parseValue(src: string, maxDepth: number): unknown {
  if (src.length === 0) throw invalid("empty document");
  const stack: Container[] = [];
  /** For each open object, the key whose value is being parsed; "" for arrays. */
  const keys: string[] = [];
  let pos = 0;
  let c = src.charCodeAt(0);
  while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
    c = src.charCodeAt(++pos);
  }
  if (pos >= src.length) throw invalid("empty document (only whitespace)");

  let value: unknown;
  for (;;) {
    c = src.charCodeAt(pos);
    while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
      c = src.charCodeAt(++pos);
    }
    if (c === 0x22 /* " */) {
      const end = simpleStringEnd(src, pos + 1);
      if (end >= 0) {
        value = src.slice(pos + 1, end);
        pos = end + 1;
      } else {
        value = readEscapedString(src, pos + 1, -1 - end);
        pos = scanEnd;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) {
        throw invalid(`nesting deeper than ${maxDepth} levels at ${where(src, pos)}`);
      }
      const open = c;
      c = src.charCodeAt(++pos);
      while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
        c = src.charCodeAt(++pos);
      }
      if (open === 0x7b) {
        const obj: JsonObject = {};
        if (c !== 0x7d /* } */) {
          stack.push(obj);
          keys.push(readKey(src, pos, obj, stack, keys));
          pos = scanEnd;
          continue;
        }
        pos++;
        value = obj;
      } else {
        const arr: unknown[] = [];
        if (c !== 0x5d /* ] */) {
          stack.push(arr);
          keys.push("");
          continue;
        }
        pos++;
        value = arr;
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      value = readNumber(src, pos);
      pos = scanEnd;
    } else if (c === 0x74 && src.startsWith("true", pos)) {
      value = true;
      pos += 4;
    } else if (c === 0x66 && src.startsWith("false", pos)) {
      value = false;
      pos += 5;
    } else if (c === 0x6e && src.startsWith("null", pos)) {
      value = null;
      pos += 4;
    } else {
      unexpected(src, pos, "a JSON value");
    }

    // A complete value: store it, then close every container it completes.
    for (;;) {
      c = src.charCodeAt(pos);
      while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
        c = src.charCodeAt(++pos);
      }
      const depth = stack.length;
      if (depth === 0) {
        if (pos < src.length) unexpected(src, pos, "end of input");
        return value;
      }
      const top = stack[depth - 1] as Container;
      if (Array.isArray(top)) {
        top.push(value);
        if (c === 0x2c /* , */) {
          pos = afterComma(src, pos, 0x5d);
          break;
        }
        if (c !== 0x5d /* ] */) unexpected(src, pos, '"," or "]"');
      } else {
        const key = keys[depth - 1] as string;
        // readKey has ruled out an own property, so a defined value here is inherited
        // (__proto__, constructor, ...). Assignment would replace the prototype or, under a
        // frozen Object.prototype, throw; JSON means an ordinary own property.
        if (top[key] === undefined) {
          top[key] = value;
        } else {
          Object.defineProperty(top, key, {
            value,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        }
        if (c === 0x2c /* , */) {
          keys[depth - 1] = readKey(src, afterComma(src, pos, 0x7d), top, stack, keys);
          pos = scanEnd;
          break;
        }
        if (c !== 0x7d /* } */) unexpected(src, pos, '"," or "}"');
      }
      pos++;
      stack.pop();
      keys.pop();
      value = top;
    }
  }
}

/** Skips whitespace after the comma at `pos`; a closing bracket there is a trailing comma. */
function afterComma(src: string, pos: number, close: number): number {
  let c = src.charCodeAt(++pos);
  while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
    c = src.charCodeAt(++pos);
  }
  if (c === close) {
    throw invalid(
      `trailing comma before "${String.fromCharCode(close)}" at ${where(src, pos)}: remove the comma`,
    );
  }
  return pos;
}

/**
 * Reads `"key" :` starting at `pos` and rejects a key `obj` already has; scanEnd is left just
 * after the colon.
 */
function readKey(
  src: string,
  pos: number,
  obj: JsonObject,
  stack: readonly Container[],
  keys: readonly string[],
): string {
  if (src.charCodeAt(pos) !== 0x22) unexpected(src, pos, "a string key in double quotes");
  const start = pos;
  const key = readKeyString(src, pos + 1);
  pos = scanEnd;
  // JSON values are never undefined, so only inherited names (constructor, __proto__, ...)
  // need the slower own-property check.
  if (obj[key] !== undefined && Object.hasOwn(obj, key)) duplicateKey(src, start, key, stack, keys);
  let c = src.charCodeAt(pos);
  while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
    c = src.charCodeAt(++pos);
  }
  if (c !== 0x3a /* : */) unexpected(src, pos, '":"');
  scanEnd = pos + 1;
  return key;
}

function duplicateKey(
  src: string,
  at: number,
  key: string,
  stack: readonly Container[],
  keys: readonly string[],
): never {
  // The innermost container holds the duplicate itself, so it contributes only `key`.
  const segments: (string | number)[] = [];
  for (let i = 0; i < stack.length - 1; i++) {
    const frame = stack[i];
    segments.push(Array.isArray(frame) ? frame.length : (keys[i] as string));
  }
  segments.push(key);
  // The path goes in the message, so callers can still set the file as the error's subject.
  throw invalid(
    `duplicate key ${JSON.stringify(key)} at ${formatJsonPath(segments)} (${where(src, at)})`,
  );
}

// Property keys repeat endlessly in an index ("digest", "mediaType", ...). V8 stores a property
// far faster when the key is already an internalized string than when it must hash and look up
// a fresh slice, so keys seen twice are kept here internalized. A key is internalized only on
// its second sighting, so documents full of distinct keys pay almost nothing for the cache.
const KEY_CACHE_SLOTS = 512;
const MAX_CACHED_KEY_LENGTH = 64;
const keyCache: string[] = new Array<string>(KEY_CACHE_SLOTS).fill("");
const keyCacheInterned = new Uint8Array(KEY_CACHE_SLOTS);

/**
 * Forgets keys not yet internalized: they are slices of the document text and would keep all
 * of it alive after the parse.
 */
function releaseKeyCache(): void {
  for (let slot = 0; slot < KEY_CACHE_SLOTS; slot++) {
    if (keyCacheInterned[slot] === 0) keyCache[slot] = "";
  }
}

/** Reads a key whose contents start at `start`; scanEnd is left after the closing quote. */
function readKeyString(src: string, start: number): string {
  let hash = 0;
  let i = start;
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === 0x22) break;
    if (c === 0x5c) return readEscapedString(src, start, i);
    if (!(c >= 0x20)) badStringCharacter(src, i);
    hash = (hash * 31 + c) | 0;
    i++;
  }
  scanEnd = i + 1;
  const length = i - start;
  if (length > MAX_CACHED_KEY_LENGTH) return src.slice(start, i);
  const slot = (hash ^ (hash >>> 11)) & (KEY_CACHE_SLOTS - 1);
  const cached = keyCache[slot] as string;
  if (cached.length === length && src.startsWith(cached, start)) {
    if (keyCacheInterned[slot] === 1) return cached;
    // Property names come back from Object.keys internalized.
    const interned = Object.keys({ [cached]: 0 })[0] as string;
    keyCache[slot] = interned;
    keyCacheInterned[slot] = 1;
    return interned;
  }
  const key = src.slice(start, i);
  keyCache[slot] = key;
  keyCacheInterned[slot] = 0;
  return key;
}

/**
 * For a string whose contents start at `i`: the offset of its closing quote, or, if it holds
 * an escape, -1 minus the offset of the first backslash.
 */
function simpleStringEnd(src: string, i: number): number {
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === 0x22) return i;
    if (c === 0x5c) return -1 - i;
    // `!(c >= 0x20)` also catches the NaN that charCodeAt returns past the end.
    if (!(c >= 0x20)) badStringCharacter(src, i);
    i++;
  }
}

/** Decodes a string with escapes; `start` is after the opening quote, `i` at a backslash. */
function readEscapedString(src: string, start: number, i: number): string {
  let out = src.slice(start, i);
  for (;;) {
    const e = src.charCodeAt(i + 1);
    switch (e) {
      case 0x22:
        out += '"';
        break;
      case 0x5c:
        out += "\\";
        break;
      case 0x2f:
        out += "/";
        break;
      case 0x62:
        out += "\b";
        break;
      case 0x66:
        out += "\f";
        break;
      case 0x6e:
        out += "\n";
        break;
      case 0x72:
        out += "\r";
        break;
      case 0x74:
        out += "\t";
        break;
      case 0x75: {
        const unit = readHex4(src, i);
        if (unit >= 0xdc00 && unit <= 0xdfff) loneSurrogateEscape(src, i, unit);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low =
            src.charCodeAt(i + 6) === 0x5c && src.charCodeAt(i + 7) === 0x75
              ? readHex4(src, i + 6)
              : -1;
          if (!(low >= 0xdc00 && low <= 0xdfff)) loneSurrogateEscape(src, i, unit);
          out += String.fromCharCode(unit, low);
          i += 6;
        } else {
          out += String.fromCharCode(unit);
        }
        i += 4;
        break;
      }
      default:
        if (i + 1 >= src.length) unexpected(src, i + 1, "an escape character");
        throw invalid(
          `invalid escape "\\${String.fromCodePoint(src.codePointAt(i + 1) ?? 0)}" at ${where(src, i)}: ` +
            `expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX`,
        );
    }
    i += 2;
    const end = simpleStringEnd(src, i);
    if (end >= 0) {
      scanEnd = end + 1;
      return out + src.slice(i, end);
    }
    out += src.slice(i, -1 - end);
    i = -1 - end;
  }
}

/** The code unit of the `\uXXXX` escape whose backslash is at `at`. */
function readHex4(src: string, at: number): number {
  let unit = 0;
  for (let k = at + 2; k < at + 6; k++) {
    const h = hexValue(src.charCodeAt(k));
    if (h < 0) {
      if (k >= src.length) unexpected(src, k, "four hex digits after \\u");
      throw invalid(
        `invalid \\u escape ${JSON.stringify(src.slice(at, k + 1))} at ${where(src, at)}: ` +
          `expected four hex digits`,
      );
    }
    unit = unit * 16 + h;
  }
  return unit;
}

function loneSurrogateEscape(src: string, at: number, unit: number): never {
  throw invalid(
    `lone surrogate escape \\u${unit.toString(16).padStart(4, "0")} is not allowed in I-JSON ` +
      `at ${where(src, at)}: a surrogate must be paired (high \\uD800-\\uDBFF, then low \\uDC00-\\uDFFF)`,
  );
}

function badStringCharacter(src: string, i: number): never {
  if (i >= src.length) unexpected(src, i, 'a closing "');
  throw invalid(
    `unescaped control character ${codePointName(src.charCodeAt(i))} in a string at ` +
      `${where(src, i)}: write it as an escape such as \\n or \\u001f`,
  );
}

/** Reads a number at `pos` per the JSON grammar; scanEnd is left after it. */
function readNumber(src: string, pos: number): number {
  const start = pos;
  let c = src.charCodeAt(pos);
  const negative = c === 0x2d;
  if (negative) c = src.charCodeAt(++pos);
  let integer = 0;
  if (c === 0x30) {
    c = src.charCodeAt(++pos);
    if (isDigit(c)) {
      throw invalid(`leading zeros are not allowed in numbers at ${where(src, pos - 1)}`);
    }
  } else if (c >= 0x31 && c <= 0x39) {
    do {
      integer = integer * 10 + (c - 0x30);
      c = src.charCodeAt(++pos);
    } while (isDigit(c));
  } else {
    unexpected(src, pos, "a digit");
  }
  let simple = true;
  if (c === 0x2e /* . */) {
    simple = false;
    c = src.charCodeAt(++pos);
    if (!isDigit(c)) unexpected(src, pos, "a digit after the decimal point");
    do c = src.charCodeAt(++pos);
    while (isDigit(c));
  }
  if (c === 0x65 || c === 0x45 /* e E */) {
    simple = false;
    c = src.charCodeAt(++pos);
    if (c === 0x2b || c === 0x2d) c = src.charCodeAt(++pos);
    if (!isDigit(c)) unexpected(src, pos, "a digit in the exponent");
    do c = src.charCodeAt(++pos);
    while (isDigit(c));
  }
  scanEnd = pos;
  // Up to 15 digits the running integer is exact; past that, or with a fraction or an
  // exponent, the engine's conversion rounds exactly as JSON.parse does.
  if (simple && pos - start <= 15) return negative ? -integer : integer;
  return Number(src.slice(start, pos));
}

function unexpected(src: string, at: number, expected: string): never {
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
