// copyGraph's hooks (preCopy, onSkipped, the mountFrom chooser), its CopyError (which side failed,
// on which descriptor) and its signal (no new transfer, the stream stopped, no tag).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { copyGraph, CopyError } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import type { ContentDescriptor, Store } from "../../src/content/store.js";
import { isOcicompatError, OcicompatError } from "../../src/oci/errors.js";
import { imageWithCompat } from "../support/sample-image.js";
import { blob, pushAll, storeWith, tempDir } from "./layout-support.js";

async function source() {
  const image = imageWithCompat();
  const src = createMemoryStore("src");
  await pushAll(src, image.blobs);
  return { ...image, src };
}

describe("copyGraph hooks", () => {
  test("preCopy sees every node before it is written, and a rejection stops the copy untagged", async () => {
    const { blobs, index, src } = await source();
    const dst = createMemoryStore("dst");
    const seen: string[] = [];
    await copyGraph(src, dst, index.desc, { preCopy: (d) => void seen.push(d.digest) });
    assert.deepEqual(new Set(seen), new Set(blobs.map((b) => b.desc.digest)));

    const other = createMemoryStore("other");
    const refused = new OcicompatError("USAGE", "not this one");
    await assert.rejects(
      copyGraph(src, other, index.desc, {
        tag: "v1",
        preCopy: (d) => {
          if (d.digest === index.desc.digest) throw refused;
        },
      }),
      (err) => err === refused,
    );
    assert.deepEqual(await other.listTags(), []);
    assert.equal(await other.exists(index.desc), false);
  });

  test("onSkipped names what the destination already had", async () => {
    const { index, src } = await source();
    const dst = createMemoryStore("dst");
    await copyGraph(src, dst, index.desc);
    const skipped: ContentDescriptor[] = [];
    await copyGraph(src, dst, index.desc, { onSkipped: (d) => void skipped.push(d) });
    assert.deepEqual(
      skipped.map((d) => d.digest),
      [index.desc.digest],
    );
  });

  test("the mountFrom chooser is asked per blob and its repositories are tried in order", async () => {
    const { blobs, index, src } = await source();
    const inner = createMemoryStore("dst");
    const asked: string[] = [];
    const dst = storeWith(inner, {
      mount: async (d: ContentDescriptor, from: string) => {
        asked.push(`${from} ${d.digest}`);
        if (from !== "second") return false;
        // Lent by "second": the same bytes, taken from the source here.
        await inner.push(d, await src.fetch(d));
        return true;
      },
    });
    const mounted: string[] = [];
    const stats = await copyGraph(src, dst, index.desc, {
      mountFrom: () => ["first", "second"],
      onMounted: (d) => void mounted.push(d.digest),
    });
    const plainBlobs = blobs.filter(
      (b) => !b.desc.mediaType.includes("manifest") && !b.desc.mediaType.includes("index"),
    );
    assert.equal(stats.mounted, plainBlobs.length);
    assert.deepEqual(new Set(mounted), new Set(plainBlobs.map((b) => b.desc.digest)));
    for (const b of plainBlobs) {
      assert.ok(asked.indexOf(`first ${b.desc.digest}`) < asked.indexOf(`second ${b.desc.digest}`));
    }
  });
});

describe("CopyError", () => {
  test("a blob missing at the source is the source's failure, naming the descriptor", async () => {
    const { blobs, index } = imageWithCompat();
    const layer = blobs.find((b) => b.desc.mediaType.includes("layer"))!;
    const src = createMemoryStore("src");
    await pushAll(
      src,
      blobs.filter((b) => b !== layer),
    );
    const err = await copyGraph(src, createMemoryStore("dst"), index.desc).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof CopyError, String(err));
    assert.equal(err.side, "source");
    assert.equal(err.descriptor.digest, layer.desc.digest);
    assert.equal(err.code, "NOT_FOUND", "the cause's code, so the exit code is unchanged");
  });

  test("a destination that refuses a push is the destination's failure", async () => {
    const { index, src } = await source();
    const dst = storeWith(createMemoryStore("dst"), {
      push: () => Promise.reject(new OcicompatError("REGISTRY", "denied")),
    });
    await assert.rejects(
      copyGraph(src, dst, index.desc),
      (err) => err instanceof CopyError && err.side === "destination" && err.code === "REGISTRY",
    );
  });
});

describe("copyGraph cancellation", () => {
  test("an aborted signal before the copy: nothing is read or written", async () => {
    const { index, src } = await source();
    const dst = createMemoryStore("dst");
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      copyGraph(src, dst, index.desc, { tag: "v1", signal: controller.signal }),
      (err) => isOcicompatError(err) && err.code === "CANCELLED",
    );
    assert.equal(await dst.exists(index.desc), false);
  });

  test("aborting during a blob transfer into a layout stops the stream, leaves no temp file and no tag; the signal's own error is reported", async () => {
    const big = blob("application/vnd.oci.image.layer.v1.tar", Buffer.alloc(1024 * 1024, 7));
    const config = blob("application/vnd.oci.image.config.v1+json", "{}");
    const manifest = blob(
      "application/vnd.oci.image.manifest.v1+json",
      JSON.stringify({ schemaVersion: 2, config: config.desc, layers: [big.desc] }),
    );
    const inner = createMemoryStore("src");
    await pushAll(inner, [config, big, manifest]);
    const controller = new AbortController();
    const reason = new OcicompatError("TIMEOUT", "gave up (--timeout)");
    // A source that sends the layer in small chunks, aborting after the first.
    const src = storeWith(inner, {
      fetch: async (d, o) => {
        if (d.digest !== big.desc.digest) return (inner as Store).fetch(d, o);
        return (async function* () {
          for (let at = 0; at < big.bytes.length; at += 64 * 1024) {
            if (at > 0) controller.abort(reason);
            yield big.bytes.subarray(at, at + 64 * 1024);
          }
        })();
      },
    });
    const dir = tempDir();
    try {
      const dst = await openLayout(dir.path, { create: true });
      await assert.rejects(
        copyGraph(src, dst, manifest.desc, { tag: "v1", signal: controller.signal }),
        (err) => err === reason,
      );
      assert.deepEqual(await dst.listTags(), []);
      assert.equal(await dst.exists(big.desc), false);
      const { readdirSync } = await import("node:fs");
      const files = readdirSync(`${dir.path}/blobs/sha256`);
      assert.deepEqual(
        files.filter((f) => f.includes(".tmp-")),
        [],
      );
    } finally {
      dir.remove();
    }
  });
});
