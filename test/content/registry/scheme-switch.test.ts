// The one change of scheme a registry client may make, and the requests that were in flight when
// another request's answer made it.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  settleScheme,
  switchScheme,
  type SchemeState,
} from "../../../src/content/registry/scheme-switch.js";

const HTTP = "http://127.0.0.1:5000";
const HTTPS = "https://127.0.0.1:5000";
const to = (origin: string) => () => origin;

function loopbackDefault(): SchemeState {
  return { scheme: "http", switchTo: "https", left: undefined };
}

test("the first answer from a TLS server moves a loopback client to HTTPS; one still in flight is sent again", () => {
  const state = loopbackDefault();
  assert.equal(switchScheme(state, "https", HTTP, HTTP, to(HTTPS), true), true);
  assert.deepEqual(state, { scheme: "https", switchTo: undefined, left: HTTP });
  assert.equal(switchScheme(state, "https", HTTP, HTTPS, to(HTTPS), true), true, "in flight");
  assert.deepEqual(state, { scheme: "https", switchTo: undefined, left: HTTP });
});

test("a request whose URL names the old origin itself is not sent again: it would meet the same answer, over and over", () => {
  const state = loopbackDefault();
  switchScheme(state, "https", HTTP, HTTP, to(HTTPS), true);
  assert.equal(switchScheme(state, "https", HTTP, HTTPS, to(HTTP), true), false);
});

test("an HTTPS endpoint that does not speak TLS moves a plainHttpFallback client to plain HTTP, once, and its peers follow", () => {
  const state: SchemeState = { scheme: "https", switchTo: "http", left: undefined };
  assert.equal(switchScheme(state, "http", HTTPS, HTTPS, to(HTTP), true), true);
  assert.equal(state.scheme, "http");
  assert.equal(switchScheme(state, "http", HTTPS, HTTP, to(HTTP), true), true, "in flight");
  assert.equal(switchScheme(state, "https", HTTP, HTTP, to(HTTPS), true), false, "never back");
});

test("an answer over HTTPS settles the scheme: before the change none is made, after it nothing more goes again in clear", () => {
  const before: SchemeState = { scheme: "https", switchTo: "http", left: undefined };
  settleScheme(before, HTTPS, HTTPS);
  assert.equal(before.switchTo, undefined);
  assert.equal(switchScheme(before, "http", HTTPS, HTTPS, to(HTTP), true), false);
  const after: SchemeState = { scheme: "https", switchTo: "http", left: undefined };
  switchScheme(after, "http", HTTPS, HTTPS, to(HTTP), true);
  settleScheme(after, HTTPS, HTTP); // another request's answer from the origin left
  assert.equal(after.left, undefined);
  assert.equal(switchScheme(after, "http", HTTPS, HTTP, to(HTTP), true), false);
});

test("no change for a body that cannot be sent again, another origin, or a scheme asked for", () => {
  const state = loopbackDefault();
  assert.equal(switchScheme(state, "https", HTTP, HTTP, to(HTTPS), false), false);
  assert.equal(switchScheme(state, "https", "http://other:5000", HTTP, to(HTTPS), true), false);
  assert.deepEqual(state, loopbackDefault());
  const asked: SchemeState = { scheme: "http", switchTo: undefined, left: undefined };
  assert.equal(switchScheme(asked, "https", HTTP, HTTP, to(HTTPS), true), false, "--plain-http");
  const moved = loopbackDefault();
  switchScheme(moved, "https", HTTP, HTTP, to(HTTPS), true);
  assert.equal(switchScheme(moved, "https", "http://other:5000", HTTPS, to(HTTPS), true), false);
  assert.equal(switchScheme(moved, "https", HTTP, HTTPS, to(HTTPS), false), false);
});
