import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ownValue, recordOf } from "../../src/compat/own-record.js";

/** Entries with the awkward keys: `__proto__`, inherited names, integer-like keys, a duplicate. */
function awkward(size: number): [string, number][] {
  const out: [string, number][] = [];
  for (let i = 0; i < size; i++) out.push([`CONFIG_OPTION_${i}`, i]);
  out.splice(3, 0, ["__proto__", -1], ["toString", -2], ["10", -3], ["2", -4]);
  out.push(["CONFIG_OPTION_0", -5]);
  return out;
}

describe("recordOf", () => {
  for (const size of [5, 2000]) {
    test(`a record of ${size} keys has the same own entries, in the same order, as Object.fromEntries`, () => {
      const entries = awkward(size);
      const built = recordOf(entries);
      const reference = Object.fromEntries(entries) as Record<string, number>;
      assert.deepEqual(Object.entries(built), Object.entries(reference));
      assert.equal(Object.getPrototypeOf(built), Object.prototype, "__proto__ set no prototype");
      assert.equal(ownValue(built, "__proto__"), -1);
      assert.equal(ownValue(built, "toString"), -2);
      assert.equal(built["CONFIG_OPTION_0"], -5, "a repeated key keeps its last value");
      assert.deepEqual(Object.keys(built).slice(0, 2), ["2", "10"], "integer keys first");
    });
  }

  test("a large record from a generator, not an array, is built the same way", () => {
    const entries = awkward(500);
    function* each() {
      yield* entries;
    }
    assert.deepEqual(Object.entries(recordOf(each())), Object.entries(Object.fromEntries(entries)));
  });

  test("a large record serialises as the same JSON", () => {
    const entries = awkward(1500);
    assert.equal(JSON.stringify(recordOf(entries)), JSON.stringify(Object.fromEntries(entries)));
  });
});
