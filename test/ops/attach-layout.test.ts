// attach and detach on an OCI image layout (and an OCI archive): the same order of writes, the
// compat tag as an index.json entry, and index.json entries other tools wrote left as they were.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { openArchive } from "../../src/content/archive.js";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { isOcicompatError } from "../../src/oci/errors.js";
import { MediaType } from "../../src/oci/media-types.js";
import { compatTag, fallbackTag } from "../../src/ops/anchors.js";
import { attach, attachFile } from "../../src/ops/attach.js";
import { detach, detachReference } from "../../src/ops/detach.js";
import { inspect } from "../../src/ops/inspect.js";
import { blob, pushAll, sampleImage, tempDir } from "../content/layout-support.js";
import {
  SETS,
  AUTHORING_YAML,
  entries,
  jsonOf,
  platformOf,
  tagged,
  writeFile,
  type Json,
} from "./attach-support.js";

const work = tempDir("ocicompat-attach-layout-");
after(() => work.remove());

async function layoutWithImage(name: string, label = name) {
  const image = sampleImage(label);
  const src = createMemoryStore();
  await pushAll(src, image.blobs);
  const dir = join(work.path, name);
  const layout = await openLayout(dir, { create: true });
  await copyGraph(src, layout, image.index.desc, { tag: "v1" });
  return { image, dir, layout, src };
}

describe("attach on an OCI layout", () => {
  test("attachFile on oci:DIR:TAG: compat content, the .compat tag entry, then the index tag", async () => {
    const { image, dir } = await layoutWithImage("basic");
    const file = writeFile(work.path, "compat.yaml", AUTHORING_YAML);
    const result = await attachFile(`oci:${dir}:v1`, file, { platform: "linux/amd64" });
    assert.deepEqual(
      result.writes.map((w) => `${w.action} ${w.role}`),
      ["blob empty", "blob config", "manifest compat-manifest", "tag compat-tag", "tag index"],
    );
    const layout = await openLayout(dir);
    const subject = image.manifests[0]!.desc.digest;
    assert.deepEqual((await layout.listTags()).sort(), [compatTag(subject), "v1"].sort());
    const compat = await layout.resolve(compatTag(subject));
    assert.equal(compat.digest, result.entries[0]!.compatManifest.digest);
    assert.equal(compat.artifactType, MediaType.Compatibilities);
    const tree = await inspect(layout, "v1");
    const sets = tree.root.children[0]?.compat?.sets;
    assert.equal(sets?.[0]?.description, "x86-64-v3 with glibc 2.31+");
  });

  test("index.json entries other tools wrote keep their bytes; the v1 entry keeps its annotations", async () => {
    const { dir } = await layoutWithImage("foreign");
    const path = join(dir, "index.json");
    const original = JSON.parse(readFileSync(path, "utf8")) as { manifests: Json[] };
    const v1 = original.manifests[0] as Json;
    v1["annotations"] = { ...(v1["annotations"] as Json), "org.example.note": "kept" };
    const foreign = `{\n  "mediaType": "${MediaType.ImageManifest}", "digest": "${v1["digest"] as string}",\n  "size": ${v1["size"] as number}, "x-tool": [1, 2]\n}`;
    const text = `{"schemaVersion":2,"manifests":[${JSON.stringify(v1)},\n    ${foreign}],"x-top":true}`;
    writeFileSync(path, text);
    await attach(await openLayout(dir), "v1", { sets: SETS, platform: "linux/amd64" });
    const after = readFileSync(path, "utf8");
    assert.ok(after.includes(`,\n    ${foreign}`), after);
    assert.ok(after.endsWith(`"x-top":true}`), after);
    const layout = await openLayout(dir);
    assert.equal((await layout.resolve("v1")).annotations?.["org.example.note"], "kept");
  });

  test("--anchor tag also writes the referrers fallback index; detach updates it and keeps the .compat tag", async () => {
    const { image, dir } = await layoutWithImage("anchored");
    const layout = await openLayout(dir);
    const attached = await attach(layout, "v1", {
      sets: SETS,
      all: true,
      anchor: "tag",
      format: "blob",
    });
    const subject = image.manifests[1]!.desc.digest;
    const referrers = await tagged(layout, fallbackTag(subject));
    assert.deepEqual(
      entries(referrers.doc).map((e) => e["digest"]),
      [attached.entries[1]!.compatManifest.digest],
    );
    const detached = await detachReference(`oci:${dir}:v1`, { all: true });
    assert.equal(detached.newIndex.digest, image.index.desc.digest);
    assert.deepEqual(entries((await tagged(layout, fallbackTag(subject))).doc), []);
    assert.equal(detached.entries[1]!.keptCompatTag, compatTag(subject));
    assert.equal(
      (await layout.resolve(compatTag(subject))).digest,
      attached.entries[1]!.compatManifest.digest,
    );
    assert.deepEqual(Buffer.from((await tagged(layout, "v1")).bytes), image.index.bytes);
  });

  test("a single manifest tagged in a layout is wrapped; an entry without a platform gets the config's", async () => {
    const { image, dir, layout } = await layoutWithImage("single");
    await layout.tag(image.manifests[0]!.desc, "amd64");
    const result = await attach(layout, "amd64", { sets: SETS });
    assert.equal(result.wrapped, true);
    const now = await tagged(await openLayout(dir), "amd64");
    assert.deepEqual(Object.keys(platformOf(entries(now.doc)[0])), [
      "architecture",
      "os",
      "compatibilities",
    ]);

    // An index whose entry has no platform at all: --digest names it, the platform is read from the config.
    const src = createMemoryStore();
    const bare = await openLayout(join(work.path, "bare"), { create: true });
    await pushAll(src, image.blobs);
    const indexBytes = Buffer.from(
      JSON.stringify({ schemaVersion: 2, manifests: [{ ...image.manifests[1]!.desc }] }),
    );
    const index = blob(MediaType.ImageIndex, indexBytes);
    await pushAll(src, [index]);
    await copyGraph(src, bare, index.desc, { tag: "v1" });
    const out = await attach(bare, "v1", { sets: SETS, digest: image.manifests[1]!.desc.digest });
    assert.equal(out.entries[0]!.platform, "linux/arm64/v8");
    const doc = (await tagged(bare, "v1")).doc;
    const platform = platformOf(entries(doc)[0]);
    assert.equal(platform["architecture"], "arm64");
    assert.equal(platform["variant"], "v8");
    const config = await jsonOf(
      bare,
      (await jsonOf(bare, out.entries[0]!.compatManifest))["config"] as never,
    );
    assert.equal(config["variant"], "v8");
  });

  test("an OCI archive is attached and detached in place", async () => {
    const { image, src } = await layoutWithImage("archive");
    const file = join(work.path, "image.tar");
    const archive = await openArchive(file, { create: true });
    await copyGraph(src, archive, image.index.desc, { tag: "v1" });
    await archive.close();
    const compat = writeFile(work.path, "archive.yaml", AUTHORING_YAML);
    const result = await attachFile(`oci-archive:${file}:v1`, compat, { platform: "linux/amd64" });
    const reopened = await openArchive(file);
    try {
      assert.equal((await reopened.resolve("v1")).digest, result.newIndex.digest);
    } finally {
      await reopened.close();
    }
    const detached = await detachReference(`oci-archive:${file}:v1`, { platform: "linux/amd64" });
    assert.equal(detached.newIndex.digest, image.index.desc.digest);
  });

  test("content attach wrote that vanishes before its tag (a gc meanwhile) stops the tag: INCOMPLETE, v1 unmoved", async () => {
    const { layout, image } = await layoutWithImage("vanishing");
    // A stand-in for a gc that collects the (still unreachable) compat config right after it
    // was written.
    const push = layout.push.bind(layout);
    layout.push = async (desc, body) => {
      await push(desc, body);
      if (desc.mediaType === MediaType.ImageConfig) rmSync(layout.blobPath(desc.digest));
    };
    await assert.rejects(
      attach(layout, "v1", { sets: SETS, platform: "linux/amd64" }),
      (err: unknown) => isOcicompatError(err) && err.code === "INCOMPLETE",
    );
    assert.equal((await layout.resolve("v1")).digest, image.index.desc.digest);
    // A re-run, with nothing collecting, completes.
    layout.push = push;
    await attach(layout, "v1", { sets: SETS, platform: "linux/amd64" });
    assert.notEqual((await layout.resolve("v1")).digest, image.index.desc.digest);
  });

  test("a tag moved by another writer between attach's last check and its write: CONFLICT, the other's tag kept", async () => {
    const { layout, image } = await layoutWithImage("moved-late");
    const push = layout.push.bind(layout);
    layout.push = async (desc, body) => {
      await push(desc, body);
      // The new index is stored just before the tag: another writer moves v1 right then.
      if (desc.mediaType === MediaType.ImageIndex && desc.digest !== image.index.desc.digest)
        await layout.tag(image.manifests[1]!.desc, "v1");
    };
    await assert.rejects(
      attach(layout, "v1", { sets: SETS, platform: "linux/amd64" }),
      (err: unknown) => isOcicompatError(err) && err.code === "CONFLICT",
    );
    assert.equal((await layout.resolve("v1")).digest, image.manifests[1]!.desc.digest);
  });

  test("attach on a sparse index (a platform's manifest absent on purpose) still works", async () => {
    const { layout, image } = await layoutWithImage("sparse");
    rmSync(layout.blobPath(image.manifests[1]!.desc.digest));
    const result = await attach(layout, "v1", { sets: SETS, platform: "linux/amd64" });
    assert.equal((await layout.resolve("v1")).digest, result.newIndex.digest);
  });

  test("detach whose .compat tag names damaged content: detached all the same, with a warning instead of silence", async () => {
    const { layout, image } = await layoutWithImage("damaged-compat");
    const attached = await attach(layout, "v1", { sets: SETS, platform: "linux/amd64" });
    const compat = attached.entries[0]!.compatManifest;
    const path = layout.blobPath(compat.digest);
    const bytes = readFileSync(path);
    bytes[bytes.length - 2]! ^= 0x01; // same size, other digest
    writeFileSync(path, bytes);
    const result = await detach(layout, "v1", { platform: "linux/amd64" });
    assert.equal(result.changed, true);
    assert.equal(result.entries[0]!.keptCompatTag, undefined);
    assert.equal(result.warnings.length, 1);
    assert.match(
      result.warnings[0]!,
      new RegExp(`${compatTag(image.manifests[0]!.desc.digest)}: could not be read`),
    );
    assert.equal((await layout.resolve("v1")).digest, result.newIndex.digest);
  });

  test("detach on a layout without compatibilities changes nothing", async () => {
    const { image, dir } = await layoutWithImage("plain");
    const before = readFileSync(join(dir, "index.json"));
    const result = await detach(await openLayout(dir), "v1", { all: true });
    assert.equal(result.changed, false);
    assert.equal(result.newIndex.digest, image.index.desc.digest);
    assert.deepEqual(readFileSync(join(dir, "index.json")), before);
  });
});
