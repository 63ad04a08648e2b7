// `gc` on an OCI layout: unreferenced blobs go, compat content (reachable only through
// platform.compatibilities) stays, a dry run removes nothing, stale temp files go.
import assert from "node:assert/strict";
import { existsSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { MediaType } from "../../src/oci/media-types.js";
import { attach } from "../../src/ops/attach.js";
import { layoutGc } from "../../src/ops/layout-gc.js";
import { verify } from "../../src/ops/verify.js";
import { blob, pushAll, sampleImage, tempDir } from "../content/layout-support.js";

const work = tempDir("ocifit-layout-gc-");
after(() => work.remove());

async function prepare(name: string) {
  const image = sampleImage(name);
  const src = createMemoryStore();
  await pushAll(src, image.blobs);
  const dir = join(work.path, name);
  const layout = await openLayout(dir, { create: true });
  await copyGraph(src, layout, image.index.desc, { tag: "v1" });
  // No anchors: the compat content is reachable only through platform.compatibilities.
  const attached = await attach(layout, "v1", {
    sets: [{ "oci.cpu.features": "AVX2" }],
    all: true,
    anchor: "none",
  });
  const stray = blob(MediaType.ImageLayerGzip, "not referenced by anything");
  await layout.push(stray.desc, stray.bytes);
  return { dir, layout, attached, stray, image };
}

describe("layout gc", () => {
  test("a dry run lists the unreferenced blobs (the old index and a stray blob) with sizes and removes nothing", async () => {
    const { dir, layout, stray, image } = await prepare("dry");
    const before = (await layout.blobs()).length;
    const result = await layoutGc(dir, { dryRun: true });
    assert.equal(result.dryRun, true);
    assert.deepEqual(
      result.removed.map((r) => [r.digest, r.size]).sort(),
      [
        [stray.desc.digest, stray.desc.size],
        [image.index.desc.digest, image.index.desc.size],
      ].sort(),
    );
    assert.equal(result.bytes, stray.desc.size + image.index.desc.size);
    assert.equal((await layout.blobs()).length, before);
  });

  test("gc removes unreferenced blobs and keeps compat content; verify passes after", async () => {
    const { dir, layout, stray, attached } = await prepare("real");
    const result = await layoutGc(dir);
    assert.equal(result.removed.length, 2);
    assert.equal(existsSync(layout.blobPath(stray.desc.digest)), false);
    for (const w of attached.writes.filter((w) => w.action !== "tag"))
      assert.equal(await layout.exists(w.descriptor), true, `${w.role} kept`);
    assert.equal((await verify(layout, "v1")).ok, true);
    const again = await layoutGc(dir);
    assert.deepEqual(again.removed, []);
    assert.equal(again.kept, result.kept);
  });

  test("temp files older than an hour go, fresh ones (a writer at work) stay", async () => {
    const { dir, layout } = await prepare("temps");
    const old = join(dir, "blobs", "sha256", ".abc.tmp-1-0011");
    const fresh = join(dir, "blobs", "sha256", ".def.tmp-2-0022");
    const oldIndex = join(dir, ".index.json.tmp-3-0033");
    for (const f of [old, fresh, oldIndex]) writeFileSync(f, "partial");
    const twoHoursAgo = (Date.now() - 2 * 3600_000) / 1000;
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    utimesSync(oldIndex, twoHoursAgo, twoHoursAgo);
    const result = await layoutGc(dir);
    assert.deepEqual(result.temps.map((t) => t.path).sort(), [old, oldIndex].sort());
    assert.equal(existsSync(old), false);
    assert.equal(existsSync(oldIndex), false);
    assert.equal(existsSync(fresh), true);
    assert.equal((await verify(layout, "v1")).ok, true);
  });

  test("content named only by its .compat tag (anchor auto) is a root too", async () => {
    const image = sampleImage("tagged");
    const src = createMemoryStore();
    await pushAll(src, image.blobs);
    const dir = join(work.path, "tagged");
    const layout = await openLayout(dir, { create: true });
    await copyGraph(src, layout, image.index.desc, { tag: "v1" });
    const attached = await attach(layout, "v1", {
      sets: [{ "oci.cpu.features": "AVX2" }],
      platform: "linux/amd64",
    });
    // Point v1 back at the old index: the compat manifest is now reachable only via its tag.
    await layout.tag(image.index.desc, "v1");
    const result = await layoutGc(dir);
    assert.deepEqual(
      result.removed.map((r) => r.digest),
      [attached.newIndex.digest],
    );
    assert.equal(await layout.exists(attached.entries[0]!.compatManifest), true);
  });
});
