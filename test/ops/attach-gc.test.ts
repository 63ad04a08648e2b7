// GC survival on the real registry (distribution 2.8): what attach writes survives
// `garbage-collect` and `garbage-collect --delete-untagged` in both formats, with each platform
// image tagged as `docker manifest` workflows do; the same content without anchors does not, nor
// does an untagged platform image, which verify --gc warned about beforehand.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { MediaType } from "../../src/oci/media-types.js";
import { attach } from "../../src/ops/attach.js";
import type { AttachResult } from "../../src/ops/attach/result.js";
import { buildCompatBlob } from "../../src/compat/build.js";
import { editCompatibilities } from "../../src/compat/index-edit.js";
import { createCatalog } from "../../src/compat/catalog.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { createStoreOpener } from "../../src/content/open.js";
import { selectImage } from "../../src/ops/select.js";
import { verify, type VerifyResult } from "../../src/ops/verify.js";
import { rejectsWith } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { bytesOf, jsonOf, pushSample, registryStore, type Json } from "./attach-support.js";

// Different sets per repository: content-addressed blobs are shared across a registry's
// repositories, and one repository's anchors must not keep another's content alive.
const SETS: Record<string, Json[]> = {
  "gc/manifest": [{ "oci.cpu.features": "AVX2" }],
  "gc/blob": [{ "oci.cpu.features": "AVX2,BMI2" }],
  "gc/none": [{ "oci.cpu.features": "AVX2,FMA" }],
};

let registry: TestRegistry;
const results: Record<string, AttachResult> = {};
const selectionsBeforeGc: Record<string, unknown> = {};

// A node that passes every set above, so the selection depends on the compat content being there.
const NODE: NodeProfile = {
  schemaVersion: 1,
  name: "gc-node",
  platform: { os: "linux", architecture: "amd64" },
  labels: { "oci.cpu.features": ["AVX2", "BMI2", "FMA"], "oci.cpu.vendor": "GenuineIntel" },
};

/** What select answers for a repository's v1: the chosen digest and every entry's status. */
async function selection(repository: string): Promise<unknown> {
  const opener = createStoreOpener();
  try {
    const result = await selectImage({
      reference: `${registry.host}/${repository}:v1`,
      opener,
      catalog: createCatalog(),
      profile: NODE,
    });
    return {
      chosen: result.chosen?.digest,
      entries: result.entries.map((e) => [e.status, e.excludedBy ?? null]),
      warnings: result.warnings.length,
    };
  } finally {
    await opener.close();
  }
}
let bare: { blob: ReturnType<typeof buildCompatBlob> };
/** gc/untagged: compat attached with anchors, but only the amd64 image manifest tagged. */
let untagged: { amd64: string; arm64: string; before: VerifyResult };

async function prepare(repository: string, options: Partial<Parameters<typeof attach>[2]>) {
  const image = await pushSample(registry.host, repository, "v1");
  const store = registryStore(registry.host, repository);
  try {
    // Each platform image tagged, as `docker manifest create` workflows leave them.
    await store.tag(image.manifests[0]!.desc, "v1-amd64");
    await store.tag(image.manifests[1]!.desc, "v1-arm64");
    results[repository] = await attach(store, "v1", {
      sets: SETS[repository]!,
      all: true,
      ...options,
    });
  } finally {
    await store.close();
  }
}

before(async () => {
  registry = await startRegistry();
  await prepare("gc/manifest", {});
  await prepare("gc/blob", { format: "blob" });
  await prepare("gc/none", { anchor: "none" });
  for (const repository of Object.keys(SETS))
    selectionsBeforeGc[repository] = await selection(repository);
  // A Proposal J blob referenced only from platform.compatibilities, pushed without a keeper.
  const image = await pushSample(registry.host, "gc/bare", "v1");
  const store = registryStore(registry.host, "gc/bare");
  try {
    const blob = buildCompatBlob([{ "oci.cpu.vendor": "GenuineIntel" }]);
    await store.push(blob.descriptor, blob.bytes);
    const edited = editCompatibilities(image.index.bytes, [
      { entry: 0, compatibilities: blob.descriptor },
    ]);
    await store.pushManifest(edited.descriptor, edited.bytes, "v1");
    bare = { blob };
  } finally {
    await store.close();
  }
  const sample = await pushSample(registry.host, "gc/untagged", "v1");
  const partly = registryStore(registry.host, "gc/untagged");
  try {
    await partly.tag(sample.manifests[0]!.desc, "v1-amd64");
    await attach(partly, "v1", { sets: [{ "oci.cpu.features": "AVX2,SSE4_2" }], all: true });
    untagged = {
      amd64: sample.manifests[0]!.desc.digest,
      arm64: sample.manifests[1]!.desc.digest,
      before: await verify(partly, "v1", { gc: true }),
    };
  } finally {
    await partly.close();
  }
});

after(async () => {
  await registry.stop();
});

async function compatSurvives(repository: string): Promise<void> {
  const store = registryStore(registry.host, repository);
  try {
    const result = results[repository]!;
    assert.equal((await store.resolve("v1")).digest, result.newIndex.digest);
    for (const entry of result.entries) {
      const manifest = await jsonOf(store, entry.compatManifest);
      if (result.format === "manifest") {
        const config = await jsonOf(store, manifest["config"] as never);
        assert.deepEqual((config["config"] as Json)["compatibilities"], SETS[repository]);
      } else {
        const blob = await jsonOf(store, entry.compatibilities);
        assert.equal(blob["mediaType"], MediaType.Compatibilities);
        assert.deepEqual(blob["compatibilities"], SETS[repository]);
      }
    }
  } finally {
    await store.close();
  }
}

describe("GC survival on distribution 2.8", () => {
  test("a plain garbage-collect keeps everything attach wrote, and deletes a J blob pushed without a keeper", async () => {
    await registry.garbageCollect();
    await compatSurvives("gc/manifest");
    await compatSurvives("gc/blob");
    await compatSurvives("gc/none");
    const store = registryStore(registry.host, "gc/bare");
    try {
      await rejectsWith(bytesOf(store, bare.blob.descriptor), "NOT_FOUND");
    } finally {
      await store.close();
    }
  });

  test("garbage-collect --delete-untagged keeps the anchored compat content in both formats", async () => {
    await registry.garbageCollect({ deleteUntagged: true });
    await compatSurvives("gc/manifest");
    await compatSurvives("gc/blob");
  });

  test("verify --gc warned about the one untagged image manifest, and --delete-untagged deleted exactly it", async () => {
    // Before GC: compat content protected, one warning, for the untagged arm64 manifest.
    assert.equal(untagged.before.ok, true);
    const about = untagged.before.warnings.filter((w) =>
      /no tag names this image manifest/.test(w),
    );
    assert.equal(about.length, 1, untagged.before.warnings.join("\n"));
    assert.match(about[0]!, new RegExp(untagged.arm64));
    // After: the registry bug the warning names, on the real registry.
    const store = registryStore(registry.host, "gc/untagged");
    try {
      // The tagged amd64 manifest survives; the untagged arm64 one is the only thing missing.
      const after = await verify(store, "v1");
      assert.deepEqual(
        after.problems.map((p) => [p.kind, p.digest]),
        [["missing", untagged.arm64]],
      );
      assert.ok(!after.problems.some((p) => p.digest === untagged.amd64));
    } finally {
      await store.close();
    }
  });

  test("after garbage-collect --delete-untagged, select gives the same answers as before in both formats", async () => {
    for (const repository of ["gc/manifest", "gc/blob"]) {
      assert.ok(
        (selectionsBeforeGc[repository] as { chosen?: string }).chosen,
        `${repository}: something was chosen before GC`,
      );
      assert.deepEqual(await selection(repository), selectionsBeforeGc[repository], repository);
    }
  });

  test("without anchors, select's answer changes after GC: the dangling entries are excluded with warnings", async () => {
    const after = (await selection("gc/none")) as { warnings: number };
    assert.notDeepEqual(after, selectionsBeforeGc["gc/none"]);
    assert.ok(after.warnings > 0);
  });

  test("with --anchor none the compat manifest and its config are lost: the risk the anchors exist for", async () => {
    const store = registryStore(registry.host, "gc/none");
    try {
      const result = results["gc/none"]!;
      // The index is still tagged and still names the compat manifest: it now dangles.
      assert.equal((await store.resolve("v1")).digest, result.newIndex.digest);
      for (const entry of result.entries) {
        await rejectsWith(bytesOf(store, entry.compatManifest), "NOT_FOUND");
      }
      const configs = result.writes.filter((w) => w.role === "config");
      assert.equal(configs.length, 2);
      for (const config of configs)
        await rejectsWith(bytesOf(store, config.descriptor), "NOT_FOUND");
    } finally {
      await store.close();
    }
  });
});
