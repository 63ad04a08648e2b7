// What undici calls of node:assert: only `assert(value, message?)`, for its own invariants. The
// real module loads four more (its error class, call tracker, diff colours), about 1 ms of every
// registry command. A failed invariant is a bug in undici, reported as node:assert would: an
// AssertionError with code ERR_ASSERTION. A test checks that undici calls nothing else. Used by
// scripts/bundle-cli.mjs.
"use strict";

class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
    this.code = "ERR_ASSERTION";
  }
}

function assert(value, message) {
  if (value) return;
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? "The expression evaluated to a falsy value");
}

assert.ok = assert;
assert.AssertionError = AssertionError;
module.exports = assert;
