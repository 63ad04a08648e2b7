// The repository store's memory of recent manifests: bounded by count and by bytes, oldest out
// first, and one manifest larger than the byte bound never kept.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createManifestMemo,
  forgetManifest,
  MANIFEST_MEMO_BYTES,
  recallManifest,
  rememberManifest,
} from "../../../src/content/registry/manifest-memo.js";

const manifest = (size: number) => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  bytes: new Uint8Array(size),
});
const limits = { entries: 3, bytes: 100 };

describe("the manifest memo", () => {
  test("past the count bound the oldest goes; remembering one again makes it the newest", () => {
    const memo = createManifestMemo();
    for (const d of ["a", "b", "c"]) rememberManifest(memo, d, manifest(10), limits);
    rememberManifest(memo, "a", manifest(10), limits);
    rememberManifest(memo, "d", manifest(10), limits);
    assert.deepEqual([...memo.entries.keys()], ["c", "a", "d"]);
    assert.equal(memo.bytes, 30);
  });

  test("past the byte bound the oldest go until it fits, however few entries that leaves", () => {
    const memo = createManifestMemo();
    rememberManifest(memo, "a", manifest(40), limits);
    rememberManifest(memo, "b", manifest(40), limits);
    rememberManifest(memo, "c", manifest(90), limits);
    assert.deepEqual([...memo.entries.keys()], ["c"]);
    assert.equal(memo.bytes, 90);
  });

  test("a manifest larger than the byte bound is not kept, and replaces no other", () => {
    const memo = createManifestMemo();
    rememberManifest(memo, "a", manifest(50), limits);
    rememberManifest(memo, "huge", manifest(101), limits);
    assert.equal(recallManifest(memo, "huge"), undefined);
    assert.deepEqual([...memo.entries.keys()], ["a"]);
  });

  test("forgetting one gives its bytes back; the default bounds are 128 entries and 2 MiB", () => {
    const memo = createManifestMemo();
    rememberManifest(memo, "a", manifest(10), limits);
    forgetManifest(memo, "a");
    forgetManifest(memo, "never");
    assert.equal(memo.bytes, 0);
    assert.equal(recallManifest(memo, "a"), undefined);
    for (let i = 0; i < 200; i++) rememberManifest(memo, `m${i}`, manifest(1000));
    assert.equal(memo.entries.size, 128);
    for (let i = 0; i < 8; i++) rememberManifest(memo, `big${i}`, manifest(1024 * 1024));
    assert.ok(memo.bytes <= MANIFEST_MEMO_BYTES, `${memo.bytes}`);
    assert.equal(memo.entries.size, 2);
  });
});
