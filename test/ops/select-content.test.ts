// selectImage on content other than the plain demo index: dangling, corrupt and missing documents,
// nested indexes, skipped entries, single manifests; and what a compat-unaware runtime picks.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { openLayout } from "../../src/content/layout.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import { fetchBytes } from "../../src/content/store.js";
import { MediaType } from "../../src/oci/media-types.js";
import { blob, tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { loadExampleProfiles, selectRunner } from "./select-run-support.js";
import {
  compatBlob,
  danglingCompatImage,
  demoImage,
  indexBlob,
  pushGraph,
  pushRaw,
  pushToRegistry,
  variantImage,
} from "./select-support.js";

const catalog = createCatalog();
const demo = demoImage("ops");
const work = tempDir("ocicompat-select-content-");
let registry: TestRegistry;
const profiles: Record<string, NodeProfile> = {};
const select = selectRunner(catalog, work.path, profiles);

before(async () => {
  registry = await startRegistry();
  await loadExampleProfiles(catalog, profiles);
  await pushToRegistry(registry.host, "demo/app", demo.blobs, demo.index.desc, "v1");
});

after(async () => {
  await registry.stop();
  work.remove();
});

describe("content that cannot be read", () => {
  test("a dangling compatibilities descriptor excludes its entry with a warning naming the digest", async () => {
    const { generic, ghost, index, blobs } = danglingCompatImage("dangling");
    // The registry accepts the index although the compat manifest was never pushed.
    await pushRaw(registry.host, "demo/dangling", blobs, index.desc, "v1");
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
