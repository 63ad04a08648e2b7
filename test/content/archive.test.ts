// An OCI archive (a tar of an image layout) as a store: the round trip of an image through it,
// the deterministic tar it writes, commit and discard, packing and its read pieces, two writers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import * as tar from "tar-stream";
import { openArchive, isClosable } from "../../src/content/archive.js";
import { packLayout, readBuffers } from "../../src/content/archive/pack.js";
import { openLayout, REF_NAME } from "../../src/content/layout.js";
import { computeDigest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";
import {
  archiveScratch,
  assertHolds,
  blob,
  pushAll,
  rejectsWith,
  sampleImage,
  tempDir,
  writeImageArchive,
} from "./layout-support.js";

const { fresh, workArea, remove } = archiveScratch("ocicompat-archive-test-");
after(remove);

async function tarHeaders(file: string): Promise<tar.Headers[]> {
  const extract = tar.extract();
  const headers: tar.Headers[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      headers.push(entry.header);
      entry.resume();
    }
  })();
  extract.end(readFileSync(file));
  await done;
  return headers;
}

describe("ArchiveStore: round trip", () => {
  test("a multi-platform image written to a new archive reads back byte for byte", async () => {
    const file = fresh();
    const image = await writeImageArchive(file);
    const store = await openArchive(file);
    try {
      assert.equal(store.name, `oci-archive:${file}`);
      assert.deepEqual(await store.listTags(), ["v1"]);
      const desc = await store.resolve("v1");
      assert.equal(desc.digest, image.index.desc.digest);
      assert.equal(desc.mediaType, MediaType.ImageIndex);
      await assertHolds(store, image);
    } finally {
      await store.close();
    }
  });

  test("an archive opened, extended and closed keeps its old content and adds the new", async () => {
    const file = fresh();
    const first = await writeImageArchive(file, sampleImage("one"), "one");
    const second = sampleImage("two");
    const store = await openArchive(file);
    await pushAll(store, second.blobs);
    await store.tag(second.index.desc, "two");
    await store.close();
    const again = await openArchive(file);
    try {
      assert.deepEqual(await again.listTags(), ["one", "two"]);
      await assertHolds(again, first);
      await assertHolds(again, second);
    } finally {
      await again.close();
    }
  });

  test("the tar is deterministic: sorted names, mtime 0, uid/gid 0, fixed modes", async () => {
    const file = fresh();
    await writeImageArchive(file);
    const headers = await tarHeaders(file);
    const names = headers.map((h) => h.name);
    assert.deepEqual(names, [...names].sort());
    assert.equal(names[0], "blobs/");
    assert.equal(names[1], "blobs/sha256/");
    assert.deepEqual(names.slice(-2), ["index.json", "oci-layout"]);
    for (const h of headers) {
      assert.equal(h.mtime?.getTime(), 0, h.name);
      assert.equal(h.uid, 0);
      assert.equal(h.gid, 0);
      assert.equal(h.uname ?? "", "");
      assert.equal(h.gname ?? "", "");
      assert.equal(h.mode, h.type === "directory" ? 0o755 : 0o644, h.name);
    }
  });

  test("the same content pushed in a different order gives an identical archive", async () => {
    const image = sampleImage();
    const a = fresh();
    const b = fresh();
    await writeImageArchive(a, image);
    const store = await openArchive(b, { create: true });
    await pushAll(store, [...image.blobs].reverse());
    await store.tag(image.index.desc, "v1");
    await store.close();
    assert.deepEqual(readFileSync(b), readFileSync(a));
  });

  test("close without changes leaves the file as it was", async () => {
    const file = fresh();
    const image = await writeImageArchive(file);
    const before = statSync(file);
    const bytes = readFileSync(file);
    const store = await openArchive(file);
    await store.tag(image.index.desc, "v1"); // already so: no change
    await store.push(image.index.desc, image.index.bytes); // already there: no change
    assert.equal(store.dirty, false);
    await store.close();
    assert.deepEqual(readFileSync(file), bytes);
    assert.equal(statSync(file).mtimeMs, before.mtimeMs);
  });

  test("close removes the working directory, and a second close does nothing", async () => {
    const file = fresh();
    const work = workArea();
    const image = sampleImage();
    const store = await openArchive(file, { create: true, tmpDir: work });
    await pushAll(store, image.blobs);
    assert.equal(readdirSync(work).length, 1);
    await store.close();
    await store.close();
    assert.deepEqual(readdirSync(work), []);
  });

  test("commit writes through a temp file and leaves nothing beside the archive", async () => {
    const file = fresh();
    await writeImageArchive(file);
    assert.deepEqual(readdirSync(join(file, "..")), ["image.tar"]);
  });

  test("a failed commit leaves the old archive intact and no temp file", async () => {
    const file = fresh();
    const image = await writeImageArchive(file);
    const bytes = readFileSync(file);
    const work = workArea();
    const store = await openArchive(file, { tmpDir: work });
    const extra = blob(MediaType.ImageConfig, '{"extra":true}');
    await store.push(extra.desc, extra.bytes);
    // Sabotage the working copy: index.json becomes a directory, which cannot be read as a file.
    const [workDir] = readdirSync(work);
    const index = join(work, workDir as string, "layout", "index.json");
    rmSync(index);
    mkdirSync(index);
    await rejectsWith(store.close(), "IO", /write oci-archive:/);
    assert.deepEqual(readFileSync(file), bytes);
    assert.deepEqual(readdirSync(join(file, "..")), ["image.tar"]);
    assert.deepEqual(readdirSync(work), [], "working directory removed even so");
    void image;
  });

  test("discard drops changes and leaves the file untouched", async () => {
    const file = fresh();
    await writeImageArchive(file);
    const bytes = readFileSync(file);
    const store = await openArchive(file);
    const extra = blob(MediaType.ImageConfig, '{"extra":true}');
    await store.push(extra.desc, extra.bytes);
    assert.equal(store.dirty, true);
    await store.discard();
    assert.deepEqual(readFileSync(file), bytes);
  });

  test("create on a missing file writes an empty archive on close", async () => {
    const file = fresh();
    const store = await openArchive(file, { create: true });
    await store.close();
    const reopened = await openArchive(file);
    assert.deepEqual(await reopened.listTags(), []);
    await reopened.close();
  });

  test("using an archive after close is an error", async () => {
    const file = fresh();
    await writeImageArchive(file);
    const store = await openArchive(file);
    await store.close();
    await rejectsWith(store.resolve("v1"), "INTERNAL", /is closed/);
    await rejectsWith(
      store.fetch({ mediaType: "x/y", digest: computeDigest(Buffer.from("")), size: 0 }),
      "INTERNAL",
      /is closed/,
    );
  });

  test("an ArchiveStore is Closable", async () => {
    const store = await openArchive(fresh(), { create: true });
    assert.equal(isClosable(store), true);
    assert.equal(isClosable({}), false);
    await store.discard();
  });

  test("roots lists the index.json entries of the archive", async () => {
    const file = fresh();
    const image = await writeImageArchive(file);
    const store = await openArchive(file);
    try {
      assert.deepEqual(await store.roots(), [
        { ...image.index.desc, annotations: { [REF_NAME]: "v1" } },
      ]);
    } finally {
      await store.close();
    }
  });
});

describe("packLayout: blobs of many read pieces", () => {
  test("blobs larger than a read piece, beside small ones, pack byte for byte (GNU tar extracts the same bytes)", async () => {
    const dir = tempDir("ocicompat-pack-pieces-");
    try {
      const layout = await openLayout(join(dir.path, "layout"), { create: true });
      // 5.5 MiB and 2 MiB + 1 byte: pieces of 1 MiB, a short last piece, buffers reused between
      // blobs; small blobs in between go out in gathered writes.
      const blobs = [
        blob(MediaType.ImageLayerGzip, randomBytes(5.5 * 1024 * 1024)),
        blob(MediaType.ImageLayerGzip, randomBytes(2 * 1024 * 1024 + 1)),
        blob(MediaType.ImageConfig, '{"a":1}'),
        blob(MediaType.ImageLayerGzip, randomBytes(70 * 1024)),
        blob(MediaType.ImageLayerGzip, Buffer.alloc(0)),
      ];
      await pushAll(layout, blobs);
      const file = join(dir.path, "out.tar");
      await packLayout(layout, file);
      const out = join(dir.path, "extracted");
      mkdirSync(out);
      const untar = spawnSync("tar", ["-xf", file, "-C", out], { encoding: "utf8" });
      assert.equal(untar.status, 0, untar.stderr);
      for (const b of blobs) {
        const [algorithm, hex] = b.desc.digest.split(":");
        const bytes = readFileSync(join(out, "blobs", algorithm!, hex!));
        assert.equal(computeDigest(bytes), b.desc.digest);
      }
    } finally {
      dir.remove();
    }
  });
});

describe("readBuffers: the pack's reused read pieces", () => {
  test("a buffer comes back when the very view it lent is given back, up to the spare count", () => {
    const buffers = readBuffers(16, 1);
    const first = buffers.take();
    const piece = buffers.lend(first, 10);
    assert.equal(piece.byteLength, 10);
    assert.equal(piece.buffer, first.buffer);
    buffers.giveBack(piece);
    assert.equal(buffers.take(), first, "reused");
    const a = buffers.take();
    const b = buffers.take();
    buffers.giveBack(buffers.lend(a, 16));
    buffers.giveBack(buffers.lend(b, 16));
    assert.equal(buffers.take(), a, "one spare is kept");
    assert.notEqual(buffers.take(), b, "past the spare count a buffer is left to the collector");
  });

  test("a piece that is not the lent view (a slice, a copy, a header) never frees the buffer", () => {
    const buffers = readBuffers(16, 4);
    const buffer = buffers.take();
    const piece = buffers.lend(buffer, 12);
    buffers.giveBack(piece.subarray(0, 6));
    buffers.giveBack(Buffer.from(piece));
    buffers.giveBack(Buffer.alloc(512));
    assert.notEqual(buffers.take(), buffer, "still lent: a fresh buffer instead");
    buffers.giveBack(piece);
    buffers.giveBack(piece);
    assert.equal(buffers.take(), buffer);
    assert.notEqual(buffers.take(), buffer, "given back twice, free once");
  });

  test("a taken buffer that was not lent goes back with putBack", () => {
    const buffers = readBuffers(16, 2);
    const buffer = buffers.take();
    buffers.putBack(buffer);
    assert.equal(buffers.take(), buffer);
  });
});

describe("packLayout: a write that fails", () => {
  test("writing into a directory that is gone fails cleanly: no open files, no temp file", async () => {
    const dir = tempDir("ocicompat-pack-fail-");
    try {
      const layout = await openLayout(join(dir.path, "layout"), { create: true });
      // Big enough that the tar stream fills and waits for the disk side.
      const big = blob(MediaType.ImageLayerGzip, Buffer.alloc(4 * 1024 * 1024, 7));
      await pushAll(layout, [big]);
      const openFiles = (): number => readdirSync("/proc/self/fd").length;
      const before = openFiles();
      for (let i = 0; i < 5; i++) {
        await assert.rejects(
          packLayout(layout, join(dir.path, "missing", "out.tar")),
          (err: unknown) => (err as { code?: string }).code === "ENOENT",
        );
      }
      await new Promise((r) => setImmediate(r));
      assert.equal(openFiles(), before, "every blob read stream was closed");
      assert.deepEqual(readdirSync(dir.path), ["layout"]);
    } finally {
      dir.remove();
    }
  });
});

describe("ArchiveStore: two writers", () => {
  test("the second writer of one archive is refused with CONFLICT, and the first one's tag stays", async () => {
    const file = fresh();
    const image = sampleImage("two-writers");
    const setup = await openArchive(file, { create: true });
    await pushAll(setup, image.blobs);
    await setup.tag(image.index.desc, "v1");
    await setup.close();

    const first = await openArchive(file);
    const second = await openArchive(file);
    await first.tag(image.manifests[0]!.desc, "amd64");
    await second.tag(image.manifests[1]!.desc, "arm64");
    await first.commit();
    await first.tag(image.manifests[1]!.desc, "arm64-too");
    await first.close(); // a store may commit again after its own write
    await rejectsWith(second.close(), "CONFLICT", /changed since it was read/);

    const result = await openArchive(file);
    try {
      assert.deepEqual((await result.listTags()).sort(), ["amd64", "arm64-too", "v1"]);
    } finally {
      await result.discard();
    }
  });
});
