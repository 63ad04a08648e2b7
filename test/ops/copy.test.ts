// copyImage and copyGraph without a registry: whole graph with compat content, index bytes kept,
// --platform as a new index, progress bytes, skip-existing, the tag written last, and --referrers
// from a layout (oras-style index.json entries) through an archive and back.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { join } from "node:path";
import { openArchive } from "../../src/content/archive.js";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import type { ContentDescriptor, Store } from "../../src/content/store.js";
import { OcicompatError } from "../../src/oci/errors.js";
import { MediaType } from "../../src/oci/media-types.js";
import { referrersTag } from "../../src/oci/referrers.js";
import { copyImage, failedSide } from "../../src/ops/copy.js";
import {
  blob,
  fetchAll,
  layoutWithSignedImage,
  pushAll,
  rejectsWith,
  storeWith,
  tempDir,
} from "../content/layout-support.js";
import { demoImage } from "./select-support.js";

async function source(): Promise<{ src: Store; image: ReturnType<typeof demoImage> }> {
  const image = demoImage("copy-unit");
  const src = createMemoryStore("src");
  await pushAll(src, image.blobs);
  await src.tag(image.index.desc, "v1");
  return { src, image };
}

describe("copyImage (memory and layout)", () => {
  test("copies the whole graph, compat content included, index bytes unchanged, tag last", async () => {
    const { src, image } = await source();
    const dir = tempDir();
    try {
      const dst = await openLayout(dir.path, { create: true });
      const order: string[] = [];
      let progressed = 0;
      const result = await copyImage({
        src,
        reference: "v1",
        dst,
        tag: "v1",
        progress: {
          onCopied: (d) => order.push(d.digest),
          onProgress: (_d, n) => (progressed += n),
        },
      });
      assert.equal(result.rewritten, false);
      assert.equal(result.root.digest, image.index.desc.digest);
      assert.equal(result.stats.copied, new Set(image.blobs.map((b) => b.desc.digest)).size);
      const total = [...new Map(image.blobs.map((b) => [b.desc.digest, b.desc.size])).values()];
      assert.equal(
        result.stats.bytesCopied,
        total.reduce((a, b) => a + b, 0),
      );
      assert.equal(progressed, result.stats.bytesCopied);
      for (const b of image.blobs) assert.deepEqual(await fetchAll(dst, b.desc), b.bytes);
      assert.equal((await dst.resolve("v1")).digest, image.index.desc.digest);
      // Children first: compat content before the index, the index last.
      assert.equal(order.at(-1), image.index.desc.digest);
      assert.ok(order.indexOf(image.v3Compat.descriptor.digest) < order.length - 1);

      const again = await copyImage({ src, reference: "v1", dst, tag: "v1" });
      assert.deepEqual([again.stats.copied, again.stats.skipped], [0, 1]);
    } finally {
      dir.remove();
    }
  });

  test("--platform keeps only the chosen entries and their compat content, as a new index", async () => {
    const { src, image } = await source();
    const dst = createMemoryStore("dst");
    const result = await copyImage({
      src,
      reference: "v1",
      dst,
      tag: "amd64",
      platforms: ["linux/amd64/v3", "linux/amd64/v4"],
    });
    assert.equal(result.rewritten, true);
    assert.deepEqual(result.kept, ["linux/amd64/v3", "linux/amd64/v4"]);
    assert.notEqual(result.root.digest, image.index.desc.digest);
    const index = JSON.parse((await fetchAll(dst, result.root)).toString()) as {
      manifests: { digest: string; platform: Record<string, unknown> }[];
    };
    assert.deepEqual(
      index.manifests.map((m) => m.digest),
      [image.v3.manifest.desc.digest, image.avx512.manifest.desc.digest],
    );
    const has = (d: ContentDescriptor) => dst.exists(d);
    for (const b of [...image.v3.blobs, ...image.avx512.blobs, ...image.v3Compat.blobs])
      assert.equal(await has(b.desc), true);
    assert.equal(await has(image.avx512Compat.descriptor), true);
    for (const b of [...image.generic.blobs, ...image.arm64.blobs])
      assert.equal(await has(b.desc), false, "dropped platform not copied");
    assert.equal((await dst.resolve("amd64")).digest, result.root.digest);

    // Without a variant, a platform takes every variant of it.
    const all = await copyImage({ src, reference: "v1", dst, platforms: ["linux/amd64"] });
    assert.equal(all.kept?.length, 3);
    await rejectsWith(
      copyImage({ src, reference: "v1", dst, platforms: ["windows/amd64"] }),
      "NOT_FOUND",
    );

    // Every entry kept: nothing to filter, so the index is copied as it is (same digest).
    const whole = await copyImage({
      src,
      reference: "v1",
      dst,
      tag: "whole",
      platforms: ["linux/amd64", "linux/arm64"],
    });
    assert.equal(whole.rewritten, false);
    assert.equal(whole.root.digest, image.index.desc.digest);
    assert.equal((await dst.resolve("whole")).digest, image.index.desc.digest);
  });

  test("--platform on an index that is not a valid index is an error naming it", async () => {
    const src = createMemoryStore("src");
    const bad = blob(MediaType.ImageIndex, '{"schemaVersion":2,"manifests":[null]}');
    await pushAll(src, [bad]);
    await src.tag(bad.desc, "v1");
    await rejectsWith(
      copyImage({
        src,
        reference: "v1",
        dst: createMemoryStore("dst"),
        platforms: ["linux/amd64"],
      }),
      "VALIDATION",
      /manifests/,
    );
  });

  test("--referrers leaves a destination fallback tag that names a manifest alone, with a warning", async () => {
    const dir = tempDir("ocicompat-copy-odd-fallback-");
    try {
      const { image, src, subject } = await layoutWithSignedImage(
        join(dir.path, "src"),
        "odd-fallback",
      );
      const dst = createMemoryStore("dst");
      await pushAll(dst, image.blobs);
      const tag = referrersTag(subject.desc.digest);
      await dst.tag(image.manifests[1]!.desc, tag); // someone else's use of the name
      const result = await copyImage({ src, reference: "v1", dst, tag: "v1", referrers: true });
      assert.deepEqual(result.stats.referrersTags, []);
      assert.equal(result.stats.warnings.length, 1);
      assert.match(result.stats.warnings[0]!, new RegExp(`${tag} .* not a referrers index`));
      assert.equal((await dst.resolve(tag)).digest, image.manifests[1]!.desc.digest);
      assert.equal((await dst.resolve("v1")).digest, image.index.desc.digest);
    } finally {
      dir.remove();
    }
  });

  test("--referrers refuses to rewrite a destination fallback index that is not a valid index", async () => {
    const dir = tempDir("ocicompat-copy-bad-fallback-");
    try {
      const { src, subject } = await layoutWithSignedImage(join(dir.path, "src"), "bad-fallback");
      const dst = createMemoryStore("dst");
      const bad = blob(MediaType.ImageIndex, '{"schemaVersion":2,"manifests":[{"digest":1}]}');
      await pushAll(dst, [bad]);
      await dst.tag(bad.desc, referrersTag(subject.desc.digest));
      await assert.rejects(
        copyImage({ src, reference: "v1", dst, tag: "v1", referrers: true }),
        (err: unknown) =>
          err instanceof OcicompatError &&
          err.code === "VALIDATION" &&
          (err.subject ?? "").includes(referrersTag(subject.desc.digest)),
      );
      assert.equal((await dst.resolve(referrersTag(subject.desc.digest))).digest, bad.desc.digest);
      assert.deepEqual((await dst.listTags()).includes("v1"), false, "no tag over a failed copy");
    } finally {
      dir.remove();
    }
  });

  test("a failing child leaves the destination untagged; a rerun completes it", async () => {
    const { src, image } = await source();
    const dst = createMemoryStore("dst");
    const broken: Store = {
      ...src,
      name: "broken",
      resolve: (r) => src.resolve(r),
      exists: (d) => src.exists(d),
      push: (d, b) => src.push(d, b),
      tag: (d, t) => src.tag(d, t),
      listTags: () => src.listTags(),
      fetch: async (d) => {
        if (d.digest === image.v3Compat.descriptor.digest) throw new Error("injected");
        return src.fetch(d);
      },
    };
    await assert.rejects(copyGraph(broken, dst, image.index.desc, { tag: "v1" }), /injected/);
    assert.deepEqual(await dst.listTags(), []);
    assert.equal(await dst.exists(image.index.desc), false);
    const rerun = await copyGraph(src, dst, image.index.desc, { tag: "v1" });
    assert.ok(rerun.skipped > 0, "what the first run wrote is skipped");
    assert.equal((await dst.resolve("v1")).digest, image.index.desc.digest);
  });

  test("failedSide: a reference the source cannot resolve is the source's failure, a refused write the destination's", async () => {
    const { src } = await source();
    const unresolvable = storeWith(src, {
      resolve: () => Promise.reject(new OcicompatError("UNREACHABLE", "no answer")),
    });
    const resolveFailure = await copyImage({
      src: unresolvable,
      reference: "v1",
      dst: createMemoryStore("dst"),
    }).catch((err: unknown) => err);
    assert.match(String(resolveFailure), /no answer/);
    assert.equal(failedSide(resolveFailure), "source");
    const refusing = storeWith(createMemoryStore("dst"), {
      push: () => Promise.reject(new OcicompatError("AUTH", "read-only")),
    });
    const writeFailure = await copyImage({ src, reference: "v1", dst: refusing }).catch(
      (err: unknown) => err,
    );
    assert.match(String(writeFailure), /destination dst: read-only/);
    assert.equal(failedSide(writeFailure), "destination");
  });

  test("--referrers from a layout: oras-style referrers reach an archive's fallback tag", async () => {
    const dir = tempDir("ocicompat-copy-referrers-");
    try {
      const { src, subject, sig } = await layoutWithSignedImage(
        join(dir.path, "src"),
        "copy-referrers",
      );

      const file = join(dir.path, "copy.tar");
      const archive = await openArchive(file, { create: true });
      const result = await copyImage({
        src,
        reference: "v1",
        dst: archive,
        tag: "v1",
        referrers: true,
      });
      await archive.close();
      assert.equal(result.stats.referrers, 1);
      assert.deepEqual(result.stats.referrersTags, [referrersTag(subject.desc.digest)]);

      const reopened = await openArchive(file);
      try {
        assert.equal(await reopened.exists(sig.desc), true);
        const listed = await reopened.referrers(subject.desc);
        assert.deepEqual(
          listed.map((d) => [d.digest, d.artifactType]),
          [[sig.desc.digest, "application/vnd.example.sig"]],
        );
        // Again, archive to layout: found through the fallback tag this time.
        const back = await openLayout(join(dir.path, "back"), { create: true });
        const again = await copyImage({
          src: reopened,
          reference: "v1",
          dst: back,
          tag: "v1",
          referrers: true,
        });
        assert.equal(again.stats.referrers, 1);
        assert.deepEqual(
          (await back.referrers(subject.desc)).map((d) => d.digest),
          [sig.desc.digest],
        );
      } finally {
        await reopened.discard();
      }
    } finally {
      dir.remove();
    }
  });
});
