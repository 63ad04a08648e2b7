// What text the I-JSON parser accepts: each kind of malformed JSON refused with its line and
// column, and the same verdict as JSON.parse on random and mutated text (fast-check), bar
// duplicate keys.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { OcicompatError } from "../../src/oci/errors.js";
import { parseIJson, parseIJsonText } from "../../src/oci/ijson.js";
import { failure, textFailure, utf8 } from "./ijson-support.js";

const LOCATION = /at line \d+, column \d+/;

describe("syntax", () => {
  test("rejects an empty document", () => {
    assert.equal(failure(() => parseIJson(new Uint8Array(0))).message, "empty document");
    assert.equal(textFailure("").message, "empty document");
  });

  test("rejects a document of only whitespace", () => {
    assert.match(textFailure(" \n\t ").message, /^empty document/);
  });

  test("reports a truncated document with its line, column and what was expected", () => {
    assert.equal(
      textFailure('{\n  "a": 1\n').message,
      'unexpected end of input at line 3, column 1: expected "," or "}"',
    );
    assert.equal(
      textFailure('{\n  "a": [1,\n').message,
      "unexpected end of input at line 3, column 1: expected a JSON value",
    );
  });

  test("counts columns in characters, not UTF-16 units", () => {
    assert.match(textFailure('["😀", x]').message, /at line 1, column 7:/);
  });

  test("rejects trailing garbage after the value", () => {
    assert.equal(
      textFailure('{"a":1} x').message,
      'unexpected word "x" at line 1, column 9: expected end of input',
    );
    textFailure("[] []");
    textFailure("1 2");
    textFailure('"a""b"');
  });

  const rejected: [string, string][] = [
    ["truncated object", '{"a":'],
    ["truncated array", "[1, 2"],
    ["truncated string", '"abc'],
    ["truncated literal", "tru"],
    ["truncated escape", '"ab\\'],
    ["truncated unicode escape", '"\\u12'],
    ["leading zero", "01"],
    ["leading zero after minus", "-012"],
    ["leading zero in an array", "[00]"],
    ["NaN", "NaN"],
    ["Infinity", "Infinity"],
    ["negative Infinity", "-Infinity"],
    ["plus sign", "+1"],
    ["bare minus", "-"],
    ["fraction without digits", "1."],
    ["fraction without integer part", ".5"],
    ["exponent without digits", "1e"],
    ["exponent with sign only", "1e+"],
    ["hex number", "0x10"],
    ["single-quoted string", "'a'"],
    ["single-quoted key", "{'a': 1}"],
    ["line comment", "[1] // note"],
    ["block comment", "/* note */ [1]"],
    ["trailing comma in an array", "[1, 2,]"],
    ["trailing comma in an object", '{"a": 1,}'],
    ["leading comma", "[,1]"],
    ["empty member", '{"a":1,,"b":2}'],
    ["raw newline in a string", '"a\nb"'],
    ["raw tab in a string", '"a\tb"'],
    ["raw NUL in a string", '"a\u0000b"'],
    ["bad escape", '"\\x41"'],
    ["uppercase U escape", '"\\U0041"'],
    ["short unicode escape", '"\\u41"'],
    ["non-hex unicode escape", '"\\u12G4"'],
    ["unquoted key", "{a: 1}"],
    ["number key", "{1: 1}"],
    ["missing colon", '{"a" 1}'],
    ["missing comma in an array", "[1 2]"],
    ["missing comma in an object", '{"a": 1 "b": 2}'],
    ["mismatched brackets", "[1}"],
    ["capitalised literal", "True"],
    ["undefined", "undefined"],
    ["non-JSON whitespace", "\u00a0[1]"],
    ["vertical tab", "\u000b[1]"],
  ];
  for (const [name, text] of rejected) {
    test(`rejects a ${name} with its location`, () => {
      assert.throws(() => JSON.parse(text)); // the case really is invalid JSON
      assert.match(textFailure(text).message, LOCATION);
    });
  }

  test("explains comments, single quotes and trailing commas", () => {
    assert.match(textFailure("// x\n1").message, /JSON has no comments/);
    assert.match(textFailure("['a']").message, /double quotes/);
    assert.match(textFailure("[1,\n]").message, /^trailing comma before "]" at line 2, column 1/);
  });

  test("names an unescaped control character by code point", () => {
    assert.match(textFailure('"a\u0001"').message, /control character U\+0001 .*line 1, column 3/);
  });

  test("names a leading zero", () => {
    assert.match(textFailure("[1, 007]").message, /leading zeros .*line 1, column 5/);
  });
});

/** Whether the valid JSON `text` repeats a key in some object, judged without our parser. */
function hasDuplicateKeys(text: string, parsed: unknown): boolean {
  // In valid JSON every quote outside a string opens one, so this walks exactly the strings.
  let keysInText = 0;
  for (const m of text.matchAll(/"(?:[^"\\]|\\.)*"(\s*:)?/g)) if (m[1] !== undefined) keysInText++;
  let keysInValue = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") {
      for (const [, child] of Object.entries(v)) {
        keysInValue++;
        walk(child);
      }
    }
  };
  walk(parsed);
  return keysInText !== keysInValue;
}

/** Our verdict on `text` must match JSON.parse, except that we also reject duplicate keys. */
function assertAgreesWithJsonParse(text: string): void {
  let expected: unknown;
  let valid = true;
  try {
    expected = JSON.parse(text);
  } catch {
    valid = false;
  }
  let actual: unknown;
  let error: unknown;
  try {
    actual = parseIJson(utf8(text)).value;
  } catch (err) {
    error = err;
  }
  if (!valid) {
    assert.ok(error instanceof OcicompatError && error.code === "INVALID_JSON", `accepted ${text}`);
  } else if (hasDuplicateKeys(text, expected)) {
    assert.ok(error instanceof OcicompatError, `accepted duplicate keys in ${text}`);
    assert.match(error.message, /^duplicate key /);
  } else {
    assert.equal(error, undefined, `rejected ${text}: ${String(error)}`);
    assert.deepEqual(actual, expected);
  }
}

describe("agreement with JSON.parse", () => {
  test("parses any serialised JSON value to the same value as JSON.parse", () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "grapheme" }), (v) => {
        const text = JSON.stringify(v);
        assert.deepEqual(parseIJsonText(text), JSON.parse(text));
        assert.deepEqual(parseIJson(utf8(JSON.stringify(v, null, 1))).value, JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  const token = fc.constantFrom(
    ..."{}[],:\"'0123456789-+.eE \n\t\\/nrtuabx".split(""),
    '"a"',
    '"b"',
    '"é"',
    "true",
    "false",
    "null",
    '"\\u00e9"',
    "\\n",
  );

  test("accepts exactly what JSON.parse accepts for random JSON-ish text, bar duplicate keys", () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => {
        assertAgreesWithJsonParse(tokens.join(""));
      }),
      { numRuns: 3000 },
    );
  });

  test("accepts exactly what JSON.parse accepts for valid JSON with one character changed", () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 3 }),
        fc.nat(),
        token,
        fc.constantFrom("insert", "delete", "replace"),
        (v, at, inserted, edit) => {
          const text = JSON.stringify(v, null, 1);
          const i = at % (text.length + 1);
          const mutated =
            edit === "insert"
              ? text.slice(0, i) + inserted + text.slice(i)
              : edit === "delete"
                ? text.slice(0, i) + text.slice(i + 1)
                : text.slice(0, i) + inserted + text.slice(i + 1);
          assertAgreesWithJsonParse(mutated);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
