// The concurrency bound and the all-settled helpers (content/limit.ts), value in, value out.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "node:test";
import { settleAll, settleEach } from "../../src/content/limit.js";

describe("settleEach", () => {
  test("runs at most the bound at once and answers in the items' order, whatever order they end in", async () => {
    let running = 0;
    let most = 0;
    const values = await settleEach([30, 10, 20, 0, 15], 2, async (ms) => {
      running += 1;
      most = Math.max(most, running);
      await sleep(ms);
      running -= 1;
      return ms * 2;
    });
    assert.deepEqual(values, [60, 20, 40, 0, 30]);
    assert.equal(most, 2);
  });

  test("throws the lowest item's failure, only once every started item has ended", async () => {
    const ended: number[] = [];
    await assert.rejects(
      settleEach([0, 1, 2], 3, async (i) => {
        await sleep(i === 0 ? 30 : 0);
        ended.push(i);
        if (i !== 1) throw new Error(`item ${i}`);
        return i;
      }),
      /item 0/,
    );
    assert.deepEqual(ended.sort(), [0, 1, 2]);
  });
});

describe("settleAll", () => {
  test("gives every value in order when none fails", async () => {
    assert.deepEqual(await settleAll([Promise.resolve(1), sleep(5).then(() => "b")]), [1, "b"]);
  });
});
