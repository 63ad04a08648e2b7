// Store helpers: a body that can be let go of without being read.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { release, releasing } from "../../src/content/store.js";

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
