// Tagging a layout: how index.json is rewritten (every other byte of a foreign one kept), which
// tags are valid, and concurrent tag calls from one process and from several never losing one.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, describe, test } from "node:test";
import { openLayout, REF_NAME } from "../../src/content/layout.js";
import { MediaType } from "../../src/oci/media-types.js";
import {
  EMPTY_INDEX,
  layoutScratch,
  pushAll,
  rejectsWith,
  sampleImage,
  type Blob,
} from "./layout-support.js";

const { freshDir, newLayout, remove } = layoutScratch("ocicompat-layout-tags-");
after(remove);

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
