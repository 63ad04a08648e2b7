// selectImage against the real CNCF distribution registry on the demo's four variants: the choice
// for each example node, --platform, --tags, discovery, and the request budget (onRequest hook).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { openCache } from "../../src/content/cache.js";
import { createStoreOpener, type StoreOpener } from "../../src/content/open.js";
import type { Store } from "../../src/content/store.js";
import { selectImage } from "../../src/ops/select.js";
import { tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { loadExampleProfiles, selectRunner } from "./select-run-support.js";
import {
  compatManifest,
  demoImage,
  indexBlob,
  pushToRegistry,
  variantImage,
} from "./select-support.js";

const catalog = createCatalog();
const demo = demoImage("ops");
const work = tempDir("ocicompat-select-ops-");
let registry: TestRegistry;
const profiles: Record<string, NodeProfile> = {};
const select = selectRunner(catalog, work.path, profiles);

function arm64Node(): NodeProfile {
  return {
    schemaVersion: 1,
    name: "graviton",
    platform: { os: "linux", architecture: "arm64" },
    labels: { "oci.cpu.vendor": "ARM", "oci.os.glibc": "2.34" },
  };
}

before(async () => {
  registry = await startRegistry();
  await loadExampleProfiles(catalog, profiles);
  await pushToRegistry(registry.host, "demo/app", demo.blobs, demo.index.desc, "v1");
});

after(async () => {
  await registry.stop();
  work.remove();
});

describe("selectImage against a real registry", () => {
  const ref = () => `${registry.host}/demo/app:v1`;

  test("each example node gets the entry that fits it best, and every entry is explained", async () => {
    const cases: [string, NodeProfile, string][] = [
      ["intel-spr", profiles["intel-spr"] as NodeProfile, demo.avx512.manifest.desc.digest],
      ["amd-genoa", profiles["amd-genoa"] as NodeProfile, demo.v3.manifest.desc.digest],
      ["old-xeon", profiles["old-xeon"] as NodeProfile, demo.generic.manifest.desc.digest],
      ["graviton", arm64Node(), demo.arm64.manifest.desc.digest],
    ];
    for (const [name, profile, expected] of cases) {
      const { selection } = await select(ref(), { profile });
      assert.equal(selection.chosen?.digest, expected, name);
      assert.equal(selection.verdict, "compatible");
      assert.equal(selection.entries.length, 4);
      assert.equal(selection.warnings.length, 0);
      assert.equal(selection.root.digest, demo.index.desc.digest);
      assert.equal(selection.root.kind, "index");
    }
  });

  test("the ranking: score first (AVX-512 set 20 > v3 set 10 > generic 0)", async () => {
    const { selection } = await select(ref());
    assert.deepEqual(selection.ranking, [2, 1, 0]);
    const [generic, v3, avx512, arm64] = selection.entries;
    assert.equal(avx512?.status, "chosen");
    assert.equal(avx512?.score, 20);
    assert.equal(avx512?.compat?.form, "blob");
    assert.equal(v3?.status, "compatible");
    assert.equal(v3?.rank, 2);
    // variant v3 (level 2), two platform features, three labels
    assert.deepEqual(v3?.specificity, { variant: 2, features: 2, osFeatures: 0, labels: 3 });
    assert.equal(v3?.compat?.form, "manifest");
    assert.equal(generic?.rank, 3);
    assert.equal(arm64?.status, "excluded");
    assert.equal(arm64?.excludedBy, "platform");
    assert.match(arm64?.reasons[0]?.message ?? "", /arm64 does not run on amd64/);
  });

  test("an excluded entry carries each label's required and observed value", async () => {
    const { selection } = await select(ref(), { profile: profiles["amd-genoa"] as NodeProfile });
    const avx512 = selection.entries[2];
    assert.equal(avx512?.excludedBy, "compatibilities");
    const set1 = avx512?.compat?.result?.sets[1];
    const glibc = set1?.labels.find((l) => l.label === "oci.os.glibc");
    assert.deepEqual(
      { required: glibc?.required, observed: glibc?.observed, status: glibc?.status },
      { required: ">=2.31, <=2.37", observed: "2.39", status: "fail" },
    );
    assert.match(avx512?.reasons[0]?.message ?? "", /no compatibility set passes/);
  });

  test("--platform overrides the node's platform", async () => {
    const arm = await select(ref(), { platform: "linux/arm64" });
    assert.equal(arm.selection.chosen?.digest, demo.arm64.manifest.desc.digest);
    assert.equal(arm.selection.node.platform, "linux/arm64");
    // linux/amd64 keeps the node's level from its CPU flags; linux/amd64/v1 is the baseline.
    const amd = await select(ref(), { platform: "linux/amd64" });
    assert.equal(amd.selection.chosen?.digest, demo.avx512.manifest.desc.digest);
    const v1 = await select(ref(), { platform: "linux/amd64/v1" });
    assert.equal(v1.selection.chosen?.digest, demo.generic.manifest.desc.digest);
    const none = await select(ref(), { platform: "linux/s390x" });
    assert.equal(none.selection.chosen, null);
    assert.equal(none.selection.verdict, "not-compatible");
  });

  test("--tags limits the sets considered", async () => {
    const { selection } = await select(ref(), { tags: ["amd"] });
    // Only the AMD set of the AVX-512 blob is considered, and intel-spr fails it; v3 has no tags.
    assert.equal(selection.entries[2]?.status, "excluded");
    assert.equal(selection.entries[1]?.status, "excluded");
    assert.equal(selection.chosen?.digest, demo.generic.manifest.desc.digest);
  });

  test("lazy discovery is asked only for the labels the image's sets use, plus CPU flags for features", async () => {
    let asked: string[] = [];
    const { selection } = await select(ref(), {
      discover: async (labels) => {
        asked = [...labels].sort();
        return profiles["intel-spr"] as NodeProfile;
      },
    });
    assert.deepEqual(asked, [
      "oci.cpu.features",
      "oci.cpu.vendor",
      "oci.kernel.configurations",
      "oci.kernel.version",
      "oci.os.glibc",
      "oci.pci.devices",
    ]);
    assert.equal(selection.node.source, "discovery");
    assert.deepEqual(selection.node.labelsWanted, asked);
    assert.equal(selection.chosen?.digest, demo.avx512.manifest.desc.digest);
  });

  test("live discovery of this host runs and gives a verdict", async () => {
    const opener = createStoreOpener({ cache: openCache({ dir: `${work.path}/live` }) });
    try {
      const selection = await selectImage({ reference: ref(), opener, catalog });
      assert.equal(selection.node.source, "discovery");
      assert.equal(selection.entries.length, 4);
      assert.equal(typeof selection.compatible, "boolean");
    } finally {
      await opener.close();
    }
  });
});

describe("request budget (counted at the registry client)", () => {
  test("cold: HEAD tag + GET index + a GET per compat document (5, DESIGN §5); warm: HEAD tag + a HEAD per compat document the cache answers", async () => {
    const cacheDir = `${work.path}/budget`;
    const cold = await select(`${registry.host}/demo/app:v1`, { cacheDir });
    const configDigest = (demo.v3Compat.blobs[1] as { desc: { digest: string } }).desc.digest;
    // Presence is asked of the registry only for compat reads the cache answers (the same tag, the
    // same answer): a GET that reaches the registry proves it by itself.
    const heads = [
      `HEAD /v2/demo/app/blobs/${demo.avx512Compat.descriptor.digest}`,
      `HEAD /v2/demo/app/blobs/${configDigest}`,
      `HEAD /v2/demo/app/manifests/${demo.v3Compat.descriptor.digest}`,
    ];
    const expected = [
      `GET /v2/demo/app/blobs/${demo.avx512Compat.descriptor.digest}`,
      `GET /v2/demo/app/blobs/${configDigest}`,
      `GET /v2/demo/app/manifests/${demo.index.desc.digest}`,
      `GET /v2/demo/app/manifests/${demo.v3Compat.descriptor.digest}`,
      "HEAD /v2/demo/app/manifests/v1",
    ];
    assert.deepEqual(cold.requests.sort(), expected.sort());
    const warm = await select(`${registry.host}/demo/app:v1`, { cacheDir });
    assert.deepEqual(warm.requests.sort(), ["HEAD /v2/demo/app/manifests/v1", ...heads].sort());
    assert.deepEqual(warm.selection.entries, cold.selection.entries);
  });

  test("warm: a compatibilities manifest's config is asked for while the manifest's own HEAD is unanswered (a store wrapper holds that answer)", async () => {
    const cacheDir = `${work.path}/early-config`;
    await select(`${registry.host}/demo/app:v1`, { cacheDir });
    const manifest = demo.v3Compat.descriptor.digest;
    const config = (demo.v3Compat.blobs[1] as { desc: { digest: string } }).desc.digest;
    const asked: string[] = [];
    let configAskedWhileHeld = false;
    let manifestHeld = false;
    let answerManifest!: () => void;
    // Held until the config is asked, or for 2 s: a run that asks for the config only after the
    // manifest's answer then ends anyway, and fails below instead of hanging.
    const manifestAnswered = new Promise<void>((resolve) => {
      answerManifest = resolve;
      setTimeout(resolve, 2000).unref();
    });
    const real = createStoreOpener({ cache: openCache({ dir: cacheDir }) });
    const opener: StoreOpener = {
      close: () => real.close(),
      open: async (reference, options) => {
        const opened = await real.open(reference, options);
        const store = opened.store;
        const exists: Store["exists"] = async (desc, o) => {
          asked.push(desc.digest);
          if (desc.digest === config) {
            configAskedWhileHeld = manifestHeld;
            answerManifest();
          }
          if (desc.digest === manifest) {
            manifestHeld = true;
            await manifestAnswered;
            manifestHeld = false;
          }
          return store.exists(desc, o);
        };
        const held = new Proxy(store, {
          get: (target, key) => (key === "exists" ? exists : Reflect.get(target, key)),
        });
        return { ...opened, store: held };
      },
    };
    try {
      const selection = await selectImage({
        reference: `${registry.host}/demo/app:v1`,
        opener,
        catalog,
        profile: profiles["intel-spr"] as NodeProfile,
      });
      assert.equal(selection.chosen?.digest, demo.avx512.manifest.desc.digest);
    } finally {
      await opener.close();
    }
    assert.equal(configAskedWhileHeld, true);
    assert.equal(asked.filter((d) => d === manifest).length, 1);
    assert.equal(asked.filter((d) => d === config).length, 1);
  });

  test("a compat descriptor shared by several entries is fetched once", async () => {
    const a = variantImage("shared a", { os: "linux", architecture: "amd64", variant: "v3" });
    const b = variantImage("shared b", { os: "linux", architecture: "amd64", variant: "v2" });
    const compat = compatManifest([{ "oci.cpu.features": "AVX2" }], {
      os: "linux",
      architecture: "amd64",
    });
    const index = indexBlob([
      {
        descriptor: a.manifest.desc,
        platform: {
          os: "linux",
          architecture: "amd64",
          variant: "v3",
          compatibilities: compat.descriptor,
        },
      },
      {
        descriptor: b.manifest.desc,
        platform: {
          os: "linux",
          architecture: "amd64",
          variant: "v2",
          compatibilities: compat.descriptor,
        },
      },
    ]);
    await pushToRegistry(
      registry.host,
      "demo/shared",
      [...a.blobs, ...b.blobs, ...compat.blobs, index],
      index.desc,
      "v1",
    );
    const { selection, requests } = await select(`${registry.host}/demo/shared:v1`);
    // HEAD tag, GET index, and one GET each for the compat manifest and its config.
    assert.equal(requests.length, 4, requests.join("\n"));
    // Both pass; v3 (level 2) is more specific than v2 (level 1).
    assert.equal(selection.chosen?.digest, a.manifest.desc.digest);
  });
});
