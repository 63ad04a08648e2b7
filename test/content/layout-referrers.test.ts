// Referrers in an OCI layout, which has no referrers API: manifests listed in the subject's
// fallback tag, and index.json entries whose manifest names the subject (as oras writes them).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openLayout } from "../../src/content/layout.js";
import { OcicompatError, ValidationError } from "../../src/oci/errors.js";
import { MediaType } from "../../src/oci/media-types.js";
import { referrersTag } from "../../src/oci/referrers.js";
import {
  addUntagged,
  blob,
  emptyBlob as empty,
  pushAll,
  referrer,
  sampleImage,
  tempDir,
} from "./layout-support.js";

async function layoutWithImage() {
  const dir = tempDir("ocicompat-layout-referrers-");
  const image = sampleImage("referrers");
  const store = await openLayout(dir.path, { create: true });
  await pushAll(store, [...image.blobs, empty]);
  await store.tag(image.index.desc, "v1");
  return { dir, image, store, subject: image.manifests[0]! };
}

describe("LayoutStore.referrers", () => {
  test("index.json entries naming the subject are its referrers, with artifactType and annotations", async () => {
    const { dir, store, subject, image } = await layoutWithImage();
    try {
      const sig = referrer(subject, {
        artifactType: "application/vnd.example.sig",
        annotations: { "org.example.signer": "ci" },
      });
      const sbom = referrer(subject, { configType: "application/vnd.example.sbom" });
      const other = referrer(image.manifests[1]!, { artifactType: "application/vnd.example.sig" });
      await pushAll(store, [sig, sbom, other]);
      addUntagged(store.dir, sig, sbom, other);

      const listed = await store.referrers(subject.desc);
      assert.deepEqual(
        listed.map((d) => [d.digest, d.artifactType, d.annotations]),
        [
          [sig.desc.digest, "application/vnd.example.sig", { "org.example.signer": "ci" }],
          // No artifactType of its own: the config's media type, as the distribution spec says.
          [sbom.desc.digest, "application/vnd.example.sbom", undefined],
        ],
      );
      const sigsOnly = await store.referrers(subject.desc, "application/vnd.example.sig");
      assert.deepEqual(
        sigsOnly.map((d) => d.digest),
        [sig.desc.digest],
      );
      assert.deepEqual(await store.referrers(image.index.desc), []);
    } finally {
      dir.remove();
    }
  });

  test("the fallback tag's manifests are referrers too, each digest once", async () => {
    const { dir, store, subject } = await layoutWithImage();
    try {
      const sig = referrer(subject, { artifactType: "application/vnd.example.sig" });
      const fallback = blob(
        MediaType.ImageIndex,
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ImageIndex,
          manifests: [{ ...sig.desc, artifactType: "application/vnd.example.sig" }],
        }),
      );
      await pushAll(store, [sig, fallback]);
      await store.tag(fallback.desc, referrersTag(subject.desc.digest));
      addUntagged(store.dir, sig);

      const listed = await store.referrers(subject.desc);
      assert.deepEqual(
        listed.map((d) => [d.digest, d.artifactType]),
        [[sig.desc.digest, "application/vnd.example.sig"]],
      );
    } finally {
      dir.remove();
    }
  });

  test("a referrer added after the first query is found: the scan follows index.json", async () => {
    const { dir, store, subject } = await layoutWithImage();
    try {
      assert.deepEqual(await store.referrers(subject.desc), []);
      const sig = referrer(subject, { artifactType: "application/vnd.example.sig" });
      await pushAll(store, [sig]);
      addUntagged(store.dir, sig);
      assert.deepEqual(
        (await store.referrers(subject.desc)).map((d) => d.digest),
        [sig.desc.digest],
      );
    } finally {
      dir.remove();
    }
  });

  test("a fallback tag that is not a valid index is an error naming the tag", async () => {
    const { dir, store, subject } = await layoutWithImage();
    try {
      const bad = blob(
        MediaType.ImageIndex,
        JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: [{}] }),
      );
      await pushAll(store, [bad]);
      await store.tag(bad.desc, referrersTag(subject.desc.digest));
      await assert.rejects(store.referrers(subject.desc), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.match(err.subject ?? "", new RegExp(referrersTag(subject.desc.digest)));
        assert.match(err.message, /manifests/);
        return true;
      });
    } finally {
      dir.remove();
    }
  });

  test("concurrent queries share one scan of index.json's entries", async () => {
    const { dir, store, subject, image } = await layoutWithImage();
    try {
      const sig = referrer(subject, { artifactType: "application/vnd.example.sig" });
      await pushAll(store, [sig]);
      addUntagged(store.dir, sig);
      const reads = new Map<string, number>();
      const fetch = store.fetch.bind(store);
      store.fetch = async (desc) => {
        reads.set(desc.digest, (reads.get(desc.digest) ?? 0) + 1);
        return fetch(desc);
      };
      const answers = await Promise.all(
        [subject, ...image.manifests, subject].map((m) => store.referrers(m.desc)),
      );
      assert.deepEqual(
        answers.map((a) => a.length),
        [1, 1, 0, 1],
      );
      assert.equal(reads.get(sig.desc.digest), 1, "each entry read once");
      assert.equal(reads.get(image.index.desc.digest), 1);
    } finally {
      dir.remove();
    }
  });

  test("an index.json entry that cannot be read fails the query, saying it was a referrers scan", async () => {
    const { dir, store, subject } = await layoutWithImage();
    try {
      const ghost = referrer(subject, { artifactType: "application/vnd.example.sig" });
      addUntagged(store.dir, ghost); // listed, never pushed
      await assert.rejects(store.referrers(subject.desc), (err: unknown) => {
        assert.ok(err instanceof OcicompatError);
        assert.equal(err.code, "NOT_FOUND");
        assert.match(err.message, /looking for referrers/);
        assert.equal(err.subject, ghost.desc.digest);
        return true;
      });
    } finally {
      dir.remove();
    }
  });
});
