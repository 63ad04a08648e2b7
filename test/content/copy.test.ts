import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import type { ContentDescriptor } from "../../src/content/store.js";
import { imageWithCompat } from "../support/sample-image.js";
import { pushAll, tempDir } from "./layout-support.js";

describe("copyGraph", () => {
  test("copies the whole graph, compat manifests, their configs and compat blobs included, then tags", async () => {
    const { blobs, index, compat } = imageWithCompat();
    const src = createMemoryStore("src");
    await pushAll(src, blobs);
    const dir = tempDir();
    try {
      const dst = await openLayout(dir.path, { create: true });
      const stats = await copyGraph(src, dst, index.desc, { tag: "v1" });
      for (const b of blobs)
        assert.ok(await dst.exists(b.desc), `missing ${b.desc.mediaType} ${b.desc.digest}`);
      for (const c of compat) assert.ok(await dst.exists(c.desc));
      assert.equal(stats.copied, blobs.length);
      assert.equal((await dst.resolve("v1")).digest, index.desc.digest);
    } finally {
      dir.remove();
    }
  });

  test("a second copy skips everything and transfers nothing", async () => {
    const { blobs, index } = imageWithCompat();
    const src = createMemoryStore("src");
    await pushAll(src, blobs);
    const dst = createMemoryStore("dst");
    await copyGraph(src, dst, index.desc);
    const again = await copyGraph(src, dst, index.desc);
    assert.deepEqual([again.copied, again.skipped, again.bytesCopied], [0, 1, 0]);
  });

  test("children are written before their parents", async () => {
    const { blobs, index } = imageWithCompat();
    const src = createMemoryStore("src");
    await pushAll(src, blobs);
    const order: string[] = [];
    const dst = createMemoryStore("dst");
    await copyGraph(src, dst, index.desc, {
      onCopied: (d: ContentDescriptor) => order.push(d.digest),
    });
    assert.equal(order.at(-1), index.desc.digest);
    const pos = (d: string) => order.indexOf(d);
    for (const b of blobs) assert.ok(pos(b.desc.digest) >= 0);
  });

  test("a child missing at the source fails the copy and the tag is never written", async () => {
    const { blobs, index, compat } = imageWithCompat();
    const src = createMemoryStore("src");
    const dangling = compat[2]!.desc.digest; // the compat manifest
    await pushAll(
      src,
      blobs.filter((b) => b.desc.digest !== dangling),
    );
    const dst = createMemoryStore("dst");
    await assert.rejects(copyGraph(src, dst, index.desc, { tag: "v1" }));
    assert.equal(await dst.exists(index.desc), false);
    assert.deepEqual(await dst.listTags(), []);
  });
});
