import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import {
  PRECOMPILED_SCHEMAS,
  renderValidatorFile,
  VALIDATOR_FILE,
} from "../../scripts/validator-file.js";
import { hasPrecompiledCheck, schemaIssues } from "../../src/oci/schema-check.js";
import { Type } from "@sinclair/typebox";

test("the committed precompiled validators equal what the schemas generate (run npm run gen:validators)", async () => {
  assert.equal(
    readFileSync(VALIDATOR_FILE, "utf8"),
    await renderValidatorFile(),
    `${VALIDATOR_FILE} is stale`,
  );
});

test("every schema the commands validate with is checked by a precompiled function", () => {
  for (const [name, schema] of Object.entries(PRECOMPILED_SCHEMAS)) {
    assert.ok(hasPrecompiledCheck(schema), `${name} has no precompiled check`);
  }
  // A schema nobody generated a check for is not matched by accident.
  assert.equal(hasPrecompiledCheck(Type.Object({ other: Type.String() })), false);
});

test("the precompiled file calls no custom-kind or hash helper, which schema-check.ts does not provide", () => {
  const text = readFileSync(VALIDATOR_FILE, "utf8");
  assert.doesNotMatch(text, /\bkind\(|\bhash\(/);
});

/** The demo layout's documents and, for each, copies broken in the ways users break them. */
function samples(): unknown[] {
  const dir = "examples/demo-layout/blobs/sha256";
  const docs: unknown[] = [JSON.parse(readFileSync("examples/demo-layout/index.json", "utf8"))];
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), "utf8");
    if (text.startsWith("{")) docs.push(JSON.parse(text));
  }
  for (const file of readdirSync("examples/nodes")) {
    docs.push(JSON.parse(readFileSync(join("examples/nodes", file), "utf8")));
  }
  const broken: unknown[] = [];
  for (const doc of docs) {
    if (typeof doc !== "object" || doc === null) continue;
    for (const key of Object.keys(doc)) {
      const without = { ...(doc as Record<string, unknown>) };
      delete without[key];
      broken.push(without, { ...doc, [key]: 42 }, { ...doc, [key]: "x" }, { ...doc, [key]: [] });
    }
  }
  const descriptor = {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${"a".repeat(64)}`,
    size: 2,
  };
  return [
    ...docs,
    ...broken,
    descriptor,
    { ...descriptor, digest: "sha256:XYZ" },
    { ...descriptor, size: -1 },
    { ...descriptor, urls: ["not a uri"] },
    { ...descriptor, urls: ["https://example.com/x"] },
    { ...descriptor, annotations: { a: 1 } },
    [{ "oci.cpu.vendor": "GenuineIntel" }],
    [{ score: 1.5 }],
    [],
    null,
    "text",
  ];
}

test("precompiled checks accept and refuse exactly what TypeBox's run-time compiler does", () => {
  const values = samples();
  let refused = 0;
  for (const [name, schema] of Object.entries(PRECOMPILED_SCHEMAS)) {
    const reference = TypeCompiler.Compile(schema);
    for (const value of values) {
      const expected = reference.Check(value);
      if (!expected) refused++;
      assert.equal(
        schemaIssues(schema, value).length === 0,
        expected,
        `${name} on ${JSON.stringify(value).slice(0, 120)}`,
      );
    }
  }
  assert.ok(refused > 0, "the samples include invalid documents");
});

test("a schema without a precompiled check is still checked, with located issues", () => {
  const schema = Type.Object({ name: Type.String() });
  assert.deepEqual(schemaIssues(schema, { name: "a" }), []);
  assert.deepEqual(schemaIssues(schema, { name: 1 }), [
    { path: "$.name", message: "must be a string, not number 1" },
  ]);
});
