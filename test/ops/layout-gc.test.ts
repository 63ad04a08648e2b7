// `gc` on an OCI layout: unreferenced blobs go, compat content (reachable only through
// platform.compatibilities) stays, a dry run removes nothing, stale temp files go, unreachable
// blobs within the grace period stay, and documents are deleted before what they reference.
import assert from "node:assert/strict";
import { existsSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { OcicompatError } from "../../src/oci/errors.js";
import { MediaType } from "../../src/oci/media-types.js";
import { attach } from "../../src/ops/attach.js";
import { layoutGc } from "../../src/ops/layout-gc.js";
import { verify } from "../../src/ops/verify.js";
import {
  blob,
  bothWaysGraph,
  pushAll,
  sampleImage,
  tempDir,
  type Blob,
} from "../content/layout-support.js";

const work = tempDir("ocicompat-layout-gc-");
after(() => work.remove());

const HOUR_MS = 3600_000;

/** Sets a file's times `ms` into the past, as if a writer had finished with it then. */
function backdate(path: string, ms: number): void {
  const seconds = (Date.now() - ms) / 1000;
  utimesSync(path, seconds, seconds);
}

/** A layout holding a whole image and no tag: a copy that was stopped before its tag landed. */
async function untagged(name: string) {
  const image = sampleImage(name);
  const dir = join(work.path, name);
  const layout = await openLayout(dir, { create: true });
  await pushAll(layout, image.blobs);
  return { dir, layout, image };
}

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
    const result = await layoutGc(dir, { dryRun: true, graceMs: 0 });
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
    const result = await layoutGc(dir, { graceMs: 0 });
    assert.equal(result.removed.length, 2);
    assert.equal(existsSync(layout.blobPath(stray.desc.digest)), false);
    for (const w of attached.writes.filter((w) => w.action !== "tag"))
      assert.equal(await layout.exists(w.descriptor), true, `${w.role} kept`);
    assert.equal((await verify(layout, "v1")).ok, true);
    const again = await layoutGc(dir, { graceMs: 0 });
    assert.deepEqual(again.removed, []);
    assert.equal(again.kept, result.kept);
  });

  test("a cancelled gc removes nothing and rejects with the signal's reason", async () => {
    const { dir, layout, stray } = await prepare("cancelled");
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      layoutGc(dir, { graceMs: 0, signal: controller.signal }),
      (err: unknown) => err instanceof OcicompatError && err.code === "CANCELLED",
    );
    assert.equal(await layout.exists(stray.desc), true);
  });

  test("temp files nobody refreshed for the 30 s lease go (their writer is gone), fresh ones (a writer at work) stay", async () => {
    const { dir, layout } = await prepare("temps");
    const old = join(dir, "blobs", "sha256", ".abc.tmp-1-0011");
    const fresh = join(dir, "blobs", "sha256", ".def.tmp-2-0022");
    const oldIndex = join(dir, ".index.json.tmp-3-0033");
    for (const f of [old, fresh, oldIndex]) writeFileSync(f, "partial");
    backdate(old, 60_000);
    backdate(oldIndex, 60_000);
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
    const result = await layoutGc(dir, { graceMs: 0 });
    assert.deepEqual(
      result.removed.map((r) => r.digest),
      [attached.newIndex.digest],
    );
    assert.equal(await layout.exists(attached.entries[0]!.compatManifest), true);
  });

  test("unreachable blobs changed within the grace period stay and are reported as recent; older ones, or graceMs 0, go", async () => {
    const { dir, layout, stray, image } = await prepare("grace");
    const garbage = [stray.desc.digest, image.index.desc.digest].sort();
    const fresh = await layoutGc(dir);
    assert.equal(fresh.graceMs, HOUR_MS);
    assert.deepEqual(fresh.removed, []);
    assert.deepEqual(
      fresh.recent.map((r) => r.digest),
      garbage,
    );
    assert.equal(fresh.bytes, 0);
    assert.equal(await layout.exists(stray.desc), true);
    const noGrace = await layoutGc(dir, { dryRun: true, graceMs: 0 });
    assert.deepEqual(noGrace.recent, []);
    assert.deepEqual(noGrace.removed.map((r) => r.digest).sort(), garbage);

    backdate(layout.blobPath(stray.desc.digest), 2 * HOUR_MS);
    const old = await layoutGc(dir);
    assert.deepEqual(
      old.removed.map((r) => r.digest),
      [stray.desc.digest],
    );
    assert.deepEqual(
      old.recent.map((r) => r.digest),
      [image.index.desc.digest],
    );
    assert.equal(await layout.exists(stray.desc), false);

    const later = await layoutGc(dir, { now: Date.now() + 2 * HOUR_MS });
    assert.deepEqual(
      later.removed.map((r) => r.digest),
      [image.index.desc.digest],
    );
    assert.deepEqual(later.recent, []);
    assert.equal((await verify(layout, "v1")).ok, true);
  });

  test("what a recent unreachable document references stays too, however old", async () => {
    const { dir, layout, image } = await untagged("grace-children");
    for (const b of image.blobs)
      if (b !== image.index) backdate(layout.blobPath(b.desc.digest), 2 * HOUR_MS);
    const result = await layoutGc(dir);
    assert.deepEqual(result.removed, []);
    assert.deepEqual(
      result.recent.map((r) => r.digest),
      image.blobs.map((b) => b.desc.digest).sort(),
    );
    for (const b of image.blobs) assert.equal(await layout.exists(b.desc), true);
  });

  test("documents are removed before what they reference, then the other blobs; a dry run reports the same order", async () => {
    const { dir, layout, image } = await untagged("order");
    const dry = await layoutGc(dir, { dryRun: true, graceMs: 0 });
    const result = await layoutGc(dir, { graceMs: 0 });
    assert.deepEqual(dry.removed, result.removed);
    const order = result.removed.map((r) => r.digest as string);
    assert.deepEqual([...order].sort(), image.blobs.map((b) => b.desc.digest).sort());
    const at = (b: Blob) => order.indexOf(b.desc.digest);
    const documents = [image.index, ...image.manifests];
    const others = image.blobs.filter((b) => !documents.includes(b));
    assert.ok(
      image.manifests.some((m) => m.desc.digest < image.index.desc.digest),
      "digest order alone would remove a manifest before the index naming it",
    );
    assert.equal(at(image.index), 0);
    for (const m of image.manifests) assert.ok(at(m) < Math.min(...others.map(at)), "docs first");
    assert.deepEqual(order.slice(3), others.map((b) => b.desc.digest).sort());
    for (const b of image.blobs) assert.equal(await layout.exists(b.desc), false);
  });

  test("a manifest also named as a plain blob elsewhere is still walked: its children stay", async () => {
    // Crafted, but valid JSON: A lists M's bytes as a layer, B lists M as a manifest. Whichever
    // the walk meets first, M's config and layers are reachable through B.
    for (const order of ["blob first", "manifest first"] as const) {
      const image = sampleImage(`both-ways-${order.split(" ")[0]}`);
      const { extra, root } = bothWaysGraph(image, order === "blob first");
      const dir = join(work.path, `both-ways-${order.split(" ")[0]}`);
      const layout = await openLayout(dir, { create: true });
      await pushAll(layout, [...image.blobs, ...extra]);
      await layout.tag(root.desc, "v1");
      await layoutGc(dir, { graceMs: 0 });
      const result = await verify(layout, "v1");
      assert.deepEqual(result.problems, [], order);
    }
  });
});
