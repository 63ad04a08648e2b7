// Runs ocicompat's validator over the independent fixture set in test/fixtures/validate (written
// from the image-spec and Proposal I/J rules, not from the validator's code).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { DocumentKind } from "../../src/compat/document.js";
import { validateFile } from "../../src/ops/validate-files.js";

interface FixtureCase {
  name: string;
  file: string;
  kind: DocumentKind | null;
  expect: "valid" | "invalid";
  errors: string[];
  warnings: string[];
  noWarnings?: boolean;
  parseError?: boolean;
}

const root = join("test", "fixtures", "validate");
const cases = JSON.parse(readFileSync(join(root, "cases.json"), "utf8")) as FixtureCase[];

describe("validate fixture set", () => {
  test("the set is broad: at least 60 cases, valid and invalid, across all kinds", () => {
    assert.ok(cases.length >= 60, `${cases.length} cases`);
    assert.ok(cases.some((c) => c.expect === "valid") && cases.some((c) => c.expect === "invalid"));
  });

  for (const c of cases) {
    test(`${c.expect}: ${c.name}`, async () => {
      const result = await validateFile(join(root, c.file), c.kind ? { kind: c.kind } : {});
      const detail = JSON.stringify(
        { errors: result.errors, warnings: result.warnings, failure: result.failure },
        null,
        1,
      );
      assert.equal(result.verdict, c.expect, detail);
      if (c.parseError) assert.ok(result.failure, `expected a parse failure: ${detail}`);
      const errorPaths = new Set(result.errors.map((e) => e.path));
      for (const p of c.errors) assert.ok(errorPaths.has(p), `missing error at ${p}: ${detail}`);
      const warningPaths = new Set(result.warnings.map((w) => w.path));
      for (const p of c.warnings)
        assert.ok(warningPaths.has(p), `missing warning at ${p}: ${detail}`);
      if (c.noWarnings) assert.deepEqual(result.warnings, [], detail);
    });
  }
});
