import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  loadReferrersMemo,
  mergeReferrersMemo,
  REFERRERS_MEMO_TTL_MS,
  saveReferrersMemo,
} from "../../../src/content/cache/referrers-memo.js";

describe("the referrers-API memo beside the cache", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocicompat-memo-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const now = 1_800_000_000_000;

  test("what was saved is loaded again, in a directory that did not exist yet", async () => {
    const where = join(dir, "new", "cache");
    const memo = mergeReferrersMemo(new Map(), new Map([["r.example/app", false]]), now);
    await saveReferrersMemo(where, memo);
    assert.deepEqual(
      [...(await loadReferrersMemo(where, now + 1000))],
      [["r.example/app", { api: false, at: now }]],
    );
  });

  test("an answer older than the TTL, or dated in the future, is forgotten", async () => {
    writeFileSync(
      join(dir, "referrers-api.json"),
      JSON.stringify({
        "r.example/old": { api: false, at: now - REFERRERS_MEMO_TTL_MS - 1 },
        "r.example/fresh": { api: true, at: now - 1000 },
        "r.example/future": { api: false, at: now + 60_000 },
      }),
    );
    assert.deepEqual([...(await loadReferrersMemo(dir, now)).keys()], ["r.example/fresh"]);
  });

  test("an answer asked again keeps its age when unchanged, and is dated now when it changed", () => {
    const loaded = new Map([
      ["r.example/a", { api: false, at: now - 5000 }],
      ["r.example/b", { api: false, at: now - 5000 }],
    ]);
    const merged = mergeReferrersMemo(
      loaded,
      new Map([
        ["r.example/a", false],
        ["r.example/b", true],
        ["r.example/c", false],
      ]),
      now,
    );
    assert.deepEqual(Object.fromEntries(merged), {
      "r.example/a": { api: false, at: now - 5000 },
      "r.example/b": { api: true, at: now },
      "r.example/c": { api: false, at: now },
    });
  });

  test("a file that is not a memo, or entries of the wrong shape, read as nothing known", async () => {
    const bad = join(dir, "bad");
    await saveReferrersMemo(bad, new Map());
    writeFileSync(join(bad, "referrers-api.json"), "{not json");
    assert.equal((await loadReferrersMemo(bad, now)).size, 0);
    writeFileSync(
      join(bad, "referrers-api.json"),
      JSON.stringify({ a: { api: "no", at: now }, b: [1], c: { api: true } }),
    );
    assert.equal((await loadReferrersMemo(bad, now)).size, 0);
    assert.match(readFileSync(join(bad, "referrers-api.json"), "utf8"), /"no"/);
  });
});
