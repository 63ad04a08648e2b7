// selectImage against the real CNCF distribution registry: the demo's four variants, nested
// indexes, single manifests, dangling and corrupt compatibilities, the request budget (counted
// with the registry client's onRequest hook), and what a runtime unaware of compatibilities picks.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { openCache } from "../../src/content/cache.js";
import { openLayout } from "../../src/content/layout.js";
import { createStoreOpener, type StoreOpener } from "../../src/content/open.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import { fetchBytes, type Store } from "../../src/content/store.js";
import { loadNodeProfile } from "../../src/node/profile-file.js";
import { MediaType } from "../../src/oci/media-types.js";
import type { CompatSource } from "../../src/ops/select/read-image.js";
import { selectImage, type ImageSelection } from "../../src/ops/select.js";
import { blob, tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import {
  compatBlob,
  compatManifest,
  demoImage,
  indexBlob,
  pushGraph,
  pushRaw,
  pushToRegistry,
  variantImage,
} from "./select-support.js";

const catalog = createCatalog();
const demo = demoImage("ops");
const work = tempDir("ocicompat-select-ops-");
let registry: TestRegistry;
const profiles: Record<string, NodeProfile> = {};

function arm64Node(): NodeProfile {
  return {
    schemaVersion: 1,
    name: "graviton",
    platform: { os: "linux", architecture: "arm64" },
    labels: { "oci.cpu.vendor": "ARM", "oci.os.glibc": "2.34" },
  };
}

interface Run {
  selection: ImageSelection;
  requests: string[];
}

let cacheCount = 0;

/** One selection with a fresh opener; `cacheDir` shared between runs makes the second warm. */
async function select(
  reference: string,
  options: {
    profile?: NodeProfile;
    cacheDir?: string;
    platform?: string;
    tags?: string[];
    discover?: (labels: ReadonlySet<string>) => Promise<NodeProfile>;
    source?: CompatSource;
  } = {},
): Promise<Run> {
  const requests: string[] = [];
  const cacheDir = options.cacheDir ?? `${work.path}/cache-${cacheCount++}`;
  const opener = createStoreOpener({
    cache: openCache({ dir: cacheDir }),
    onRequest: (method, url) => requests.push(`${method} ${new URL(url).pathname}`),
  });
  try {
    const selection = await selectImage({
      reference,
      opener,
      catalog,
      ...(options.discover
        ? { discover: options.discover }
        : { profile: options.profile ?? (profiles["intel-spr"] as NodeProfile) }),
      ...(options.platform ? { platform: options.platform } : {}),
      ...(options.tags ? { tags: options.tags } : {}),
      ...(options.source ? { source: options.source } : {}),
    });
    return { selection, requests };
  } finally {
    await opener.close();
  }
}

before(async () => {
  registry = await startRegistry();
  for (const name of ["intel-spr", "amd-genoa", "old-xeon"]) {
    profiles[name] = await loadNodeProfile(`examples/nodes/${name}.json`, catalog);
  }
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

describe("content that cannot be read", () => {
  test("a dangling compatibilities descriptor excludes its entry with a warning naming the digest", async () => {
    const generic = variantImage("dangling generic", { os: "linux", architecture: "amd64" });
    const tuned = variantImage("dangling tuned", {
      os: "linux",
      architecture: "amd64",
      variant: "v3",
    });
    const ghost = compatManifest([{ "oci.cpu.features": "AVX2" }], {
      os: "linux",
      architecture: "amd64",
    }).descriptor;
    const index = indexBlob([
      { descriptor: generic.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
      {
        descriptor: tuned.manifest.desc,
        platform: { os: "linux", architecture: "amd64", variant: "v3", compatibilities: ghost },
      },
    ]);
    // The registry accepts the index although the compat manifest was never pushed.
    await pushRaw(
      registry.host,
      "demo/dangling",
      [...generic.blobs, ...tuned.blobs, index],
      index.desc,
      "v1",
    );
    const { selection } = await select(`${registry.host}/demo/dangling:v1`);
    const tunedReport = selection.entries[1];
    assert.equal(tunedReport?.status, "excluded");
    assert.equal(tunedReport?.excludedBy, "compatibilities");
    assert.equal(tunedReport?.compat?.state, "unreadable");
    assert.match(tunedReport?.compat?.problem ?? "", /^dangling: /);
    assert.equal(selection.warnings.length, 1);
    assert.ok(selection.warnings[0]?.includes(ghost.digest), selection.warnings[0]);
    assert.equal(selection.chosen?.digest, generic.manifest.desc.digest);
  });

  test("corrupt and invalid compatibilities (tampered bytes, a wrong size, bad syntax) are excluded", async () => {
    const a = variantImage("corrupt a", { os: "linux", architecture: "amd64", variant: "v2" });
    const b = variantImage("corrupt b", { os: "linux", architecture: "amd64" });
    const c = variantImage("corrupt c", { os: "linux", architecture: "amd64", variant: "v3" });
    const invalid = compatBlob([{ "oci.os.glibc": ">=>2" }]);
    const tampered = compatBlob([{ "oci.os.glibc": ">=2.30" }]);
    const good = compatBlob([{ "oci.os.glibc": ">=2.31" }]);
    const lying = { ...good.descriptor, size: good.descriptor.size + 1 };
    const index = indexBlob([
      {
        descriptor: a.manifest.desc,
        platform: { os: "linux", architecture: "amd64", variant: "v2", compat: invalid.descriptor },
      },
      {
        descriptor: b.manifest.desc,
        platform: { os: "linux", architecture: "amd64", compat: tampered.descriptor },
      },
      {
        descriptor: c.manifest.desc,
        platform: { os: "linux", architecture: "amd64", variant: "v3", compat: lying },
      },
    ]);
    // A registry verifies what it stores, so the damage is done to a layout's files.
    const dir = `${work.path}/corrupt`;
    const layout = await openLayout(dir, { create: true });
    const all = [
      ...a.blobs,
      ...b.blobs,
      ...c.blobs,
      ...invalid.blobs,
      ...tampered.blobs,
      ...good.blobs,
      index,
    ];
    for (const x of all) await layout.push(x.desc, x.bytes);
    await layout.tag(index.desc, "v1");
    const path = layout.blobPath(tampered.descriptor.digest);
    chmodSync(path, 0o644);
    writeFileSync(path, tampered.blobs[0]!.bytes.toString().replace("2.30", "2.10"));
    const { selection } = await select(`oci:${dir}:v1`);
    assert.equal(selection.chosen, null);
    assert.deepEqual(
      selection.entries.map((e) => [e.excludedBy, e.compat?.state]),
      [
        ["compatibilities", "unreadable"],
        ["compatibilities", "unreadable"],
        ["compatibilities", "unreadable"],
      ],
    );
    assert.match(
      selection.entries[0]?.compat?.problem ?? "",
      /invalid compatibilities blob sha256:[0-9a-f]{64}: \$\.compatibilities\[0\]\["oci\.os\.glibc"\]/,
    );
    assert.match(selection.entries[1]?.compat?.problem ?? "", /digest/);
    assert.match(selection.entries[2]?.compat?.problem ?? "", /bytes|size/);
    assert.equal(selection.warnings.length, 3);
    assert.ok(selection.warnings[1]?.includes(tampered.descriptor.digest), selection.warnings[1]);
    assert.ok(selection.warnings[2]?.includes(lying.digest), selection.warnings[2]);
  });

  test("a missing nested index excludes only itself", async () => {
    const generic = variantImage("nested-missing", { os: "linux", architecture: "amd64" });
    const ghostIndex = indexBlob([
      { descriptor: generic.manifest.desc, platform: { os: "linux", architecture: "arm64" } },
    ]);
    const index = indexBlob([
      { descriptor: ghostIndex.desc },
      { descriptor: generic.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
    ]);
    // distribution 2.8 refuses an index whose child is missing, so this one lives in a layout.
    const layout = await openLayout(`${work.path}/nested-missing`, { create: true });
    for (const b of [...generic.blobs, index]) await layout.push(b.desc, b.bytes);
    await layout.tag(index.desc, "v1");
    const { selection } = await select(`oci:${work.path}/nested-missing:v1`);
    assert.equal(selection.entries[0]?.excludedBy, "unreadable");
    assert.match(selection.warnings[0] ?? "", new RegExp(ghostIndex.desc.digest));
    assert.equal(selection.chosen?.digest, generic.manifest.desc.digest);
  });
});

describe("index shapes", () => {
  test("nested indexes are followed, depth first", async () => {
    const inner = indexBlob([
      { descriptor: demo.generic.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
      {
        descriptor: demo.v3.manifest.desc,
        platform: {
          os: "linux",
          architecture: "amd64",
          variant: "v3",
          compatibilities: demo.v3Compat.descriptor,
        },
      },
    ]);
    const outer = indexBlob([
      { descriptor: demo.arm64.manifest.desc, platform: { os: "linux", architecture: "arm64" } },
      { descriptor: inner.desc },
    ]);
    await pushToRegistry(
      registry.host,
      "demo/nested",
      [...demo.blobs, inner, outer],
      outer.desc,
      "v1",
    );
    const { selection } = await select(`${registry.host}/demo/nested:v1`);
    assert.deepEqual(
      selection.entries.map((e) => [e.path.join("."), e.status]),
      [
        ["0", "excluded"],
        ["1", "nested"],
        ["1.0", "compatible"],
        ["1.1", "chosen"],
      ],
    );
    assert.equal(selection.chosen?.digest, demo.v3.manifest.desc.digest);
  });

  test("attestations, artifacts and unknown media types are skipped", async () => {
    const attestation = blob(
      MediaType.ImageManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        config: {
          mediaType: MediaType.Empty,
          digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
          size: 2,
        },
        layers: [],
      }),
    );
    const index = indexBlob([
      {
        descriptor: attestation.desc,
        platform: { os: "unknown", architecture: "unknown" },
        annotations: {
          "vnd.docker.reference.type": "attestation-manifest",
          "vnd.docker.reference.digest": demo.generic.manifest.desc.digest,
        },
      },
      {
        descriptor: {
          ...demo.generic.manifest.desc,
          mediaType: "application/vnd.example.thing+json",
        },
        platform: { os: "linux", architecture: "amd64" },
      },
      {
        descriptor: { ...demo.v3.manifest.desc, artifactType: "application/vnd.example.sbom" },
        platform: { os: "linux", architecture: "amd64" },
      },
      { descriptor: demo.generic.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
    ]);
    const layout = await openLayout(`${work.path}/skips`, { create: true });
    await pushGraph(
      layout,
      [...demo.blobs, blob(MediaType.Empty, "{}"), attestation, index],
      index.desc,
      "v1",
    );
    const { selection } = await select(`oci:${work.path}/skips:v1`);
    assert.deepEqual(
      selection.entries.map((e) => e.status),
      ["skipped", "skipped", "skipped", "chosen"],
    );
    assert.match(selection.entries[0]?.reasons[0]?.message ?? "", /attestation/);
    assert.match(
      selection.entries[1]?.reasons[0]?.message ?? "",
      /neither an image manifest nor an index/,
    );
    assert.match(selection.entries[2]?.reasons[0]?.message ?? "", /artifact/);
  });

  test("a single-manifest tag is one entry whose platform comes from its config", async () => {
    const single = variantImage("single", { os: "linux", architecture: "amd64", variant: "v2" });
    await pushToRegistry(registry.host, "demo/single", single.blobs, single.manifest.desc, "v1");
    // Proposal I/J only: an image without I/J data would also look for NFD artifacts
    // (test/ops/select-nfd.test.ts counts those requests).
    const { selection, requests } = await select(`${registry.host}/demo/single:v1`, {
      source: "ij",
    });
    assert.equal(selection.root.kind, "manifest");
    assert.equal(selection.entries[0]?.platform, "linux/amd64/v2");
    assert.equal(selection.entries[0]?.platformFrom, "config");
    assert.equal(selection.chosen?.digest, single.manifest.desc.digest);
    // HEAD tag, GET manifest, GET config
    assert.equal(requests.length, 3, requests.join("\n"));
    const old = await select(`${registry.host}/demo/single:v1`, {
      profile: {
        ...(profiles["old-xeon"] as NodeProfile),
        platform: { os: "linux", architecture: "arm64" },
      },
    });
    assert.equal(old.selection.chosen, null);
  });

  test("an entry without a platform gets it from its config", async () => {
    const index = indexBlob([
      { descriptor: demo.arm64.manifest.desc },
      { descriptor: demo.generic.manifest.desc },
    ]);
    await pushToRegistry(
      registry.host,
      "demo/noplatform",
      [...demo.blobs, index],
      index.desc,
      "v1",
    );
    const { selection } = await select(`${registry.host}/demo/noplatform:v1`);
    assert.deepEqual(
      selection.entries.map((e) => [e.platform, e.platformFrom, e.status]),
      [
        ["linux/arm64", "config", "excluded"],
        ["linux/amd64", "config", "chosen"],
      ],
    );
  });

  test("the registry, an OCI layout and the same digest reference give the same answer", async () => {
    const layoutDir = `${work.path}/demo-layout`;
    await pushGraph(
      await openLayout(layoutDir, { create: true }),
      demo.blobs,
      demo.index.desc,
      "v1",
    );
    const remote = await select(`${registry.host}/demo/app:v1`);
    const local = await select(`oci:${layoutDir}:v1`);
    const byDigest = await select(`${registry.host}/demo/app@${demo.index.desc.digest}`);
    assert.deepEqual(local.selection.entries, remote.selection.entries);
    assert.deepEqual(byDigest.selection.entries, remote.selection.entries);
    assert.equal(local.requests.length, 0);
  });
});

describe("runtimes that know nothing of compatibilities keep working", () => {
  /** What a runtime without compatibilities support does: the first entry whose os/arch match. */
  function firstMatch(index: unknown, os: string, architecture: string) {
    const manifests = (
      index as { manifests: { digest: string; platform?: { os: string; architecture: string } }[] }
    ).manifests;
    return manifests.find((m) => m.platform?.os === os && m.platform.architecture === architecture);
  }

  test("first-match selection picks the generic entry, a complete, runnable image", async () => {
    const store = createRegistryStore({ registry: registry.host, repository: "demo/app" });
    try {
      const root = await store.resolve("v1");
      const index = JSON.parse(Buffer.from(await fetchBytes(store, root)).toString()) as unknown;
      const picked = firstMatch(index, "linux", "amd64");
      assert.equal(picked?.digest, demo.generic.manifest.desc.digest);
      // Its manifest, config and layer are all there: a runtime can pull and run it.
      const manifest = JSON.parse(
        Buffer.from(await fetchBytes(store, demo.generic.manifest.desc)).toString(),
      ) as {
        config: { digest: string; size: number; mediaType: string };
        layers: { digest: string; size: number; mediaType: string }[];
      };
      for (const d of [manifest.config, ...manifest.layers])
        assert.equal(await store.exists(d), true);
    } finally {
      await store.close();
    }
  });

  test("skopeo (containers/image's platform matcher) copies the generic amd64 image", () => {
    const dir = `${work.path}/skopeo-copy`;
    const r = spawnSync(
      "skopeo",
      [
        "--insecure-policy",
        "copy",
        "--src-tls-verify=false",
        "--override-os",
        "linux",
        "--override-arch",
        "amd64",
        `docker://${registry.host}/demo/app:v1`,
        `oci:${dir}:picked`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    const index = JSON.parse(readFileSync(`${dir}/index.json`, "utf8")) as {
      manifests: { digest: string }[];
    };
    assert.deepEqual(
      index.manifests.map((m) => m.digest),
      [demo.generic.manifest.desc.digest],
    );
  });
});
