// The strict I-JSON parser's token readers: strings, object keys (with the duplicate-key check
// I-JSON asks for) and numbers. They share `scanEnd` with the parser and so live in one module.
import { formatJsonPath } from "./json-path.js";
import { codePointName, invalid, unexpected, where } from "./ijson-errors.js";

export type JsonObject = Record<string, unknown>;
export type Container = unknown[] | JsonObject;

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
// object per token; parsing is synchronous, so nothing can observe it between writes. The parser
// reads it through the import's live binding; only this module writes it.
export let scanEnd = 0;

/**
 * Reads `"key" :` starting at `pos` and rejects a key `obj` already has; scanEnd is left just
 * after the colon.
 */
export function readKey(
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
export function releaseKeyCache(): void {
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
export function simpleStringEnd(src: string, i: number): number {
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
export function readEscapedString(src: string, start: number, i: number): string {
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
export function readNumber(src: string, pos: number): number {
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
