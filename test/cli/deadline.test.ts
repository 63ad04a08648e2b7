import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deadlineSignal, parseDuration } from "../../src/cli/deadline.js";
import { OcicompatError } from "../../src/oci/errors.js";

describe("--timeout durations", () => {
  const cases: [string, number][] = [
    ["30s", 30_000],
    ["30", 30_000],
    ["1.5m", 90_000],
    ["500ms", 500],
    ["2h", 7_200_000],
    ["0", 0],
  ];
  for (const [text, ms] of cases) {
    test(`${text} is ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }

  for (const bad of ["", "soon", "-5s", "5d", "1e3", "99999h"]) {
    test(`${JSON.stringify(bad)} is a usage error`, () => {
      assert.throws(
        () => parseDuration(bad),
        (err) => err instanceof OcicompatError && err.code === "USAGE",
      );
    });
  }

  test("0 gives no signal at all, so nothing is ever cut short", () => {
    assert.equal(deadlineSignal("0", "ref"), undefined);
    assert.equal(deadlineSignal(undefined, "ref"), undefined);
  });

  test("a deadline aborts its signal with a TIMEOUT error naming the flag and the reference", async () => {
    const signal = deadlineSignal("10ms", "registry.example/app:v1");
    assert.ok(signal);
    // The deadline's timer is unref'd (it must not keep a CLI alive); this one keeps the test alive.
    const keepAlive = setTimeout(() => undefined, 10_000);
    await new Promise((resolve) => signal.addEventListener("abort", resolve));
    clearTimeout(keepAlive);
    assert.ok(signal.reason instanceof OcicompatError);
    assert.equal(signal.reason.code, "TIMEOUT");
    assert.match(signal.reason.message, /10ms \(--timeout\)/);
    assert.equal(signal.reason.subject, "registry.example/app:v1");
  });
});
