// Set facts: sorted by UTF-16 code unit whatever the locale, duplicates dropped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setFact } from "../../src/node/set-fact.js";

test("a set fact is sorted by code unit (upper case before lower, accents last), without duplicates", () => {
  assert.deepEqual(setFact(["b", "B", "a", "é", "Z", "a", "_X", "1"]), [
    "1",
    "B",
    "Z",
    "_X",
    "a",
    "b",
    "é",
  ]);
});

test("a set fact of nothing is empty", () => {
  assert.deepEqual(setFact(new Set<string>()), []);
});
