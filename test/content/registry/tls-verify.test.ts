// skopeo's --tls-verify over the settings it overrides: the one rule the opener, login and the
// mirror's upstreams share.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tlsLeniency } from "../../../src/content/registry/tls-verify.js";

describe("tlsLeniency", () => {
  test("unset: the settings as they are", () => {
    assert.deepEqual(tlsLeniency(undefined), {});
    assert.deepEqual(tlsLeniency(undefined, { insecure: true }), { insecure: true });
    assert.deepEqual(tlsLeniency(undefined, { insecure: true, plainHttpFallback: true }), {
      insecure: true,
      plainHttpFallback: true,
    });
  });

  test("false: no certificate check and the plain-HTTP fallback, whatever the settings", () => {
    assert.deepEqual(tlsLeniency(false), { insecure: true, plainHttpFallback: true });
  });

  test("true: checks and HTTPS, winning over insecure settings and their fallback", () => {
    assert.deepEqual(tlsLeniency(true, { insecure: true, plainHttpFallback: true }), {});
  });
});
