// Store helpers: a body that can be let go of without being read; a stream checked once.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import {
  carryVerification,
  isVerifiedFor,
  release,
  releasing,
  verifying,
} from "../../src/content/store.js";

async function* chunks(): AsyncIterable<Uint8Array> {
  yield new Uint8Array([1]);
  yield new Uint8Array([2]);
}

describe("releasing", () => {
  test("let go of before the first read: released once, and nothing is read", async () => {
    let released = 0;
    const body = releasing(chunks(), () => released++);
    await release(body);
    await release(body);
    assert.equal(released, 1);
    assert.deepEqual(await body.next(), { done: true, value: undefined });
  });

  test("read to the end: released once, and every chunk arrives", async () => {
    let released = 0;
    const got: number[] = [];
    for await (const c of releasing(chunks(), () => released++)) got.push(...c);
    assert.deepEqual(got, [1, 2]);
    assert.equal(released, 1);
  });

  test("a failing source: released, and the error passes through", async () => {
    let released = 0;
    async function* broken(): AsyncIterable<Uint8Array> {
      yield new Uint8Array([1]);
      throw new Error("connection reset");
    }
    const body = releasing(broken(), () => released++);
    await assert.rejects(async () => {
      for await (const _ of body) void _;
    }, /connection reset/);
    assert.equal(released, 1);
  });

  test("a reader that stops early releases it", async () => {
    let released = 0;
    for await (const _ of releasing(chunks(), () => released++)) {
      void _;
      break;
    }
    assert.equal(released, 1);
  });
});

describe("verifying, once per copy", () => {
  const bytes = new Uint8Array([1, 2]);
  const desc = {
    mediaType: "application/octet-stream",
    digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    size: 2,
  };

  test("a stream already checked against the descriptor is passed on as it is, not hashed again", () => {
    const checked = verifying(chunks(), desc);
    assert.equal(isVerifiedFor(checked, desc), true);
    assert.equal(verifying(checked, desc), checked);
  });

  test("the mark holds only for the digest checked: another descriptor's check wraps the stream", () => {
    const checked = verifying(chunks(), desc);
    const other = { ...desc, digest: `sha256:${"0".repeat(64)}` };
    assert.equal(isVerifiedFor(checked, other), false);
    assert.notEqual(verifying(checked, other), checked);
    assert.equal(isVerifiedFor(chunks(), desc), false);
    assert.equal(isVerifiedFor(bytes, desc), false);
  });

  test("pass-through wrappers (releasing, carryVerification) keep the mark, and a bad stream still fails", async () => {
    const wrapped = carryVerification(
      verifying(chunks(), { ...desc, size: 3 }),
      releasing(verifying(chunks(), { ...desc, size: 3 }), () => undefined),
    );
    assert.equal(isVerifiedFor(wrapped, { ...desc, size: 3 }), true);
    await assert.rejects(
      (async () => {
        for await (const _ of verifying(wrapped, { ...desc, size: 3 })) void _;
      })(),
      { code: "SIZE_MISMATCH" },
    );
  });
});
