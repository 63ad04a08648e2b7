import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { scanArray, scanObject, skipValue, topLevelArray } from "../../src/oci/json-text.js";
import { OcicompatError } from "../../src/oci/errors.js";

const slices = (text: string, spans: readonly { start: number; end: number }[]): string[] =>
  spans.map((s) => text.slice(s.start, s.end));

describe("scanArray finds where each element starts and ends", () => {
  const cases: [string, string[]][] = [
    ["[]", []],
    ["[ ]", []],
    ["[1]", ["1"]],
    ['[1, "a", true, null]', ["1", '"a"', "true", "null"]],
    ['[\n  {"a": [1, 2]},\n  ["]", "[", "\\"]"]\n]', ['{"a": [1, 2]}', '["]", "[", "\\"]"]']],
    ['[ "{" , -1.5e3 ]', ['"{"', "-1.5e3"]],
    ['["\\u00e9\\\\", "ü😀"]', ['"\\u00e9\\\\"', '"ü😀"']],
  ];
  for (const [text, elements] of cases) {
    test(`${JSON.stringify(text)} has ${elements.length} element(s)`, () => {
      const scan = scanArray(text, 0);
      assert.deepEqual(slices(text, scan.elements), elements);
      assert.equal(scan.open, 0);
      assert.equal(text[scan.close], "]");
      assert.equal(scan.close, text.length - 1);
    });
  }

  test("starts at the given offset, inside a larger document", () => {
    const text = '{"x": [1, [2, 3]], "y": 4}';
    const scan = scanArray(text, text.indexOf("["));
    assert.deepEqual(slices(text, scan.elements), ["1", "[2, 3]"]);
    assert.equal(scan.close, text.indexOf("]]") + 1);
  });

  test("an unterminated array is an internal error, not an endless loop", () => {
    assert.throws(
      () => scanArray("[1, 2", 0),
      (err) => err instanceof OcicompatError && err.code === "INTERNAL",
    );
  });
});

describe("scanObject finds each member's key and value", () => {
  test("keys are decoded; spans cover the key's quotes and the whole value", () => {
    const text = '{ "a" : 1 ,"b\\"c":{"d":[]},\n"\\u0065":"}" }';
    const scan = scanObject(text, 0);
    assert.deepEqual(
      scan.members.map((m) => [
        m.key,
        text.slice(m.keyStart, m.keyEnd),
        text.slice(m.valueStart, m.valueEnd),
      ]),
      [
        ["a", '"a"', "1"],
        ['b"c', '"b\\"c"', '{"d":[]}'],
        ["e", '"\\u0065"', '"}"'],
      ],
    );
    assert.equal(scan.close, text.length - 1);
  });

  test("an empty object has no members", () => {
    assert.deepEqual(scanObject("{ }", 0), { open: 0, close: 2, members: [] });
  });

  test("a value that is not an object is an internal error", () => {
    assert.throws(
      () => scanObject("[1]", 0),
      (err) => err instanceof OcicompatError && err.code === "INTERNAL",
    );
  });
});

describe("topLevelArray finds an array member of the document's object", () => {
  test("finds manifests after other members, with leading whitespace", () => {
    const text =
      '\n {"schemaVersion":2,"annotations":{"manifests":"no"},"manifests":[{"a":1} , {}]}';
    const scan = topLevelArray(text, "manifests");
    assert.deepEqual(slices(text, scan?.elements ?? []), ['{"a":1}', "{}"]);
  });

  test("is undefined when the member is missing or not an array", () => {
    assert.equal(topLevelArray('{"schemaVersion":2}', "manifests"), undefined);
    assert.equal(topLevelArray('{"manifests":{}}', "manifests"), undefined);
  });
});

describe("the scanner agrees with JSON.parse", () => {
  const gap = fc.constantFrom("", " ", "\n  ", "\t", "\r\n");

  /** JSON text of `value` with random whitespace between tokens. */
  function render(value: unknown, gaps: () => string): string {
    if (Array.isArray(value)) {
      return `[${gaps()}${value.map((v) => render(v, gaps)).join(`${gaps()},${gaps()}`)}${gaps()}]`;
    }
    if (value !== null && typeof value === "object") {
      const members = Object.entries(value).map(
        ([k, v]) => `${JSON.stringify(k)}${gaps()}:${gaps()}${render(v, gaps)}`,
      );
      return `{${gaps()}${members.join(`${gaps()},${gaps()}`)}${gaps()}}`;
    }
    return JSON.stringify(value);
  }

  const gapsFrom = (pool: readonly string[]): (() => string) => {
    let i = 0;
    return () => pool[i++ % pool.length] ?? "";
  };

  test("array elements and object members parse to the parsed document's parts", () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { maxLength: 5 }),
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 }),
        fc.array(gap, { minLength: 16, maxLength: 16 }),
        (array, object, pool) => {
          const arrayText = render(array, gapsFrom(pool));
          const scan = scanArray(arrayText, 0);
          assert.deepEqual(
            slices(arrayText, scan.elements).map((t) => JSON.parse(t) as unknown),
            JSON.parse(arrayText),
          );
          assert.equal(skipValue(arrayText, 0), arrayText.length);

          const objectText = render(object, gapsFrom(pool));
          const members = scanObject(objectText, 0).members;
          assert.deepEqual(
            Object.fromEntries(
              members.map((m) => [
                m.key,
                JSON.parse(objectText.slice(m.valueStart, m.valueEnd)) as unknown,
              ]),
            ),
            JSON.parse(objectText),
          );
        },
      ),
    );
  });
});
