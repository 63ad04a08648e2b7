// The copy command's memory relief (src/cli/memory.ts): when it collects, and that its collector
// is a real full collection of V8's heap.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { getHeapStatistics } from "node:v8";
import { youngCollector, shouldCollect, startMemoryRelief } from "../../src/cli/memory.js";

const MiB = 1024 * 1024;

describe("shouldCollect", () => {
  test("collects from the threshold up, not below it", () => {
    assert.equal(shouldCollect(4 * MiB - 1, 4 * MiB), false);
    assert.equal(shouldCollect(4 * MiB, 4 * MiB), true);
    assert.equal(shouldCollect(40 * MiB, 4 * MiB), true);
  });
});

describe("youngCollector", () => {
  test("runs a young-generation collection without --expose-gc on the command line", async () => {
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined");
    const collect = youngCollector();
    // Node reports each collection V8 makes, with its kind and start, a little after it ran; only
    // one that started during the call counts. (Whether dead buffers go is no test of the
    // collector: V8 collects by itself once 32 MiB of them pile up.)
    const seen: { kind: number; start: number }[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const { kind } = (entry as unknown as { detail: { kind: number } }).detail;
        seen.push({ kind, start: entry.startTime });
      }
    });
    observer.observe({ entryTypes: ["gc"] });
    const during = (): boolean =>
      seen.some(
        (e) => e.kind === constants.NODE_PERFORMANCE_GC_MINOR && e.start >= from && e.start <= to,
      );
    const from = performance.now();
    collect();
    const to = performance.now();
    try {
      for (let i = 0; i < 100 && !during(); i++) await sleep(5);
    } finally {
      observer.disconnect();
    }
    assert.ok(during(), `collections seen: ${JSON.stringify(seen)}, the call ran ${from}-${to}`);
  });

  test("leaves gc unexposed to later contexts and to this one", async () => {
    youngCollector();
    const { runInNewContext } = await import("node:vm");
    assert.equal(runInNewContext("typeof gc"), "undefined");
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined");
  });
});

describe("startMemoryRelief", () => {
  test("collects at the checks that find array buffers past the threshold, and stops when told", async () => {
    const readings = [1 * MiB, 5 * MiB, 2 * MiB, 9 * MiB];
    const seen: number[] = [];
    let collected = 0;
    let stop: () => void = () => undefined;
    // The relief's timer does not keep the process alive; this one does, while the test waits.
    const alive = setInterval(() => undefined, 1000);
    const finished = new Promise<void>((resolve) => {
      const relief = startMemoryRelief({
        thresholdBytes: 4 * MiB,
        intervalMs: 1,
        measure: () => {
          const reading = readings[seen.length] ?? 0;
          seen.push(reading);
          if (seen.length === readings.length) {
            relief.stop();
            resolve();
          }
          return reading;
        },
        collect: () => collected++,
      });
      stop = relief.stop;
    });
    await finished;
    stop();
    clearInterval(alive);
    // Let a few more intervals pass: a stopped relief checks nothing more.
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 2));
    assert.deepEqual(seen, readings);
    assert.equal(collected, 2);
  });

  test("makes its collector's context only when a check first passes the threshold", async () => {
    const contexts = () => getHeapStatistics().number_of_native_contexts;
    const ticks = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 2));
    };
    // A collection first, from a collector kept alive to the end: the relief's own collections
    // then find no dead context of earlier tests to free, and the count only grows.
    const settle = youngCollector();
    settle();
    const before = contexts();
    let reading = 0;
    const relief = startMemoryRelief({
      thresholdBytes: 4 * MiB,
      intervalMs: 1,
      measure: () => reading,
    });
    await ticks(5);
    assert.equal(contexts(), before);
    reading = 8 * MiB;
    await ticks(5);
    relief.stop();
    // One context for every collection of this relief, however many checks collected.
    assert.equal(contexts(), before + 1);
    settle();
  });
});
