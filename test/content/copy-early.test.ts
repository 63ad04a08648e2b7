// copyGraph's early answers (content/copy/early-answers.ts) against memory stores whose
// destination mounts and counts: what was asked early but is still waiting for a slot of the
// concurrency bound is not sent once the root is found present, and a preCopy hook keeps every
// mount in the blob's own turn.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { createMemoryStore } from "../../src/content/memory.js";
import type { ContentDescriptor, Store } from "../../src/content/store.js";
import { MediaType } from "../../src/oci/media-types.js";
import { bigImage } from "../ops/copy-support.js";
import { pushAll, storeWith } from "./layout-support.js";

/**
 * An image manifest with `layers` layers, at the source and already at the destination, whose
 * memory places every blob in another repository only (so each is to be mounted first) and whose
 * mounts are refused. The root's presence is answered once the first mount has been sent, or
 * after `holdMs`.
 */
async function heldImage(layers: number, holdMs = 2000) {
  const image = bigImage(1, layers, 1024);
  const root = image.blobs.find((b) => b.desc.mediaType === MediaType.ImageManifest)!.desc;
  const src = createMemoryStore("src");
  const held = createMemoryStore("dst");
  await pushAll(src, image.blobs);
  await pushAll(held, image.blobs);
  const log: string[] = [];
  let firstMount!: () => void;
  const mounting = new Promise<void>((resolve) => (firstMount = resolve));
  const dst: Store = storeWith(held, {
    exists: async (d: ContentDescriptor, o) => {
      if (d.digest !== root.digest) return held.exists(d, o);
      await Promise.race([mounting, new Promise((r) => setTimeout(r, holdMs))]);
      log.push("root answered");
      return held.exists(d, o);
    },
    mount: async (d: ContentDescriptor) => {
      log.push(`mount ${d.digest}`);
      firstMount();
      await new Promise((r) => setTimeout(r, 10));
      return false;
    },
    closeUploadSession: async (d: ContentDescriptor) => void log.push(`close ${d.digest}`),
    seenHere: () => false,
    mountCandidates: () => ["elsewhere"],
  });
  return { src, dst, root, log, blobs: image.blobs.length - 1 };
}

describe("copyGraph's early answers (memory stores, a counting destination)", () => {
  test("mounts asked early but still waiting for a slot are not sent once the root is found present; those sent are closed", async () => {
    const { src, dst, root, log, blobs } = await heldImage(8);
    const stats = await copyGraph(src, dst, root, {
      concurrency: 2,
      tag: "v1",
      taggedAtDestination: null,
    });
    assert.deepEqual([stats.copied, stats.skipped, stats.mounted], [0, 1, 0]);
    const mounts = log.filter((l) => l.startsWith("mount"));
    const after = log.slice(log.indexOf("root answered")).filter((l) => l.startsWith("mount"));
    assert.ok(mounts.length > 0, "no mount was sent early");
    // The slot the root's own question frees may go to one waiting mount before the walk sees
    // the answer; no other does.
    assert.ok(after.length <= 1, log.join("\n"));
    assert.ok(mounts.length < blobs, `${mounts.length} of ${blobs} blobs mounted`);
    const closed = log.filter((l) => l.startsWith("close")).map((l) => l.slice(6));
    assert.deepEqual(closed.sort(), mounts.map((l) => l.slice(6)).sort(), "a session left open");
  });

  test("with a preCopy hook nothing is mounted early: a root found present calls no hook and mounts nothing", async () => {
    const { src, dst, root, log } = await heldImage(2, 200);
    const hooked: string[] = [];
    const stats = await copyGraph(src, dst, root, {
      tag: "v1",
      taggedAtDestination: null,
      preCopy: (d) => void hooked.push(d.digest),
    });
    assert.deepEqual([stats.copied, stats.skipped], [0, 1]);
    assert.deepEqual(hooked, []);
    assert.deepEqual(
      log.filter((l) => !l.startsWith("root")),
      [],
    );
  });
});
