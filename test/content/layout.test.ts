import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { layoutRoots, openLayout, REF_NAME, type LayoutStore } from "../../src/content/layout.js";
import { machineId, withLock } from "../../src/content/layout/lock.js";
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

const EMPTY_INDEX =
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}';

const scratch = tempDir("ocicompat-layout-");
after(() => scratch.remove());
let counter = 0;
function freshDir(): string {
  return join(scratch.path, `l${counter++}`);
}

async function newLayout(): Promise<LayoutStore> {
  return openLayout(freshDir(), { create: true });
}

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

describe("LayoutStore: tagging", () => {
  // A pretty-printed index.json with fields ocicompat does not know, as another tool could write it.
  function foreignIndex(entries: string[]): {
    text: string;
    head: string;
    sep: string;
    tail: string;
  } {
    const head = [
      "{",
      '  "schemaVersion": 2,',
      '  "mediaType": "application/vnd.oci.image.index.v1+json",',
      '  "x-tool": {"keep": [1, 2.50, "\\u00e9"], "n": 1e3},',
      '  "manifests": [',
      "    ",
    ].join("\n");
    const sep = ",\n    ";
    const tail = ["", "  ],", '  "annotations": {"org.example.z": "1"}', "}", ""].join("\n");
    return { text: head + entries.join(sep) + tail, head, sep, tail };
  }

  function entryText(b: Blob, extra: string): string {
    return `{\n      "mediaType": "${b.desc.mediaType}",\n      "digest": "${b.desc.digest}",\n      "size": ${b.desc.size}${extra}\n    }`;
  }

  async function foreignLayout() {
    const dir = freshDir();
    const store = await openLayout(dir, { create: true });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const [m0, m1] = image.manifests as [Blob, Blob];
    const e0 = entryText(
      m0,
      `,\n      "x-extra": true,\n      "annotations": {"${REF_NAME}": "old", "org.example.a": "b"}`,
    );
    const e1 = entryText(m1, `,\n      "platform": {"os": "linux", "architecture": "arm64"}`);
    const original = foreignIndex([e0, e1]);
    writeFileSync(join(dir, "index.json"), original.text);
    return { dir, store, image, e0, e1, original };
  }

  test("a new tag is appended; every other byte of index.json stays as it was", async () => {
    const { dir, store, image, e0, e1, original } = await foreignLayout();
    await store.tag(image.index.desc, "new");
    const added = JSON.stringify({
      ...image.index.desc,
      annotations: { [REF_NAME]: "new" },
    });
    assert.equal(
      readFileSync(join(dir, "index.json"), "utf8"),
      original.head + [e0, e1, added].join(original.sep) + original.tail,
    );
  });

  test("re-tagging replaces the entry in place and keeps the others and unknown fields", async () => {
    const { dir, store, image, e1, original } = await foreignLayout();
    await store.tag(image.index.desc, "old");
    const replaced = JSON.stringify({ ...image.index.desc, annotations: { [REF_NAME]: "old" } });
    assert.equal(
      readFileSync(join(dir, "index.json"), "utf8"),
      original.head + [replaced, e1].join(original.sep) + original.tail,
    );
    assert.equal((await store.resolve("old")).digest, image.index.desc.digest);
  });

  test("tagging what the tag already names leaves index.json untouched", async () => {
    const { dir, store, image, original } = await foreignLayout();
    await store.tag(image.manifests[0]!.desc, "old");
    assert.equal(readFileSync(join(dir, "index.json"), "utf8"), original.text);
  });

  test("tagging an empty compact index.json gives a compact entry list", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "v1");
    await store.tag(image.manifests[0]!.desc, "v2");
    const entry = (b: Blob, tag: string) =>
      JSON.stringify({ ...b.desc, annotations: { [REF_NAME]: tag } });
    assert.equal(
      readFileSync(store.indexPath, "utf8"),
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[${entry(image.index, "v1")},${entry(image.manifests[0]!, "v2")}]}`,
    );
  });

  test("a tag held by several entries moves to the first; the others keep their place untagged", async () => {
    const dir = freshDir();
    const store = await openLayout(dir, { create: true });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const [m0, m1] = image.manifests as [Blob, Blob];
    writeFileSync(
      join(dir, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          { ...m0.desc, annotations: { [REF_NAME]: "dup" } },
          { ...m1.desc, annotations: { [REF_NAME]: "dup", keep: "me" } },
        ],
      }),
    );
    await store.tag(image.index.desc, "dup");
    const roots = await store.roots();
    assert.deepEqual(roots, [
      { ...image.index.desc, annotations: { [REF_NAME]: "dup" } },
      { ...m1.desc, annotations: { keep: "me" } },
    ]);
    assert.equal((await store.resolve("dup")).digest, image.index.desc.digest);
  });

  test("descriptor annotations go into the entry, with the tag's ref.name winning", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(
      { ...image.index.desc, annotations: { [REF_NAME]: "other", "org.example.k": "v" } },
      "v1",
    );
    assert.deepEqual((await store.roots())[0]?.annotations, {
      "org.example.k": "v",
      [REF_NAME]: "v1",
    });
  });

  test("tagging content that is not in the layout is NOT_FOUND and changes nothing", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await rejectsWith(store.tag(image.index.desc, "v1"), "NOT_FOUND", /push it first/);
    assert.equal(readFileSync(store.indexPath, "utf8"), EMPTY_INDEX);
  });

  test("an invalid tag is INVALID_REFERENCE", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    for (const bad of ["", "-x", "a@b", "a b", "x/"]) {
      await rejectsWith(store.tag(image.index.desc, bad), "INVALID_REFERENCE");
    }
  });

  test("tags may use the image-layout ref.name grammar (slashes, colons, plus)", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    for (const tag of ["example.com/app:1.0", "v1+build.2", "a--b"]) {
      await store.tag(image.index.desc, tag);
      assert.equal((await store.resolve(tag)).digest, image.index.desc.digest);
    }
  });

  test("tagging leaves no temp or lock file behind", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "v1");
    await store.tag(image.manifests[0]!.desc, "v1");
    assert.deepEqual(readdirSync(store.dir).sort(), ["blobs", "index.json", "oci-layout"]);
  });
});

describe("LayoutStore: concurrent tagging", () => {
  test("8 concurrent tag calls in one process all land and index.json stays valid", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const targets = [image.index, ...image.manifests];
    const tags = Array.from({ length: 8 }, (_, i) => `t${i}`);
    await Promise.all(tags.map((tag, i) => store.tag(targets[i % targets.length]!.desc, tag)));
    assert.deepEqual((await store.listTags()).sort(), tags);
    for (const [i, tag] of tags.entries()) {
      assert.equal((await store.resolve(tag)).digest, targets[i % targets.length]!.desc.digest);
    }
  });

  test("two stores on one layout in one process do not lose each other's tags", async () => {
    const dir = freshDir();
    const a = await openLayout(dir, { create: true });
    const b = await openLayout(dir);
    const image = sampleImage();
    await pushAll(a, image.blobs);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).tag(image.index.desc, `s${i}`)),
    );
    assert.equal((await a.listTags()).length, 8);
  });

  test("two child processes tagging the same layout concurrently never lose a tag", async () => {
    const dir = freshDir();
    const store = await openLayout(dir, { create: true });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const moduleUrl = pathToFileURL(join(process.cwd(), "src/content/layout.ts")).href;
    // Each child loads, says "ready", and waits for "go" on stdin, so all three processes start
    // tagging at the same moment and contend for index.json.lock.
    const script = `
      const { openLayout } = await import(${JSON.stringify(moduleUrl)});
      const [dir, prefix, count, digest, size] = process.argv.slice(1);
      const store = await openLayout(dir, { lockTimeoutMs: 60000 });
      const desc = { mediaType: ${JSON.stringify(MediaType.ImageIndex)}, digest, size: Number(size) };
      process.stdout.write("ready\\n");
      await new Promise((resolve) => process.stdin.once("data", resolve));
      await Promise.all(Array.from({ length: Number(count) }, (_, i) => store.tag(desc, prefix + i)));
      process.exit(0);
    `;
    const perChild = 15;
    const children = ["a", "b"].map((prefix) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          script,
          dir,
          prefix,
          String(perChild),
          image.index.desc.digest,
          String(image.index.desc.size),
        ],
        { stdio: ["pipe", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.once("data", () => resolve());
        child.once("exit", (code) =>
          reject(new Error(`child ${prefix} exited ${code}: ${stderr}`)),
        );
      });
      const exited = new Promise<void>((resolve, reject) =>
        child.on("exit", (code) =>
          code === 0 ? resolve() : reject(new Error(`child ${prefix} exited ${code}: ${stderr}`)),
        ),
      );
      return { child, ready, exited };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const { child } of children) child.stdin.end("go\n");
    const parentTags = Promise.all(
      Array.from({ length: 8 }, (_, i) => store.tag(image.manifests[0]!.desc, `p${i}`)),
    );
    await Promise.all([...children.map((c) => c.exited), parentTags]);
    const tags = await store.listTags();
    assert.equal(tags.length, 2 * perChild + 8, `tags: ${tags.join(",")}`);
    for (let i = 0; i < perChild; i++) {
      assert.ok(tags.includes(`a${i}`) && tags.includes(`b${i}`), `a${i} and b${i} present`);
    }
    assert.deepEqual(readdirSync(dir).sort(), ["blobs", "index.json", "oci-layout"]);
  });
});

describe("LayoutStore: the index.json lock", () => {
  function deadPid(): number {
    const child = spawnSync(process.execPath, ["-e", ""]);
    assert.ok(child.pid);
    return child.pid;
  }

  test("a lock left by a process that is gone (same kernel and PID namespace) is broken at once and the tag lands", async () => {
    assert.ok(machineId !== undefined, "this Linux host names its kernel and PID namespace");
    const dir = freshDir();
    await openLayout(dir, { create: true });
    // A timeout far below the lease: only the PID check can break it in time.
    const store = await openLayout(dir, { lockTimeoutMs: 2_000 });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const lock = `${store.indexPath}.lock`;
    writeFileSync(lock, `${deadPid()}\n${hostname()}\n${machineId}\nsometoken\n`);
    await store.tag(image.index.desc, "v1");
    assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
    assert.equal(existsSync(lock), false);
    assert.equal(existsSync(`${lock}.break`), false);
  });

  test("a lock file without a PID, older than the grace period, is broken", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const lock = `${store.indexPath}.lock`;
    writeFileSync(lock, "");
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    await store.tag(image.index.desc, "v1");
    assert.deepEqual(await store.listTags(), ["v1"]);
  });

  test("a lock held by a live process makes tag give up after the timeout, naming it", async () => {
    const dir = freshDir();
    await openLayout(dir, { create: true });
    const store = await openLayout(dir, { lockTimeoutMs: 150 });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const holder = spawn("sleep", ["30"]);
    try {
      const lock = `${store.indexPath}.lock`;
      writeFileSync(lock, `${holder.pid}\n${hostname()}\n`);
      const started = Date.now();
      await rejectsWith(
        store.tag(image.index.desc, "v1"),
        "IO",
        new RegExp(
          `locked by process ${holder.pid}; gave up after 150 ms.*remove .*index\\.json\\.lock`,
        ),
      );
      assert.ok(Date.now() - started < 5_000);
      assert.equal(readFileSync(lock, "utf8"), `${holder.pid}\n${hostname()}\n`, "lock kept");
      assert.equal(readFileSync(store.indexPath, "utf8"), EMPTY_INDEX, "index.json unchanged");
    } finally {
      holder.kill();
    }
  });

  test("a lock from another PID namespace with the same hostname is not broken by PID while its lease is fresh", async () => {
    const dir = freshDir();
    await openLayout(dir, { create: true });
    const store = await openLayout(dir, { lockTimeoutMs: 300 });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    // A dead PID here may be a live writer in the other container.
    const lock = `${store.indexPath}.lock`;
    const text = `${deadPid()}\n${hostname()}\nboot-x/pid:[4026532999]\nothertoken\n`;
    writeFileSync(lock, text);
    await rejectsWith(store.tag(image.index.desc, "v1"), "IO", /gave up after 300 ms/);
    assert.equal(readFileSync(lock, "utf8"), text, "lock kept");
  });

  test("a lock from another PID namespace whose lease ran out (no heartbeat) is broken", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const lock = `${store.indexPath}.lock`;
    writeFileSync(lock, `1\n${hostname()}\nboot-x/pid:[4026532999]\nothertoken\n`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    await store.tag(image.index.desc, "v1");
    assert.deepEqual(await store.listTags(), ["v1"]);
    assert.equal(existsSync(lock), false);
  });

  test("a holder refreshes its lease while it holds the lock, and removes only its own lock file", async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const lock = join(dir, "x.lock");
    const mtimes: number[] = [];
    await withLock(
      lock,
      async () => {
        mtimes.push(statSync(lock).mtimeMs);
        await new Promise((resolve) => setTimeout(resolve, 400));
        mtimes.push(statSync(lock).mtimeMs);
        // Another process broke it (this holder stalled past its lease) and took it.
        writeFileSync(lock, `1\nother\n-\nnot-mine\n`);
      },
      { leaseMs: 100 },
    );
    assert.ok(mtimes[1]! > mtimes[0]!, "the heartbeat moved the mtime");
    assert.equal(readFileSync(lock, "utf8"), `1\nother\n-\nnot-mine\n`, "the other's lock kept");
  });

  test("a lock from another host is never broken by PID", async () => {
    const dir = freshDir();
    await openLayout(dir, { create: true });
    const store = await openLayout(dir, { lockTimeoutMs: 100 });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    writeFileSync(`${store.indexPath}.lock`, `${deadPid()}\nsome-other-host.example\n`);
    await rejectsWith(store.tag(image.index.desc, "v1"), "IO", /on some-other-host\.example/);
  });
});

describe("LayoutStore: interoperability with skopeo", () => {
  let dir: string;
  let image: ReturnType<typeof sampleImage>;
  before(async () => {
    dir = freshDir();
    const store = await openLayout(dir, { create: true });
    image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "v1");
  });

  test("skopeo reads the index ocicompat wrote, byte for byte", () => {
    assert.equal(skopeo("inspect", "--raw", `oci:${dir}:v1`), image.index.bytes.toString());
  });

  test("a layout skopeo wrote is read back with the same graph and tags", async () => {
    const copy = freshDir();
    skopeo("copy", "--all", "--preserve-digests", `oci:${dir}:v1`, `oci:${copy}:v2`);
    const store = await openLayout(copy);
    assert.deepEqual(await store.listTags(), ["v2"]);
    assert.equal((await store.resolve("v2")).digest, image.index.desc.digest);
    await assertHolds(store, image);
    assert.deepEqual(await fetchAll(store, image.index.desc), image.index.bytes);
  });
});
