// The values the I-JSON parser builds: a duplicate key refused with its JSON path (JSON.parse
// would keep the last), strings with every escape decoded, numbers exactly as JSON.parse reads
// them, and plain objects whose inherited names (__proto__, constructor) are own properties.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseIJsonText } from "../../src/oci/ijson.js";
import { textFailure } from "./ijson-support.js";

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

  test("rejects a duplicate key even when an escaped colon makes up the colon it lost", () => {
    // JSON.parse keeps one "a" and one ":", as many colons as the text shows unescaped.
    assert.match(textFailure('{"a":1,"a":"\\u003a"}').message, /^duplicate key "a"/);
    assert.match(textFailure('{"a":1,"a":"\\u003A"}').message, /^duplicate key "a"/);
  });

  test("accepts colons in keys and strings, raw or escaped", () => {
    const text = '{"a:b":"c:d","e":["\\u003a",":"],"f":"\\\\u003a","g":{"h:":":"}}';
    assert.deepEqual(parseIJsonText(text), JSON.parse(text));
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
