import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import type { ContentDescriptor, Store } from "../../src/content/store.js";
import { OcicompatError } from "../../src/oci/errors.js";
import { MediaType } from "../../src/oci/media-types.js";
import { imageWithCompat } from "../support/sample-image.js";
import {
  addUntagged,
  blob,
  bothWaysGraph,
  pushAll,
  sampleImage,
  tempDir,
} from "./layout-support.js";

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

  test("a layout that lost a blob after it was written: the tag check finds it, the copy re-sends it", async () => {
    const { blobs, index } = imageWithCompat();
    const src = createMemoryStore("src");
    await pushAll(src, blobs);
    const dir = tempDir("ocicompat-copy-repair-");
    try {
      const dst = await openLayout(dir.path, { create: true });
      await copyGraph(src, dst, index.desc); // complete, untagged: a gc may collect any of it
      const layer = blobs.find((b) => b.desc.mediaType.includes("layer"))!;
      rmSync(dst.blobPath(layer.desc.digest));

      const stats = await copyGraph(src, dst, index.desc, { tag: "v1" });
      assert.equal(stats.repaired, 1);
      assert.equal(await dst.exists(layer.desc), true);
      assert.equal((await dst.resolve("v1")).digest, index.desc.digest);
    } finally {
      dir.remove();
    }
  });

  test("a layout tag over a graph with a hole is refused with INCOMPLETE, naming the hole", async () => {
    const { blobs, index } = imageWithCompat();
    const dir = tempDir("ocicompat-tag-complete-");
    try {
      const dst = await openLayout(dir.path, { create: true });
      const config = blobs.find((b) => b.desc.mediaType === MediaType.ImageConfig)!;
      await pushAll(
        dst,
        blobs.filter((b) => b.desc.digest !== config.desc.digest),
      );
      const before = readFileSync(dst.indexPath, "utf8");
      await assert.rejects(dst.tagComplete(index.desc, "v1"), (err: unknown) => {
        assert.ok(err instanceof OcicompatError);
        assert.equal(err.code, "INCOMPLETE");
        assert.match(err.message, new RegExp(config.desc.digest));
        return true;
      });
      assert.equal(readFileSync(dst.indexPath, "utf8"), before, "index.json untouched");
      await pushAll(dst, [config]);
      assert.equal(await dst.tagComplete(index.desc, "v1"), true);
    } finally {
      dir.remove();
    }
  });

  test("the tag check walks a manifest that a descriptor also names as a plain blob", async () => {
    for (const blobFirst of [true, false]) {
      const image = sampleImage(`check-both-${blobFirst}`);
      const { m, extra, root } = bothWaysGraph(image, blobFirst);
      const dir = tempDir("ocicompat-tag-check-both-");
      try {
        const dst = await openLayout(dir.path, { create: true });
        const config = JSON.parse(m.bytes.toString()).config as ContentDescriptor;
        await pushAll(dst, [
          ...image.blobs.filter((x) => x.desc.digest !== config.digest),
          ...extra,
        ]);
        await assert.rejects(dst.tagComplete(root.desc, "v1"), /is missing/);
      } finally {
        dir.remove();
      }
    }
  });

  test("--referrers with a referrer that contains its own subject completes (no wait cycle)", async () => {
    // An index that lists M and names M as its subject: valid, and a cycle for a naive walker.
    const image = sampleImage("cycle");
    const dir = tempDir("ocicompat-copy-cycle-");
    try {
      const src = await openLayout(join(dir.path, "src"), { create: true });
      await pushAll(src, image.blobs);
      await src.tag(image.index.desc, "v1");
      const m = image.manifests[0]!;
      const wrapper = blob(
        MediaType.ImageIndex,
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ImageIndex,
          artifactType: "application/vnd.example.bundle",
          manifests: [m.desc],
          subject: m.desc,
        }),
      );
      await pushAll(src, [wrapper]);
      addUntagged(src.dir, wrapper);
      const dst = await openLayout(join(dir.path, "dst"), { create: true });
      const stats = await copyGraph(src, dst, image.index.desc, { tag: "v1", referrers: true });
      assert.equal(stats.referrers, 1);
      assert.equal(await dst.exists(wrapper.desc), true);
      assert.deepEqual(
        (await dst.referrers(m.desc)).map((d) => d.digest),
        [wrapper.desc.digest],
      );
      assert.equal((await dst.resolve("v1")).digest, image.index.desc.digest);
    } finally {
      dir.remove();
    }
  });

  test("after a failure, transfers under way finish before the copy reports it", async () => {
    const { blobs, index } = imageWithCompat();
    const inner = createMemoryStore("src");
    await pushAll(inner, blobs);
    const layers = blobs.filter((b) => b.desc.mediaType.includes("layer"));
    const [broken, slow] = [layers[0]!.desc.digest, layers[1]!.desc.digest];
    // `broken` fails at once; `slow` takes a while to arrive.
    const src: Store = {
      ...bound(inner),
      async fetch(desc) {
        if (desc.digest === broken) throw new OcicompatError("UNREACHABLE", "connection refused");
        if (desc.digest === slow) await new Promise((r) => setTimeout(r, 150));
        return inner.fetch(desc);
      },
    };
    const dst = createMemoryStore("dst");
    await assert.rejects(copyGraph(src, dst, index.desc, { tag: "v1", concurrency: 8 }), /refused/);
    // Without waiting, the copy would have returned while `slow` was still being written.
    assert.equal(await dst.exists(layers[1]!.desc), true);
    assert.deepEqual(await dst.listTags(), []);
  });

  test("no more than --concurrency requests are in flight, manifests and HEADs included", async () => {
    const { blobs, index } = imageWithCompat();
    const inner = createMemoryStore("src");
    await pushAll(inner, blobs);
    const dstInner = createMemoryStore("dst");
    let active = 0;
    let peak = 0;
    const tracked = async <T>(work: () => Promise<T>): Promise<T> => {
      active++;
      peak = Math.max(peak, active);
      try {
        await new Promise((r) => setTimeout(r, 5));
        return await work();
      } finally {
        active--;
      }
    };
    const dst: Store = {
      ...bound(dstInner),
      exists: (d) => tracked(() => dstInner.exists(d)),
      push: (d, b) => tracked(() => dstInner.push(d, b)),
    };
    await copyGraph(inner, dst, index.desc, { concurrency: 2 });
    assert.ok(peak <= 2, `peak ${peak}`);
    assert.ok(peak === 2, "the bound was reached, so it was tested");
    for (const b of blobs) assert.equal(await dstInner.exists(b.desc), true);
  });
});

/** A store's methods bound to it, for building wrappers with object spread. */
function bound(store: Store): Store {
  return {
    name: store.name,
    resolve: (r) => store.resolve(r),
    fetch: (d) => store.fetch(d),
    exists: (d) => store.exists(d),
    push: (d, b) => store.push(d, b),
    tag: (d, t) => store.tag(d, t),
    listTags: () => store.listTags(),
  };
}
