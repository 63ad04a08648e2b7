// Which writes reach the disk before they count as done: a layout fsyncs its blobs and index.json
// (and their directories); a scratch layout opened with `durable: false` (an archive's working
// copy) does not, and the archive written from it is still fsynced before its rename. Counted
// on the FileHandle prototype, which every fs/promises handle shares.
import assert from "node:assert/strict";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { openArchive } from "../../src/content/archive.js";
import { openLayout } from "../../src/content/layout.js";
import { assertHolds, pushAll, sampleImage, tempDir } from "./layout-support.js";

const work = tempDir("ocicompat-durable-");
after(() => work.remove());

/** The fsyncs made while `run` runs (file and directory handles alike). */
async function fsyncsDuring(run: () => Promise<void>): Promise<number> {
  const probe = await open(join(work.path, "probe"), "w");
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const original = proto.sync;
  let count = 0;
  proto.sync = function (this: unknown) {
    count++;
    return original.call(this);
  };
  try {
    await run();
  } finally {
    proto.sync = original;
  }
  return count;
}

test("a layout fsyncs each blob, index.json and their directories before a write counts as done", async () => {
  const image = sampleImage("durable");
  const layout = await openLayout(join(work.path, "durable"), { create: true });
  const count = await fsyncsDuring(async () => {
    await pushAll(layout, image.blobs);
    await layout.tag(image.index.desc, "v1");
  });
  // A file and its directory per blob, and as much for index.json.
  assert.ok(count >= 2 * image.blobs.length + 2, `${count} fsyncs`);
  await assertHolds(layout, image);
});

test("a scratch layout (durable: false) is made and written, the same content, without a single fsync", async () => {
  const image = sampleImage("scratch");
  const dir = join(work.path, "scratch");
  const count = await fsyncsDuring(async () => {
    const layout = await openLayout(dir, { create: true, durable: false });
    await pushAll(layout, image.blobs);
    await layout.tag(image.index.desc, "v1");
  });
  assert.equal(count, 0);
  await assertHolds(await openLayout(dir), image);
});

test("an archive's working copy is not fsynced, its tar is, before the rename", async () => {
  const image = sampleImage("archive");
  const file = join(work.path, "image.tar");
  let store: Awaited<ReturnType<typeof openArchive>> | undefined;
  const whileWriting = await fsyncsDuring(async () => {
    store = await openArchive(file, { create: true });
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "v1");
  });
  assert.equal(whileWriting, 0, "the working copy is scratch");
  const atClose = await fsyncsDuring(() => store!.close());
  assert.ok(atClose >= 1, "the tar (and its directory) are fsynced");
  const back = await openArchive(file);
  try {
    await assertHolds(back, image);
  } finally {
    await back.close();
  }
});
