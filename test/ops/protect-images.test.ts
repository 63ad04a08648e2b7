// Keep tags on the real registry (distribution 2.8), through its real
// `garbage-collect --delete-untagged`, which deletes untagged manifests even when a tagged index
// lists them:
//   * `protect --images` tags every manifest the index lists, so the images survive; without it
//     they are lost and select names a digest the registry no longer has;
//   * re-attach leaves a keep tag on the compat content the `.compat` tag moves away from, so a
//     tag still naming the earlier index keeps its compatibilities (both formats); moving the tag
//     without it (what re-attach did before) loses them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { createStoreOpener } from "../../src/content/open.js";
import type { ContentDescriptor } from "../../src/content/store.js";
import { MediaType } from "../../src/oci/media-types.js";
import { compatTag, keepTag } from "../../src/ops/anchors.js";
import { attach } from "../../src/ops/attach.js";
import type { AttachResult } from "../../src/ops/attach/result.js";
import { protect, type ProtectResult } from "../../src/ops/protect.js";
import { selectImage } from "../../src/ops/select.js";
import { verify } from "../../src/ops/verify.js";
import { rejectsWith, type SampleImage } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { bytesOf, pushSample, registryStore, type Json } from "./attach-support.js";

// Different sets per repository: blobs are shared across a registry's repositories, and one
// repository's anchors must not keep another's content alive.
const SETS: Record<string, Json[]> = {
  "keep/images": [{ "oci.cpu.features": "AVX2" }],
  "keep/plain": [{ "oci.cpu.features": "AVX2,BMI2" }],
  "keep/reattach": [{ "oci.cpu.features": "AVX2,FMA" }],
  "keep/reattach-blob": [{ "oci.cpu.features": "AVX2,FMA,BMI2" }],
  "keep/moved": [{ "oci.cpu.features": "FMA" }],
};
const LATER: Json[] = [{ "oci.cpu.features": "BMI2" }];
const LATER_BLOB: Json[] = [{ "oci.cpu.features": "BMI2,FMA" }];
const LATER_MOVED: Json[] = [{ "oci.cpu.features": "FMA,BMI2" }];

const NODE: NodeProfile = {
  schemaVersion: 1,
  name: "keep-node",
  platform: { os: "linux", architecture: "amd64" },
  labels: { "oci.cpu.features": ["AVX2", "BMI2", "FMA"] },
};

let registry: TestRegistry;
const images: Record<string, SampleImage> = {};
const protects: Record<string, ProtectResult> = {};
let protectAgain: ProtectResult;
const chosenBefore: Record<string, string | undefined> = {};
/** Per re-attached repository: the first attach (v1-old names its index) and the second. */
const reattached: Record<
  string,
  { first: AttachResult; dryRun: AttachResult; second: AttachResult }
> = {};

async function withStore<T>(
  repository: string,
  work: (s: ReturnType<typeof registryStore>) => Promise<T>,
) {
  const store = registryStore(registry.host, repository);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function chosen(repository: string, tag = "v1"): Promise<string | undefined> {
  const opener = createStoreOpener();
  try {
    const result = await selectImage({
      reference: `${registry.host}/${repository}:${tag}`,
      opener,
      catalog: createCatalog(),
      profile: NODE,
    });
    return result.chosen?.digest;
  } finally {
    await opener.close();
  }
}

/** Pushes the sample, attaches, and keeps the earlier index under v1-old before a re-attach. */
async function reattach(
  repository: string,
  later: Json[],
  options: Partial<Parameters<typeof attach>[2]>,
  secondOptions: Partial<Parameters<typeof attach>[2]> = options,
) {
  images[repository] = await pushSample(registry.host, repository, "v1");
  await withStore(repository, async (store) => {
    const first = await attach(store, "v1", { sets: SETS[repository]!, all: true, ...options });
    await store.tag(first.newIndex, "v1-old");
    await protect(store, "v1", { images: true });
    const dryRun = await attach(store, "v1", {
      sets: later,
      all: true,
      ...secondOptions,
      dryRun: true,
    });
    const second = await attach(store, "v1", { sets: later, all: true, ...secondOptions });
    reattached[repository] = { first, dryRun, second };
  });
}

before(async () => {
  registry = await startRegistry();
  for (const repository of ["keep/images", "keep/plain"]) {
    images[repository] = await pushSample(registry.host, repository, "v1");
    await withStore(repository, (store) =>
      attach(store, "v1", { sets: SETS[repository]!, all: true }),
    );
    chosenBefore[repository] = await chosen(repository);
  }
  await withStore("keep/images", async (store) => {
    protects["keep/images"] = await protect(store, "v1", { images: true });
    protectAgain = await protect(store, "v1", { images: true });
  });
  await reattach("keep/reattach", LATER, {});
  await reattach("keep/reattach-blob", LATER_BLOB, { format: "blob" });
  // The control: the second attach writes no anchors, then the `.compat` tags move to the new
  // compat manifests as re-attach moved them before keep tags existed.
  await reattach("keep/moved", LATER_MOVED, {}, { anchor: "none" });
  await withStore("keep/moved", async (store) => {
    for (const e of reattached["keep/moved"]!.second.entries)
      await store.tag(e.compatManifest, compatTag(e.manifest.digest));
  });
  await registry.garbageCollect({ deleteUntagged: true });
});

after(async () => {
  await registry.stop();
});

function digestsOf(image: SampleImage): string[] {
  return image.manifests.map((m) => m.desc.digest);
}

describe("protect --images (real garbage-collect --delete-untagged)", () => {
  test("protect --images tags every manifest the index lists with sha256-<hex>.keep", async () => {
    const result = protects["keep/images"]!;
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.images.map((i) => [i.digest, i.status, i.tag]),
      digestsOf(images["keep/images"]!).map((d) => [d, "protected", keepTag(d)]),
    );
    const tags = result.writes.filter((w) => w.role === "keep-tag");
    assert.deepEqual(
      tags.map((w) => [w.tag, w.descriptor.digest]),
      digestsOf(images["keep/images"]!).map((d) => [keepTag(d), d]),
    );
  });

  test("a second protect --images finds the keep tags and writes nothing", () => {
    assert.deepEqual(protectAgain.writes, []);
    assert.deepEqual(
      protectAgain.images.map((i) => i.status),
      ["already", "already"],
    );
  });

  test("with --images the images survive: verify finds nothing missing, select's digest is served", async () => {
    await withStore("keep/images", async (store) => {
      const result = await verify(store, "v1");
      assert.deepEqual(result.problems, []);
      const digest = await chosen("keep/images");
      assert.ok(digest !== undefined);
      assert.equal(digest, chosenBefore["keep/images"]);
      const desc = images["keep/images"]!.manifests.find((m) => m.desc.digest === digest)!.desc;
      assert.ok((await bytesOf(store, desc)).byteLength > 0);
    });
  });

  test("without --images both images are lost, and select names a digest the registry no longer has", async () => {
    await withStore("keep/plain", async (store) => {
      const result = await verify(store, "v1");
      const missing = result.problems.filter((p) => p.kind === "missing").map((p) => p.digest);
      for (const d of digestsOf(images["keep/plain"]!)) assert.ok(missing.includes(d), d);
      const digest = await chosen("keep/plain");
      assert.equal(digest, chosenBefore["keep/plain"]);
      const desc = images["keep/plain"]!.manifests.find((m) => m.desc.digest === digest)!.desc;
      await rejectsWith(bytesOf(store, desc), "NOT_FOUND");
    });
  });
});

describe("re-attach keeps the earlier index's compat content (real garbage-collect --delete-untagged)", () => {
  for (const repository of ["keep/reattach", "keep/reattach-blob"]) {
    test(`${repository}: re-attach left a keep tag on each compat manifest the .compat tag moved from`, () => {
      const { first, second } = reattached[repository]!;
      // Named after what the earlier index entry names: the manifest, or the J blob.
      assert.deepEqual(
        second.entries.map((e) => e.anchors.keptPrevious),
        first.entries.map((e) => keepTag(e.compatibilities.digest)),
      );
      // One per name: both entries share one J blob, and one keeper of it keeps it.
      const expected = new Map<string, string>();
      for (const e of first.entries)
        if (!expected.has(keepTag(e.compatibilities.digest)))
          expected.set(keepTag(e.compatibilities.digest), e.compatManifest.digest);
      const kept = second.writes.filter((w) => w.role === "keep-tag");
      assert.deepEqual(
        kept.map((w) => [w.tag, w.descriptor.digest]),
        [...expected],
      );
    });

    test(`${repository}: a dry run of the re-attach lists the same keep tags, and writes none of them`, () => {
      const { dryRun, second } = reattached[repository]!;
      const keepWrites = (r: AttachResult) =>
        r.writes.filter((w) => w.role === "keep-tag").map((w) => [w.tag, w.descriptor.digest]);
      assert.ok(keepWrites(second).length > 0);
      assert.deepEqual(keepWrites(dryRun), keepWrites(second));
      assert.deepEqual(
        dryRun.entries.map((e) => e.anchors.keptPrevious),
        second.entries.map((e) => e.anchors.keptPrevious),
      );
    });

    test(`${repository}: after GC the tag naming the earlier index still has all its compat content, and verify --gc counts the keep tag`, async () => {
      await withStore(repository, async (store) => {
        const old = await verify(store, "v1-old", { gc: true });
        assert.deepEqual(old.problems, []);
        assert.equal(old.ok, true);
        const kinds = (old.anchors ?? []).map((c) => c.anchors.map((a) => a.kind));
        assert.equal(kinds.length, 2);
        for (const k of kinds) assert.ok(k.includes("keep-tag"), JSON.stringify(kinds));
        const now = await verify(store, "v1", { gc: true });
        assert.deepEqual(now.problems, []);
        const { first } = reattached[repository]!;
        // What the earlier entries name is served: the compat manifests, or the J blob (one of
        // its two keepers is gone, the one the keep tag names keeps it).
        for (const e of first.entries) {
          const doc = JSON.parse(
            new TextDecoder().decode(await bytesOf(store, e.compatibilities)),
          ) as Json;
          const type = doc["artifactType"] ?? doc["mediaType"];
          assert.equal(type, MediaType.Compatibilities);
        }
      });
    });
  }

  test("the control: a .compat tag moved without a keep tag loses the earlier index's compat manifests", async () => {
    await withStore("keep/moved", async (store) => {
      const { first } = reattached["keep/moved"]!;
      const result = await verify(store, "v1-old");
      const missing = result.problems.filter((p) => p.kind === "missing").map((p) => p.digest);
      for (const e of first.entries) {
        assert.ok(missing.includes(e.compatManifest.digest), e.compatManifest.digest);
        await rejectsWith(bytesOf(store, e.compatManifest as ContentDescriptor), "NOT_FOUND");
      }
    });
  });
});
