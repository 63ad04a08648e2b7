import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { renderSchemaFiles, SCHEMA_DIR } from "../scripts/schema-files.js";

test("committed schema/*.json files equal what the schema source generates (run npm run gen:schema)", () => {
  const expected = renderSchemaFiles();
  const committed = readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort();
  assert.deepEqual(committed, [...expected.keys()].sort(), "schema/ has missing or extra files");
  for (const [name, text] of expected) {
    assert.equal(readFileSync(join(SCHEMA_DIR, name), "utf8"), text, `schema/${name} is stale`);
  }
});

test("every published schema names its $id and draft", () => {
  for (const [name, text] of renderSchemaFiles()) {
    const doc = JSON.parse(text) as Record<string, unknown>;
    assert.equal(doc["$schema"], "http://json-schema.org/draft-07/schema#");
    assert.match(String(doc["$id"]), new RegExp(`/${name.replace(".", "\\.")}$`));
  }
});
