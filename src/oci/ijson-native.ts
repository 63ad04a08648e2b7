// The I-JSON parser's fast path: the engine's JSON.parse, taken only when checks of its result
// and of the text show that the strict parser (ijson-strict.ts) would return the same value.

export const NOT_SHOWN = Symbol("not shown valid by the native parse");
/** Deeper documents take the strict parser, whose stack is explicit: the tally below recurses. */
const NATIVE_MAX_DEPTH = 256;
/**
 * Escapes the fast path does not judge: a surrogate (`\uD800`-`\uDFFF`), whose pairing only the
 * strict parser checks (a raw one cannot survive UTF-8 decoding, and text passed in is checked for
 * them), and a colon (`\u003A`), which would upset the colon count below. An escaped backslash
 * before `u` matches too: that only sends the text to the strict parser.
 */
const UNJUDGED_ESCAPE = /\\u(?:[dD][89a-fA-F]|003[aA])/;
/** A JSON string, matched whole: the lookahead and back-reference stand in for an atomic group. */
const STRING = String.raw`(?=("[^"\\]*(?:\\.[^"\\]*)*"))\1`;
/** A JSON string read backwards, as a lookbehind reads it. */
const STRING_BEHIND = String.raw`"(?:[^"\\]|\\.)*"`;
/**
 * More than NATIVE_MAX_DEPTH containers opened one inside the next (an array's first item, an
 * object's first value), as hostile nesting is written. JSON.parse would build them all before
 * the depth could be judged (4 MiB of brackets: ~0.8 s and ~300 MiB), where the strict parser
 * stops at the limit. A match starts only where such a chain starts (the lookbehind), so each
 * chain is read once: starting inside one too made 4 MiB of chains 255 deep cost seconds. Nesting
 * written any other way (`[0,[0,…`) holds fewer containers per byte, and costs JSON.parse about
 * what a document of as many small containers side by side costs, which every parser must build.
 * A match inside a string only sends the text to the strict parser.
 */
const DEEP_OPENING = new RegExp(
  String.raw`(?<![[{]\s*(?:${STRING_BEHIND}\s*:)?\s*)[[{](?:\s*(?:${STRING}\s*:\s*)?[[{]){${NATIVE_MAX_DEPTH}}`,
);

/**
 * The engine's JSON.parse, when the strict parser would return the same value. Every document
 * JSON.parse refuses, one with an escape above, and one nested past `maxDepth` go to the strict
 * parser, which also words the error. What is left is a duplicate key, which JSON.parse keeps
 * quietly (the last one wins). Without colon escapes, each colon in valid JSON text is a key
 * separator or a character of a string, and strings keep their colons when parsed. So the text's
 * colons equal the value's members plus the colons in its keys and strings exactly when no member
 * was lost to a duplicate key. A process runs most parsers once, before the JIT has compiled
 * them, so the checks lean on the engine's own loops: on an index of 2,000 entries this path
 * costs about twice JSON.parse alone, and a tenth of the strict parser.
 */
export function parseNative(src: string, maxDepth: number): unknown {
  const limit = Math.min(maxDepth, NATIVE_MAX_DEPTH);
  if (!(limit >= 1) || DEEP_OPENING.test(src)) return NOT_SHOWN;
  let value: unknown;
  try {
    value = JSON.parse(src);
  } catch {
    return NOT_SHOWN;
  }
  if (UNJUDGED_ESCAPE.test(src)) return NOT_SHOWN;
  let tally: number;
  try {
    tally = colonTally(value, 1, limit);
  } catch {
    return NOT_SHOWN; // the stack ran out (a caller already deep in it): the strict parser's is its own
  }
  return tally === colonsIn(src) ? value : NOT_SHOWN;
}

function colonsIn(text: string): number {
  let count = 0;
  for (let at = text.indexOf(":"); at !== -1; at = text.indexOf(":", at + 1)) count++;
  return count;
}

/**
 * The colons `value` accounts for: one per object member, plus those in its keys and strings.
 * NaN past `maxDepth` (the caller's comparison then fails), which also bounds the recursion.
 */
function colonTally(value: unknown, depth: number, maxDepth: number): number {
  if (typeof value === "string") return colonsIn(value);
  if (typeof value !== "object" || value === null) return 0;
  if (depth > maxDepth) return NaN;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += colonTally(item, depth + 1, maxDepth);
    return count;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    count += 1 + colonsIn(key) + colonTally(object[key], depth + 1, maxDepth);
  }
  return count;
}
