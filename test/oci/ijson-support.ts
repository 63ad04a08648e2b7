// Shared by the ijson test files: the expected-failure helpers, which hold every failure to its
// error code (INVALID_JSON unless told otherwise) and to a message of one line.
import assert from "node:assert/strict";
import { OcicompatError } from "../../src/oci/errors.js";
import { parseIJsonText } from "../../src/oci/ijson.js";

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Runs `fn`, expecting an OcicompatError, and returns it for closer inspection. */
export function failure(fn: () => unknown, code = "INVALID_JSON"): OcicompatError {
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

export function textFailure(text: string, options?: { maxDepth?: number }): OcicompatError {
  return failure(() => parseIJsonText(text, options));
}
