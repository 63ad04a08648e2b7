// The one change of scheme a registry client may make, and the requests that were in flight when
// another request's answer made it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { switchScheme, type SchemeState } from "../../../src/content/registry/scheme-switch.js";

const HTTP = "http://127.0.0.1:5000";
const HTTPS = "https://127.0.0.1:5000";

function loopbackDefault(): SchemeState {
  return { scheme: "http", switchTo: "https", left: undefined };
}

test("the first answer from a TLS server moves a loopback client to HTTPS; one still in flight is sent again", () => {
  const state = loopbackDefault();
  assert.equal(switchScheme(state, "https", HTTP, HTTP, true), true);
  assert.deepEqual(state, { scheme: "https", switchTo: undefined, left: HTTP });
  assert.equal(switchScheme(state, "https", HTTP, HTTPS, true), true, "sent before the change");
  assert.deepEqual(state, { scheme: "https", switchTo: undefined, left: HTTP });
});

test("an HTTPS endpoint that does not speak TLS moves a plainHttpFallback client to plain HTTP, once, and its peers follow", () => {
  const state: SchemeState = { scheme: "https", switchTo: "http", left: undefined };
  assert.equal(switchScheme(state, "http", HTTPS, HTTPS, true), true);
  assert.equal(state.scheme, "http");
  assert.equal(switchScheme(state, "http", HTTPS, HTTP, true), true, "sent before the change");
  assert.equal(switchScheme(state, "https", HTTP, HTTP, true), false, "never back");
});

test("no change for a body that cannot be sent again, another origin, or a scheme asked for", () => {
  const state = loopbackDefault();
  assert.equal(switchScheme(state, "https", HTTP, HTTP, false), false);
  assert.equal(switchScheme(state, "https", "http://other:5000", HTTP, true), false);
  assert.deepEqual(state, loopbackDefault());
  const asked: SchemeState = { scheme: "http", switchTo: undefined, left: undefined };
  assert.equal(switchScheme(asked, "https", HTTP, HTTP, true), false, "--plain-http stands");
  const moved = loopbackDefault();
  switchScheme(moved, "https", HTTP, HTTP, true);
  assert.equal(switchScheme(moved, "https", "http://other:5000", HTTPS, true), false);
  assert.equal(switchScheme(moved, "https", HTTP, HTTPS, false), false);
});
