// The I-JSON parser's fast path (JSON.parse plus checks) against the strict parser: whatever the
// fast path returns, the strict parser returns too, for documents built to trip it: duplicate keys,
// colons in keys and strings, escaped colons and surrogates, escaped backslashes before `u`, and
// nesting around the limit. And it is taken for ordinary documents, or it would be no fast path.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { NOT_SHOWN, parseNative } from "../../src/oci/ijson-native.js";
import { parseValue } from "../../src/oci/ijson-strict.js";

/** JSON text of members written out one by one, so that a key may repeat. */
type Doc = string | number | boolean | null | Doc[] | { members: [string, Doc][] };

const piece = fc.constantFrom(
  "a",
  "b",
  ":",
  "a:b",
  "\\u003a",
  "\\u003A",
  "\\\\u003a",
  "\\\\",
  "\\u0061",
  "\\ud83d\\ude00",
  "\\ud83d",
  "\\\\ud83d",
  '\\"',
  "sha256:",
);
const jsonString = fc.array(piece, { maxLength: 4 }).map((parts) => `"${parts.join("")}"`);
// Few keys, so that they repeat: as written, and equal only once unescaped.
const key = fc.constantFrom('"a"', '"b"', '"a:b"', '"\\u0061"', '":"', '"\\u003a"');

const doc: fc.Arbitrary<Doc> = fc.letrec<{ doc: Doc }>((tie) => ({
  doc: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    jsonString,
    fc.integer(),
    fc.constantFrom(true, false, null),
    fc.array(tie("doc"), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie("doc")), { maxLength: 4 }).map((members) => ({ members })),
  ),
})).doc;

function write(d: Doc): string {
  if (typeof d === "string") return d; // already JSON text
  if (Array.isArray(d)) return `[${d.map(write).join(",")}]`;
  if (d !== null && typeof d === "object") {
    return `{${d.members.map(([k, v]) => `${k}:${write(v)}`).join(",")}}`;
  }
  return JSON.stringify(d);
}

describe("the I-JSON fast path", () => {
  test("returns only what the strict parser returns, for documents built to trip it", () => {
    let taken = 0;
    fc.assert(
      fc.property(doc, fc.integer({ min: 1, max: 6 }), (d, maxDepth) => {
        const text = write(d);
        const fast = parseNative(text, maxDepth);
        if (fast === NOT_SHOWN) return;
        taken++;
        assert.deepEqual(fast, parseValue(text, maxDepth));
      }),
      { numRuns: 3000 },
    );
    assert.ok(taken > 300, `the fast path answered only ${taken} of 3000`);
  });

  test("is taken for documents without duplicate keys or escapes, colons in them included", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const text = JSON.stringify(value);
        fc.pre(!text.includes("\\u"));
        assert.notEqual(parseNative(text, 64), NOT_SHOWN, text);
      }),
      { numRuns: 500 },
    );
  });

  test("does not hand JSON.parse containers opened one inside the next past the limit: it would build them all", () => {
    const parse = JSON.parse;
    let calls = 0;
    JSON.parse = ((text: string) => {
      calls++;
      return parse(text) as unknown;
    }) as typeof JSON.parse;
    try {
      for (const text of [
        `${"[".repeat(300_000)}${"]".repeat(300_000)}`,
        `${'{"a" : '.repeat(300)}1${"}".repeat(300)}`,
        `${'[ {"k":'.repeat(200)}1${"}]".repeat(200)}`,
        `{"x":1,"a":${'{"a":'.repeat(300)}1${"}".repeat(301)}`,
      ]) {
        assert.equal(parseNative(text, 1000), NOT_SHOWN);
      }
      assert.equal(calls, 0);
      // A long string is no nesting, and one with brackets in it is still parsed right.
      const text = JSON.stringify(["x".repeat(100_000), "[[[{{{", { a: [[["["]]] }]);
      assert.deepEqual(parseNative(text, 1000), parse(text));
      assert.equal(calls, 1);
      // Chains within the limit, side by side, are no hostile nesting: parsed as they are.
      const chains = `[${Array(50)
        .fill(`${"[".repeat(255)}${"]".repeat(255)}`)
        .join(",")}]`;
      assert.deepEqual(parseNative(chains, 1000), parse(chains));
    } finally {
      JSON.parse = parse;
    }
  });

  test("refuses a depth limit that is not a number instead of recursing without one", () => {
    assert.equal(parseNative("[[1]]", Number.NaN), NOT_SHOWN);
  });

  test("leaves nesting past the limit to the strict parser, which words it", () => {
    assert.notEqual(parseNative("[[[]]]", 3), NOT_SHOWN);
    assert.equal(parseNative("[[[[]]]]", 3), NOT_SHOWN);
    assert.equal(parseNative(`${"[".repeat(300)}${"]".repeat(300)}`, 1000), NOT_SHOWN);
  });
});
