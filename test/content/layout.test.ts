// An OCI image layout as a store: opening and creating one, the round trip of an image through
// it (push, tag, resolve, list), and the digest and size checks on every push and fetch.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { layoutRoots, openLayout, REF_NAME } from "../../src/content/layout.js";
import { computeDigest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";
import {
  assertHolds,
  blob,
  EMPTY_INDEX,
  layoutScratch,
  pushAll,
  rejectsWith,
  sampleImage,
  type Blob,
} from "./layout-support.js";

const { freshDir, newLayout, remove } = layoutScratch("ocicompat-layout-");
after(remove);

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe("LayoutStore: opening and creating", () => {
  test("create makes the directory, oci-layout, an empty index.json and blobs/", async () => {
    const dir = freshDir();
    const store = await openLayout(dir, { create: true });
    assert.equal(store.name, `oci:${dir}`);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8")), {
      imageLayoutVersion: "1.0.0",
    });
    assert.equal(readFileSync(join(dir, "index.json"), "utf8"), EMPTY_INDEX);
    assert.equal(statSync(join(dir, "blobs")).isDirectory(), true);
    assert.deepEqual(await store.listTags(), []);
  });

  test("create on an existing layout keeps its index.json", async () => {
    const dir = freshDir();
    const first = await openLayout(dir, { create: true });
    const image = sampleImage();
    await pushAll(first, image.blobs);
    await first.tag(image.index.desc, "v1");
    const again = await openLayout(dir, { create: true });
    assert.deepEqual(await again.listTags(), ["v1"]);
  });

  test("opening a missing directory without create is NOT_FOUND saying it is not a layout", async () => {
    await rejectsWith(
      openLayout(freshDir()),
      "NOT_FOUND",
      /not an OCI image layout: it does not exist/,
    );
  });

  test("opening a directory without oci-layout is NOT_FOUND naming the missing file", async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, "index.json"), EMPTY_INDEX);
    await rejectsWith(openLayout(dir), "NOT_FOUND", /has no oci-layout file/);
  });

  test("an imageLayoutVersion other than 1.0.0 is UNSUPPORTED", async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"2.0.0"}');
    writeFileSync(join(dir, "index.json"), EMPTY_INDEX);
    await rejectsWith(openLayout(dir), "UNSUPPORTED", /imageLayoutVersion "2.0.0"/);
  });

  test("an oci-layout with extra fields is accepted, as the spec allows", async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion": "1.0.0", "x": 1}');
    writeFileSync(join(dir, "index.json"), EMPTY_INDEX);
    await openLayout(dir);
  });

  test("an index.json with duplicate keys is INVALID_JSON naming index.json", async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(dir, "index.json"), '{"schemaVersion":2,"schemaVersion":2,"manifests":[]}');
    await rejectsWith(openLayout(dir), "INVALID_JSON", /index\.json: .*duplicate/i);
  });

  test("an index.json that is not an image index is a VALIDATION error with a JSON path", async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(dir, "index.json"), '{"schemaVersion":2,"manifests":[{"digest":"nope"}]}');
    await rejectsWith(openLayout(dir), "VALIDATION", /\$\.manifests\[0\]/);
  });

  test("an index.json over the size cap is TOO_LARGE", async () => {
    const dir = freshDir();
    await openLayout(dir, { create: true });
    await rejectsWith(openLayout(dir, { maxIndexBytes: 10 }), "TOO_LARGE");
  });
});

describe("LayoutStore: round trip", () => {
  test("a multi-platform image pushed, tagged and reopened reads back byte for byte", async () => {
    const dir = freshDir();
    const image = sampleImage();
    const writer = await openLayout(dir, { create: true });
    await pushAll(writer, image.blobs);
    await writer.tag(image.index.desc, "v1");

    const reader = await openLayout(dir);
    const resolved = await reader.resolve("v1");
    assert.equal(resolved.digest, image.index.desc.digest);
    assert.equal(resolved.mediaType, MediaType.ImageIndex);
    assert.equal(resolved.size, image.index.desc.size);
    await assertHolds(reader, image);
    for (const b of image.blobs) {
      const [algorithm, encoded] = b.desc.digest.split(":") as [string, string];
      assert.deepEqual(readFileSync(join(dir, "blobs", algorithm, encoded)), b.bytes);
    }
  });

  test("resolve by digest finds an index.json entry with its annotations", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "v1");
    const desc = await store.resolve(image.index.desc.digest);
    assert.deepEqual(desc, { ...image.index.desc, annotations: { [REF_NAME]: "v1" } });
  });

  test("resolve by digest of an untagged manifest takes the media type from the document", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const child = image.manifests[0] as Blob;
    assert.deepEqual(await store.resolve(child.desc.digest), child.desc);
  });

  test("resolve by digest of a manifest without a mediaType field goes by its shape", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const bare = blob(
      "application/octet-stream",
      JSON.stringify({ schemaVersion: 2, config: image.blobs[0]?.desc, layers: [] }),
    );
    await store.push(bare.desc, bare.bytes);
    assert.equal((await store.resolve(bare.desc.digest)).mediaType, MediaType.ImageManifest);
  });

  test("resolve by digest of a layer is UNSUPPORTED: it is not a manifest", async () => {
    const store = await newLayout();
    const layer = blob(MediaType.ImageLayerGzip, "not json at all");
    await store.push(layer.desc, layer.bytes);
    await rejectsWith(
      store.resolve(layer.desc.digest),
      "UNSUPPORTED",
      /not a manifest or an index/,
    );
  });

  test("resolve by a digest that is absent is NOT_FOUND naming it", async () => {
    const store = await newLayout();
    const digest = computeDigest(Buffer.from("absent"));
    await rejectsWith(store.resolve(digest), "NOT_FOUND", new RegExp(digest));
  });

  test("resolve of an unknown tag is NOT_FOUND listing the tags there are", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "v1");
    await store.tag(image.manifests[0]!.desc, "amd64");
    await rejectsWith(store.resolve("v2"), "NOT_FOUND", /tag "v2" is not in .*its tags: v1, amd64/);
  });

  test("resolve of a tag in an empty layout says it has no tags", async () => {
    const store = await newLayout();
    await rejectsWith(store.resolve("v1"), "NOT_FOUND", /it has no tags/);
  });

  test("a tag on two index.json entries is an error naming both digests", async () => {
    const dir = freshDir();
    const store = await openLayout(dir, { create: true });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const [m0, m1] = image.manifests as [Blob, Blob];
    const entry = (b: Blob) => ({ ...b.desc, annotations: { [REF_NAME]: "dup" } });
    writeFileSync(
      join(dir, "index.json"),
      JSON.stringify({ schemaVersion: 2, manifests: [entry(m0), entry(m1)] }),
    );
    await rejectsWith(
      store.resolve("dup"),
      "VALIDATION",
      new RegExp(`names 2 entries.*${m0.desc.digest}.*${m1.desc.digest}`),
    );
  });

  test("listTags lists ref.name annotations in index order, once each", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "b");
    await store.tag(image.manifests[0]!.desc, "a");
    await store.tag(image.manifests[1]!.desc, "c");
    assert.deepEqual(await store.listTags(), ["b", "a", "c"]);
  });

  test("layoutRoots returns the index.json entries", async () => {
    const dir = freshDir();
    const store = await openLayout(dir, { create: true });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "v1");
    const roots = await layoutRoots(dir);
    assert.deepEqual(roots, [{ ...image.index.desc, annotations: { [REF_NAME]: "v1" } }]);
  });

  test("blobs() lists every blob by digest and size, sorted", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const listed = (await store.blobs()).map(({ digest, size }) => ({ digest, size }));
    const expected = image.blobs
      .map((b) => ({ digest: b.desc.digest, size: b.desc.size }))
      .sort((a, b) => (a.digest < b.digest ? -1 : 1));
    assert.deepEqual(listed, expected);
  });
});

describe("LayoutStore: verification", () => {
  test("push with a wrong digest is DIGEST_MISMATCH and stores nothing", async () => {
    const store = await newLayout();
    const good = blob(MediaType.ImageConfig, "{}");
    const wrong = { ...good.desc, digest: computeDigest(Buffer.from("{ }")) };
    await rejectsWith(store.push(wrong, good.bytes), "DIGEST_MISMATCH");
    assert.equal(await store.exists(wrong), false);
    assert.deepEqual(filesUnder(store.dir), ["index.json", "oci-layout"]);
  });

  test("push of more bytes than the size is SIZE_MISMATCH and stores nothing", async () => {
    const store = await newLayout();
    const good = blob(MediaType.ImageConfig, "{}");
    await rejectsWith(store.push({ ...good.desc, size: 1 }, good.bytes), "SIZE_MISMATCH");
    assert.deepEqual(filesUnder(store.dir), ["index.json", "oci-layout"]);
  });

  test("push of fewer bytes than the size is SIZE_MISMATCH and stores nothing", async () => {
    const store = await newLayout();
    const good = blob(MediaType.ImageConfig, "{}");
    await rejectsWith(store.push({ ...good.desc, size: 3 }, good.bytes), "SIZE_MISMATCH");
    assert.equal(await store.exists({ ...good.desc, size: 3 }), false);
    assert.deepEqual(filesUnder(store.dir), ["index.json", "oci-layout"]);
  });

  test("a push whose body fails midway leaves neither the blob nor a temp file", async () => {
    const store = await newLayout();
    const big = blob(MediaType.ImageLayer, Buffer.alloc(300_000, 7));
    async function* failing() {
      yield big.bytes.subarray(0, 100_000);
      throw new Error("connection reset");
    }
    await assert.rejects(store.push(big.desc, failing()), /connection reset/);
    assert.equal(await store.exists(big.desc), false);
    assert.deepEqual(filesUnder(store.dir), ["index.json", "oci-layout"]);
  });

  test("a successful push leaves only the blob under its digest, no temp file", async () => {
    const store = await newLayout();
    const image = sampleImage();
    async function* chunked(bytes: Buffer) {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    }
    for (const b of image.blobs) await store.push(b.desc, chunked(b.bytes));
    const expected = image.blobs.map((b) => `blobs/${b.desc.digest.replace(":", "/")}`);
    assert.deepEqual(filesUnder(store.dir), [...expected, "index.json", "oci-layout"].sort());
  });

  test("pushing content already present skips it without reading the body", async () => {
    const store = await newLayout();
    const b = blob(MediaType.ImageConfig, "{}");
    await store.push(b.desc, b.bytes);
    let read = false;
    async function* untouched() {
      read = true;
      yield b.bytes;
    }
    await store.push(b.desc, untouched());
    assert.equal(read, false);
  });

  test("pushing content already present makes it young again, so gc's grace period covers its reuse", async () => {
    const store = await newLayout();
    const b = blob(MediaType.ImageConfig, '{"reused":true}');
    await store.push(b.desc, b.bytes);
    const path = store.blobPath(b.desc.digest);
    const old = new Date(Date.now() - 24 * 3600 * 1000);
    utimesSync(path, old, old);
    await store.push(b.desc, b.bytes);
    assert.ok(Date.now() - statSync(path).mtimeMs < 60_000, "mtime refreshed");
  });

  test("a push of an unsupported digest algorithm is UNSUPPORTED", async () => {
    const store = await newLayout();
    await rejectsWith(
      store.push({ mediaType: "x/y", digest: "blake3:abcd", size: 1 }, Buffer.from("a")),
      "UNSUPPORTED",
    );
  });

  test("fetch of a blob corrupted on disk is DIGEST_MISMATCH while reading", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const victim = image.blobs[1] as Blob;
    const path = store.blobPath(victim.desc.digest);
    const bytes = readFileSync(path);
    bytes.writeUInt8((bytes.at(-1) ?? 0) ^ 0xff, bytes.length - 1);
    writeFileSync(path, bytes);
    const stream = await store.fetch(victim.desc);
    await rejectsWith(async () => {
      for await (const chunk of stream) void chunk;
    }, "DIGEST_MISMATCH");
  });

  test("fetch of a blob truncated on disk is SIZE_MISMATCH", async () => {
    const store = await newLayout();
    const b = blob(MediaType.ImageConfig, '{"a":1}');
    await store.push(b.desc, b.bytes);
    writeFileSync(store.blobPath(b.desc.digest), '{"a"');
    await rejectsWith(store.fetch(b.desc), "SIZE_MISMATCH", /4 bytes, the descriptor says 7/);
  });

  test("fetch of a missing blob is NOT_FOUND naming the digest and the layout", async () => {
    const store = await newLayout();
    const b = blob(MediaType.ImageConfig, "{}");
    await rejectsWith(
      store.fetch(b.desc),
      "NOT_FOUND",
      new RegExp(
        `blob ${b.desc.digest} is not in oci:${store.dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`,
      ),
    );
  });

  test("exists is true only for a file of the descriptor's size", async () => {
    const store = await newLayout();
    const b = blob(MediaType.ImageConfig, "{}");
    assert.equal(await store.exists(b.desc), false);
    await store.push(b.desc, b.bytes);
    assert.equal(await store.exists(b.desc), true);
    assert.equal(await store.exists({ ...b.desc, size: 3 }), false);
  });
});
