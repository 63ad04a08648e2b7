import { formatJsonPath } from "../../src/oci/json-path.js";
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { OcicompatError } from "../../src/oci/errors.js";
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  parseIJson,
  parseIJsonText,
} from "../../src/oci/ijson.js";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Runs `fn`, expecting an OcicompatError, and returns it for closer inspection. */
function failure(fn: () => unknown, code = "INVALID_JSON"): OcicompatError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OcicompatError, `expected an OcicompatError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(!err.message.includes("\n"), `message should be one line: ${err.message}`);
    return err;
  }
  assert.fail("expected the parse to fail");
}

function textFailure(text: string, options?: { maxDepth?: number }): OcicompatError {
  return failure(() => parseIJsonText(text, options));
}

const LOCATION = /at line \d+, column \d+/;

describe("formatJsonPath", () => {
  test("renders the empty path as $", () => {
    assert.equal(formatJsonPath([]), "$");
  });

  test("uses dots for identifier keys and brackets for indices", () => {
    assert.equal(formatJsonPath(["manifests", 2, "digest"]), "$.manifests[2].digest");
    assert.equal(formatJsonPath(["_a1", 0, 10]), "$._a1[0][10]");
  });

  test("quotes keys that are not identifiers as JSON strings", () => {
    assert.equal(formatJsonPath(["platform", "os.features"]), '$.platform["os.features"]');
    assert.equal(formatJsonPath(["1a", "", 'q"']), '$["1a"][""]["q\\""]');
  });
});

describe("parseIJson", () => {
  const index = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: `sha256:${"a".repeat(64)}`,
        size: 7143,
        platform: { architecture: "arm64", os: "linux", variant: "v8", "os.features": [] },
        annotations: { "org.opencontainers.image.title": "naïve — café ☕ 😀" },
      },
    ],
  };

  test("parses an image index to the same value as JSON.parse", () => {
    const text = JSON.stringify(index, null, 2);
    assert.deepEqual(parseIJson(utf8(text)).value, JSON.parse(text));
  });

  test("returns the very bytes it was given, their size and their sha256 digest", () => {
    const bytes = utf8(JSON.stringify(index));
    const doc = parseIJson(bytes);
    assert.equal(doc.bytes, bytes);
    assert.equal(doc.size, bytes.byteLength);
    const expected = createHash("sha256").update(bytes).digest("hex");
    assert.equal(doc.digest, `sha256:${expected}`);
  });

  test("reads a Uint8Array view that starts inside a larger buffer", () => {
    const whole = utf8('xx{"a":[1,2]}yy');
    const view = whole.subarray(2, whole.length - 2);
    assert.deepEqual(parseIJson(view).value, { a: [1, 2] });
  });

  test("exports the documented defaults", () => {
    assert.equal(DEFAULT_MAX_BYTES, 4 * 1024 * 1024);
    assert.equal(DEFAULT_MAX_DEPTH, 1000);
  });
});

describe("size limit", () => {
  test("rejects a 100 MB buffer as TOO_LARGE without reading it", () => {
    const bytes = Buffer.alloc(100 * 1024 * 1024);
    const started = performance.now();
    const err = failure(() => parseIJson(bytes), "TOO_LARGE");
    const elapsed = performance.now() - started;
    assert.equal(err.message, "document is 104857600 bytes; the limit is 4194304 bytes (4 MiB)");
    assert.ok(elapsed < 50, `took ${elapsed} ms`);
  });

  test("accepts a document of exactly maxBytes and rejects one byte more", () => {
    assert.deepEqual(parseIJson(utf8("[1]"), { maxBytes: 3 }).value, [1]);
    const err = failure(() => parseIJson(utf8("[10]"), { maxBytes: 3 }), "TOO_LARGE");
    assert.equal(err.message, "document is 4 bytes; the limit is 3 bytes");
  });

  test("measures decoded text in UTF-8 bytes against maxBytes", () => {
    // "é" is one UTF-16 unit but two UTF-8 bytes: 4 characters, 5 bytes.
    assert.equal(parseIJsonText('"é"', { maxBytes: 4 }), "é");
    failure(() => parseIJsonText('"éé"', { maxBytes: 5 }), "TOO_LARGE");
    failure(() => parseIJsonText("[" + "0,".repeat(100) + "0]", { maxBytes: 100 }), "TOO_LARGE");
  });

  test("names a non-round limit in KiB", () => {
    const err = failure(() => parseIJson(Buffer.alloc(3000), { maxBytes: 1536 }), "TOO_LARGE");
    assert.equal(err.message, "document is 3000 bytes; the limit is 1536 bytes (1.5 KiB)");
  });
});

describe("encoding", () => {
  test("rejects invalid UTF-8 and names the byte offset", () => {
    const bytes = Uint8Array.from([...utf8('{"a":"xy'), 0xff, ...utf8('"}')]);
    const err = failure(() => parseIJson(bytes));
    assert.match(err.message, /invalid UTF-8 at byte offset 8\b/);
  });

  test("names the offset of a truncated, overlong or surrogate sequence", () => {
    const cases: [number[], number][] = [
      [[0x22, 0x61, 0xc3], 2], // "a then half of a two-byte sequence
      [[0x22, 0xc0, 0xaf, 0x22], 1], // overlong "/"
      [[0x22, 0x61, 0x62, 0xed, 0xa0, 0x80, 0x22], 3], // UTF-8 encoded U+D800
      [[0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], 1], // above U+10FFFF
      [[0x22, 0xe2, 0x82, 0xac, 0x80, 0x22], 4], // stray continuation after a valid euro sign
    ];
    for (const [bytes, offset] of cases) {
      const err = failure(() => parseIJson(Uint8Array.from(bytes)));
      assert.match(err.message, new RegExp(`byte offset ${offset}\\b`), err.message);
    }
  });

  test("rejects a UTF-8 byte order mark", () => {
    const err = failure(() => parseIJson(Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8("{}")])));
    assert.equal(err.message, "byte order mark is not allowed in I-JSON");
  });

  test("rejects a byte order mark at the start of decoded text", () => {
    assert.equal(textFailure("\uFEFF{}").message, "byte order mark is not allowed in I-JSON");
  });

  test("rejects a raw lone surrogate in decoded text", () => {
    const err = textFailure('["ok", "\uD800"]');
    assert.match(err.message, /lone surrogate U\+D800/);
    assert.match(err.message, /line 1, column 9/);
  });
});

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

describe("duplicate keys", () => {
  test("rejects a duplicate key and names its JSON path", () => {
    const text = JSON.stringify({ manifests: [{}, {}, { digest: "x" }] }).replace(
      '"digest":"x"',
      '"digest":"x","size":1,"digest":"y"',
    );
    const err = textFailure(text);
    assert.match(err.message, /^duplicate key "digest" at \$\.manifests\[2\]\.digest /);
    assert.equal(err.subject, undefined, "the caller names the file");
  });

  test("rejects a duplicate top-level key", () => {
    assert.match(textFailure('{"a":1,"a":1}').message, /duplicate key "a" at \$\.a \(line 1, col/);
  });

  test("quotes a duplicate key that is not an identifier in the path", () => {
    const err = textFailure('{"platform":{"os.features":[],"os.features":["x"]}}');
    assert.match(err.message, /at \$\.platform\["os\.features"\]/);
  });

  test("rejects keys that are equal only after unescaping", () => {
    assert.match(textFailure('{"ab":1,"\\u0061b":2}').message, /duplicate key "ab"/);
  });

  test("rejects duplicates of inherited names such as __proto__ and constructor", () => {
    textFailure('{"__proto__":1,"__proto__":2}');
    textFailure('{"constructor":1,"constructor":2}');
    textFailure('{"toString":{},"toString":{}}');
  });

  test("rejects a duplicate key added anywhere in a random document, however deep (JSON.parse would keep the last)", () => {
    const objectsIn = (v: unknown): Record<string, unknown>[] => {
      if (Array.isArray(v)) return v.flatMap(objectsIn);
      if (typeof v !== "object" || v === null) return [];
      const o = v as Record<string, unknown>;
      return [...(Object.keys(o).length > 0 ? [o] : []), ...Object.values(o).flatMap(objectsIn)];
    };
    /** JSON text of `v` in which `target` repeats its first key (with the value 0) up front. */
    const serialise = (v: unknown, target: object): string => {
      if (Array.isArray(v)) return `[${v.map((x) => serialise(x, target)).join(",")}]`;
      if (typeof v !== "object" || v === null) return JSON.stringify(v);
      const members = Object.entries(v).map(
        ([k, x]) => `${JSON.stringify(k)}:${serialise(x, target)}`,
      );
      if (v === target) members.unshift(`${JSON.stringify(Object.keys(v)[0])}:0`);
      return `{${members.join(",")}}`;
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.nat(), (value, pick) => {
        const objects = objectsIn(value);
        fc.pre(objects.length > 0);
        const text = serialise(value, objects[pick % objects.length] as object);
        assert.doesNotThrow(() => JSON.parse(text));
        assert.match(textFailure(text).message, /^duplicate key /);
      }),
      { numRuns: 300 },
    );
  });

  test("accepts the same key in sibling and nested objects", () => {
    const text = '{"a":{"a":1},"b":[{"a":1},{"a":2}]}';
    assert.deepEqual(parseIJsonText(text), JSON.parse(text));
  });

  test("keeps keys exact when many distinct keys repeat across objects", () => {
    // Enough distinct keys to make the internal key cache collide and evict.
    const rows = Array.from({ length: 50 }, (_, r) =>
      Object.fromEntries(Array.from({ length: 400 }, (_, k) => [`key${(k * 7 + r) % 400}`, k])),
    );
    const text = JSON.stringify(rows);
    assert.deepEqual(parseIJsonText(text, { maxBytes: 1e8 }), rows);
    assert.deepEqual(parseIJsonText(text, { maxBytes: 1e8 }), rows);
  });
});

describe("nesting depth", () => {
  test("accepts nesting of exactly maxDepth levels", () => {
    const text = "[".repeat(DEFAULT_MAX_DEPTH) + "]".repeat(DEFAULT_MAX_DEPTH);
    assert.ok(Array.isArray(parseIJsonText(text)));
  });

  test("rejects 100,000 nested arrays without overflowing the stack", () => {
    const err = textFailure("[".repeat(100_000));
    assert.equal(err.message, "nesting deeper than 1000 levels at line 1, column 1001");
  });

  test("rejects 100,000 nested objects without overflowing the stack", () => {
    assert.match(textFailure('{"a":'.repeat(100_000)).message, /^nesting deeper than 1000/);
  });

  test("honours a smaller maxDepth, counting empty containers too", () => {
    assert.deepEqual(parseIJsonText("[[]]", { maxDepth: 2 }), [[]]);
    assert.match(textFailure("[[{}]]", { maxDepth: 2 }).message, /deeper than 2 levels/);
  });

  test("parses 100,000 levels when the caller allows them", () => {
    const depth = 100_000;
    const text = "[".repeat(depth) + "]".repeat(depth);
    let value = parseIJsonText(text, { maxDepth: Infinity });
    let levels = 0;
    while (Array.isArray(value)) {
      levels++;
      value = value[0];
    }
    assert.equal(levels, depth);
  });
});

describe("strings", () => {
  test("decodes every escape", () => {
    assert.equal(
      parseIJsonText('"q\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\tu\\u00e9\\u20AC"'),
      'q"b\\s/b\bf\fn\nr\rt\tué€',
    );
  });

  test("joins an escaped surrogate pair into one character", () => {
    assert.equal(parseIJsonText('"\\ud83d\\ude00"'), "😀");
  });

  test("rejects lone surrogate escapes", () => {
    for (const text of [
      '"\\ud800"',
      '"\\udc00"',
      '"\\ud800\\u0041"',
      '"\\ud800x"',
      '"\\udc00\\ud800"',
    ]) {
      assert.match(textFailure(text).message, /lone surrogate escape/, text);
    }
  });
});

describe("numbers", () => {
  test("parses numbers exactly as JSON.parse does", () => {
    for (const text of [
      "0",
      "-0",
      "7",
      "-123",
      "0.1",
      "1.5e-3",
      "1E+2",
      "2e2",
      "123456789012345",
      "1234567890123456",
      "9007199254740993",
      "12345678901234567890",
      "1e400",
      "-1e-400",
      "0.30000000000000004",
    ]) {
      assert.equal(Object.is(parseIJsonText(text), JSON.parse(text)), true, text);
    }
  });

  test("keeps integers beyond 2^53 instead of rejecting them", () => {
    assert.equal(parseIJsonText("18446744073709551615"), 2 ** 64);
  });
});

describe("objects", () => {
  test("makes __proto__ an ordinary own property without touching the prototype", () => {
    const value = parseIJsonText('{"__proto__":{"polluted":true},"a":1}') as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(value), ["__proto__", "a"]);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(value, "__proto__")?.value, {
      polluted: true,
    });
    assert.equal((value as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  test("makes constructor and other inherited names own properties", () => {
    const value = parseIJsonText('{"constructor":1,"toString":"x","hasOwnProperty":null}');
    assert.deepEqual(Object.keys(value as object), ["constructor", "toString", "hasOwnProperty"]);
    assert.equal((value as Record<string, unknown>)["constructor"], 1);
  });

  test("builds plain objects and arrays", () => {
    const value = parseIJsonText('{"a":[{}]}') as { a: unknown[] };
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.ok(Array.isArray(value.a));
    assert.equal(Object.getPrototypeOf(value.a[0]), Object.prototype);
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
