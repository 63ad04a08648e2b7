// The `created` time attach and protect write by default: $SOURCE_DATE_EPOCH when set, so that a
// re-run (the walkthrough's generator, reproducible builds) writes the same digests.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defaultCreated } from "../../../src/ops/attach/created.js";

describe("defaultCreated", () => {
  test("SOURCE_DATE_EPOCH gives that second in RFC 3339 UTC", () => {
    assert.equal(defaultCreated({ SOURCE_DATE_EPOCH: "1796083200" }), "2026-12-01T00:00:00Z");
    assert.equal(defaultCreated({ SOURCE_DATE_EPOCH: "0" }), "1970-01-01T00:00:00Z");
  });

  test("without SOURCE_DATE_EPOCH (or with it empty) it is now, in whole seconds", () => {
    for (const env of [{}, { SOURCE_DATE_EPOCH: "" }]) {
      const got = defaultCreated(env);
      assert.match(got, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(Math.abs(Date.parse(got) - Date.now()) < 5 * 60_000, got);
    }
  });

  test("a SOURCE_DATE_EPOCH that is not whole seconds is a USAGE error naming the variable", () => {
    for (const bad of ["1.5", "-1", "yesterday", "1e9"]) {
      assert.throws(
        () => defaultCreated({ SOURCE_DATE_EPOCH: bad }),
        (err: { code?: string; message?: string }) =>
          err.code === "USAGE" && /SOURCE_DATE_EPOCH/.test(String(err.message)),
      );
    }
  });
});
