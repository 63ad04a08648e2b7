// The I-JSON parser's fast path: the engine's JSON.parse, taken only when one scan of the text
// shows that the strict parser (ijson-strict.ts) would return the same value.

export const NOT_SHOWN = Symbol("not shown valid by the native parse");
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
export function parseNative(src: string, maxDepth: number): unknown {
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
