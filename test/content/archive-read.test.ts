// Reading an OCI archive: the digest and size checks on what is pushed and read, tars that are
// not an image layout refused, and archives exchanged with skopeo in both directions.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import * as tar from "tar-stream";
import { openArchive } from "../../src/content/archive.js";
import { openLayout } from "../../src/content/layout.js";
import { computeDigest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";
import {
  archiveScratch,
  assertHolds,
  blob,
  fetchAll,
  pushAll,
  rejectsWith,
  sampleImage,
  skopeo,
  writeImageArchive,
  type Blob,
} from "./layout-support.js";

const scratch = archiveScratch("ocicompat-archive-read-test-");
after(() => scratch.remove());
const { fresh, workArea } = scratch;
/** Numbers the directories tests make in scratch.path (fresh and workArea count their own). */
let counter = 0;

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
