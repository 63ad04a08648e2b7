import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import * as tar from "tar-stream";
import { openArchive, isClosable } from "../../src/content/archive.js";
import { packLayout, readBuffers } from "../../src/content/archive/pack.js";
import { openLayout, REF_NAME } from "../../src/content/layout.js";
import { computeDigest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";
import {
  assertHolds,
  blob,
  fetchAll,
  pushAll,
  rejectsWith,
  sampleImage,
  skopeo,
  tempDir,
  type Blob,
} from "./layout-support.js";

const scratch = tempDir("ocicompat-archive-test-");
after(() => scratch.remove());
let counter = 0;
function fresh(name = "image.tar"): string {
  const dir = join(scratch.path, `a${counter++}`);
  mkdirSync(dir);
  return join(dir, name);
}
/** A private directory for the archive's working copy, so tests can see that it is cleaned up. */
function workArea(): string {
  const dir = join(scratch.path, `w${counter++}`);
  mkdirSync(dir);
  return dir;
}

const LAYOUT = '{"imageLayoutVersion":"1.0.0"}';
const EMPTY_INDEX = '{"schemaVersion":2,"manifests":[]}';

interface TarEntry {
  name: string;
  type?: tar.Headers["type"];
  content?: string | Buffer;
  linkname?: string;
}

async function makeTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const e of entries) {
    const header: tar.Headers = { name: e.name, type: e.type ?? "file", mtime: new Date(0) };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (header.type === "file") {
      await new Promise<void>((resolve, reject) =>
        pack.entry(header, Buffer.from(e.content ?? ""), (err) => (err ? reject(err) : resolve())),
      );
    } else {
      await new Promise<void>((resolve, reject) =>
        pack.entry(header, (err) => (err ? reject(err) : resolve())),
      );
    }
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

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

async function writeImageArchive(file: string, image = sampleImage(), tag = "v1") {
  const store = await openArchive(file, { create: true });
  try {
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, tag);
  } finally {
    await store.close();
  }
  return image;
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

describe("ArchiveStore: verification", () => {
  test("a push that does not match its descriptor is refused and stores nothing", async () => {
    const store = await openArchive(fresh(), { create: true });
    try {
      const good = blob(MediaType.ImageConfig, "{}");
      await rejectsWith(
        store.push({ ...good.desc, digest: computeDigest(Buffer.from("x")) }, good.bytes),
        "DIGEST_MISMATCH",
      );
      await rejectsWith(store.push({ ...good.desc, size: 9 }, good.bytes), "SIZE_MISMATCH");
      assert.equal(store.dirty, true, "a new archive is always written");
    } finally {
      await store.discard();
    }
  });

  test("a blob corrupted inside the archive opens but fails DIGEST_MISMATCH when read", async () => {
    const image = sampleImage();
    const victim = image.blobs[0] as Blob;
    const entries: TarEntry[] = [
      { name: "oci-layout", content: LAYOUT },
      { name: "index.json", content: EMPTY_INDEX },
      ...image.blobs.map((b) => ({
        name: `blobs/${b.desc.digest.replace(":", "/")}`,
        content: b === victim ? Buffer.from(b.bytes).fill(0x20) : b.bytes,
      })),
    ];
    const file = fresh();
    writeFileSync(file, await makeTar(entries));
    const store = await openArchive(file);
    try {
      await rejectsWith(fetchAll(store, victim.desc), "DIGEST_MISMATCH");
      assert.deepEqual(await fetchAll(store, image.index.desc), image.index.bytes);
    } finally {
      await store.close();
    }
  });

  test("a missing blob is NOT_FOUND naming the digest and the archive", async () => {
    const file = fresh();
    await writeImageArchive(file);
    const store = await openArchive(file);
    try {
      const absent = blob(MediaType.ImageConfig, '{"absent":1}');
      await rejectsWith(
        store.fetch(absent.desc),
        "NOT_FOUND",
        new RegExp(`blob ${absent.desc.digest} is not in oci-archive:`),
      );
    } finally {
      await store.close();
    }
  });
});

describe("ArchiveStore: reading refuses what is not an image layout", () => {
  const hex = "a".repeat(64);
  const base: TarEntry[] = [
    { name: "oci-layout", content: LAYOUT },
    { name: "index.json", content: EMPTY_INDEX },
  ];
  const refused: [string, TarEntry, RegExp][] = [
    ["a ../ path", { name: "../x" }, /"\.\.\/x" is refused: path traversal/],
    ["a .. inside a path", { name: `blobs/sha256/../../x` }, /path traversal/],
    ["an absolute path", { name: "/etc/passwd" }, /"\/etc\/passwd" is refused: absolute paths/],
    [
      "a symlink",
      { name: `blobs/sha256/${hex}`, type: "symlink", linkname: "/etc/passwd" },
      /symbolic links are not allowed/,
    ],
    [
      "a hard link",
      { name: `blobs/sha256/${hex}`, type: "link", linkname: "index.json" },
      /hard links are not allowed/,
    ],
    [
      "a device file",
      { name: `blobs/sha256/${hex}`, type: "character-device" },
      /device files are not allowed/,
    ],
    [
      "an unexpected top-level file",
      { name: "manifest.json", content: "[]" },
      /"manifest\.json" is refused: an OCI archive holds only/,
    ],
    [
      "an unexpected directory",
      { name: "extra/", type: "directory" },
      /"extra\/" is refused: only blobs\//,
    ],
    [
      "a blob whose name is not a digest",
      { name: "blobs/sha256/nothex", content: "x" },
      /"blobs\/sha256\/nothex" is refused/,
    ],
    ["a blob nested too deep", { name: `blobs/sha256/${hex}/x`, content: "x" }, /is refused/],
    [
      "a duplicate index.json",
      { name: "./index.json", content: EMPTY_INDEX },
      /"\.\/index\.json" is refused: it appears twice/,
    ],
    ["a backslash path", { name: "blobs\\sha256\\x", content: "x" }, /backslashes/],
  ];
  for (const [what, entry, message] of refused) {
    test(`an archive with ${what} is refused naming the entry, and nothing is left behind`, async () => {
      const file = fresh();
      writeFileSync(file, await makeTar([...base, entry]));
      const work = workArea();
      await rejectsWith(openArchive(file, { tmpDir: work }), "UNSUPPORTED", message);
      assert.deepEqual(readdirSync(work), []);
    });
  }

  test("an archive without index.json is NOT_FOUND saying so", async () => {
    const file = fresh();
    writeFileSync(file, await makeTar([{ name: "oci-layout", content: LAYOUT }]));
    await rejectsWith(openArchive(file), "NOT_FOUND", /not an OCI archive: it has no index\.json/);
  });

  test("an index.json over the cap is TOO_LARGE before it is read", async () => {
    const file = fresh();
    writeFileSync(file, await makeTar(base));
    await rejectsWith(
      openArchive(file, { maxIndexBytes: 10 }),
      "TOO_LARGE",
      /index\.json is \d+ bytes; the limit is 10/,
    );
  });

  test("a file that is not a tar is an IO error naming the archive", async () => {
    const file = fresh();
    writeFileSync(file, Buffer.alloc(2048, 0x41));
    const work = workArea();
    await rejectsWith(
      openArchive(file, { tmpDir: work }),
      "IO",
      /could not be read as a tar archive/,
    );
    assert.deepEqual(readdirSync(work), []);
  });

  test("a missing archive without create is NOT_FOUND", async () => {
    await rejectsWith(openArchive(fresh("absent.tar")), "NOT_FOUND", /does not exist/);
  });

  test("an archive made by tar -C DIR . (with ./ names) is read", async () => {
    const dir = join(scratch.path, `layout${counter++}`);
    const layout = await openLayout(dir, { create: true });
    const image = sampleImage();
    await pushAll(layout, image.blobs);
    await layout.tag(image.index.desc, "v1");
    const file = fresh();
    const made = spawnSync("tar", ["-C", dir, "-cf", file, "."], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    const store = await openArchive(file);
    try {
      assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
      await assertHolds(store, image);
    } finally {
      await store.close();
    }
  });
});

describe("ArchiveStore: interoperability with skopeo", () => {
  test("an archive skopeo wrote from an ocicompat layout is read with the whole graph", async () => {
    const dir = join(scratch.path, `layout${counter++}`);
    const layout = await openLayout(dir, { create: true });
    const image = sampleImage();
    await pushAll(layout, image.blobs);
    await layout.tag(image.index.desc, "v1");
    const file = fresh();
    skopeo("copy", "--all", "--preserve-digests", `oci:${dir}:v1`, `oci-archive:${file}:v1`);
    const store = await openArchive(file);
    try {
      assert.deepEqual(await store.listTags(), ["v1"]);
      const root = await store.resolve("v1");
      assert.equal(root.digest, image.index.desc.digest);
      assert.deepEqual(await fetchAll(store, root), image.index.bytes);
      await assertHolds(store, image);
    } finally {
      await store.close();
    }
  });

  test("skopeo reads an archive ocicompat wrote: inspect --raw gives the index bytes", async () => {
    const file = fresh();
    const image = await writeImageArchive(file);
    assert.equal(
      skopeo("inspect", "--raw", `oci-archive:${file}:v1`),
      image.index.bytes.toString(),
    );
  });

  test("skopeo copies the whole graph out of an archive ocicompat wrote", async () => {
    const file = fresh();
    const image = await writeImageArchive(file);
    const out = join(scratch.path, `copy${counter++}`);
    skopeo("copy", "--all", "--preserve-digests", `oci-archive:${file}:v1`, `oci:${out}:v1`);
    const layout = await openLayout(out);
    await assertHolds(layout, image);
  });
});
