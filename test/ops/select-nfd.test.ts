// NFD image-compatibility artifacts as a source for select/check (issue #14.3, #14.5), against the
// real CNCF registry (distribution 2.8: no referrers API, so artifacts are found through the
// referrers fallback tag, as NFD's client finds them there). The artifact is written by
// `attach --format nfd` (ops/attach/nfd.ts) from NFD's documented example spec.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import type { NfdFeatures } from "../../src/compat/nfd/features.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { openCache } from "../../src/content/cache.js";
import { createStoreOpener } from "../../src/content/open.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import { attachNfd } from "../../src/ops/attach/nfd.js";
import type { CompatSource } from "../../src/ops/select/read-image.js";
import { readFleetImages } from "../../src/ops/fleet/read-images.js";
import { selectImage, type ImageSelection } from "../../src/ops/select.js";
import { tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { compatBlob, indexBlob, pushGraph, variantImage } from "./select-support.js";

const SPEC = readFileSync(
  new URL("../fixtures/interop/nfd-image-compatibility.yaml", import.meta.url),
);
const catalog = createCatalog();
const work = tempDir("ocicompat-select-nfd-");
let registry: TestRegistry;

const amd64 = variantImage("nfd amd64", { os: "linux", architecture: "amd64" });
const arm64 = variantImage("nfd arm64", { os: "linux", architecture: "arm64" });

/** A node that satisfies NFD's documented example. */
const GOOD: NfdFeatures = {
  flags: { "kernel.loadedmodule": { elements: { "vfio-pci": {} } } },
  attributes: { "cpu.model": { elements: { vendor_id: "Intel" } } },
  instances: { "pci.device": { elements: [{ attributes: { vendor: "0eee", class: "0200" } }] } },
};

function node(nfd: NfdFeatures): NodeProfile {
  return {
    schemaVersion: 1,
    name: "n",
    platform: { os: "linux", architecture: "amd64" },
    labels: { "oci.cpu.vendor": "GenuineIntel" },
    nfd,
  };
}

let cacheCount = 0;

async function select(
  repo: string,
  profile: NodeProfile,
  options: { cacheDir?: string; source?: CompatSource } = {},
): Promise<{ selection: ImageSelection; requests: string[] }> {
  const requests: string[] = [];
  const opener = createStoreOpener({
    cache: openCache({ dir: options.cacheDir ?? `${work.path}/cache-${cacheCount++}` }),
    onRequest: (method, url) => requests.push(`${method} ${new URL(url).pathname}`),
  });
  try {
    const selection = await selectImage({
      reference: `${registry.host}/${repo}:v1`,
      opener,
      catalog,
      profile,
      ...(options.source ? { source: options.source } : {}),
    });
    return { selection, requests };
  } finally {
    await opener.close();
  }
}

async function pushImage(repo: string, withJ = false): Promise<void> {
  const j = compatBlob([{ "oci.cpu.vendor": "GenuineIntel" }]);
  const index = indexBlob([
    {
      descriptor: amd64.manifest.desc,
      platform: { os: "linux", architecture: "amd64", ...(withJ ? { compat: j.descriptor } : {}) },
    },
    { descriptor: arm64.manifest.desc, platform: { os: "linux", architecture: "arm64" } },
  ]);
  const store = createRegistryStore({ registry: registry.host, repository: repo });
  try {
    await pushGraph(
      store,
      [...amd64.blobs, ...arm64.blobs, ...(withJ ? j.blobs : []), index],
      index.desc,
      "v1",
    );
    await attachNfd(store, "v1", {
      specFor: () => SPEC,
      platform: "linux/amd64",
      created: "2026-01-01T00:00:00Z",
    });
  } finally {
    await store.close();
  }
}

before(async () => {
  registry = await startRegistry();
  await pushImage("nfd/app");
  await pushImage("nfd/both", true);
});
after(async () => {
  await registry?.stop();
  work.remove();
});

describe("NFD artifacts in select (real registry, fallback tag)", () => {
  test("an entry with an NFD referrer is chosen when NFD's rules pass on the node", async () => {
    const { selection } = await select("nfd/app", node(GOOD));
    assert.equal(selection.chosen?.digest, amd64.manifest.desc.digest);
    const entry = selection.entries[0];
    assert.equal(entry?.compat?.form, "nfd");
    assert.equal(entry?.compat?.nfdResult?.compatible, true);
  });

  test("a failing rule excludes the entry, naming the rule, the expression and the observed value", async () => {
    const bad: NfdFeatures = {
      ...GOOD,
      flags: { "kernel.loadedmodule": { elements: { vfio_pci: {} } } },
    };
    const { selection } = await select("nfd/app", node(bad));
    assert.equal(selection.compatible, false);
    const reason = selection.entries[0]?.reasons.find((r) => r.step === "compatibilities");
    assert.match(
      reason?.message ?? "",
      /rule "kernel and cpu": kernel\.loadedmodule: vfio-pci Exists: the node does not have it/,
    );
  });

  test("I/J data decides when the image has it; --source nfd forces the NFD artifact", async () => {
    const bad: NfdFeatures = {};
    const ij = await select("nfd/both", node(bad));
    assert.equal(ij.selection.entries[0]?.compat?.form, "blob");
    assert.equal(ij.selection.chosen?.digest, amd64.manifest.desc.digest);
    assert.ok(!ij.requests.some((r) => r.includes("sha256-")), "no NFD lookup");
    const forced = await select("nfd/both", node(bad), { source: "nfd" });
    assert.equal(forced.selection.entries[0]?.compat?.form, "nfd");
    assert.equal(forced.selection.compatible, false);
  });

  test("requests: cold, a referrers-API probe, the listing and the artifact manifest (its spec is embedded); warm, the listing only (the probe's answer is remembered beside the cache)", async () => {
    const cacheDir = `${work.path}/counted`;
    const cold = await select("nfd/app", node(GOOD), { cacheDir });
    const artifactDigest = cold.selection.entries[0]?.compat?.digest ?? "";
    const nfdRequests = (rs: string[]) =>
      rs.filter(
        (r) =>
          r.includes("/referrers/") ||
          r.includes("/manifests/sha256-") ||
          r.endsWith(artifactDigest),
      );
    const amdTag = `sha256-${amd64.manifest.desc.digest.slice(7)}`;
    // Per entry, 2 cold: the fallback tag (the listing) and the artifact manifest; no blob GET.
    assert.deepEqual(
      nfdRequests(cold.requests)
        .filter((r) => !r.includes("/referrers/"))
        .sort(),
      [
        `GET /v2/nfd/app/manifests/${amdTag}`,
        `GET /v2/nfd/app/manifests/${artifactDigest}`,
        `GET /v2/nfd/app/manifests/sha256-${arm64.manifest.desc.digest.slice(7)}`,
      ].sort(),
    );
    assert.ok(!cold.requests.some((r) => r.includes("/blobs/")), cold.requests.join("\n"));
    // distribution 2.8 has no referrers API: asked for both entries' subjects at once (the two
    // lookups run in parallel), then remembered beside the cache.
    assert.equal(cold.requests.filter((r) => r.includes("/referrers/")).length, 2);
    const warm = await select("nfd/app", node(GOOD), { cacheDir });
    assert.equal(warm.selection.chosen?.digest, amd64.manifest.desc.digest);
    assert.deepEqual(
      warm.requests.filter((r) => r.includes("/referrers/")),
      [],
      "a warm run does not probe for the referrers API again",
    );
    // Warm: the artifact comes from the cache; only the listings are asked (they are live).
    assert.deepEqual(
      nfdRequests(warm.requests)
        .filter((r) => !r.includes("/referrers/"))
        .sort(),
      [
        `GET /v2/nfd/app/manifests/${amdTag}`,
        `GET /v2/nfd/app/manifests/sha256-${arm64.manifest.desc.digest.slice(7)}`,
      ].sort(),
    );
  });
});

describe("NFD artifacts in fleet (real registry)", () => {
  test("fleet reads an image's NFD artifact as select does: the same entry carries the NFD rules", async () => {
    const opener = createStoreOpener({ cache: openCache({ dir: `${work.path}/fleet-cache` }) });
    try {
      const [read] = await readFleetImages([`${registry.host}/nfd/app:v1`], { opener, catalog });
      assert.equal(read?.state, "ok");
      const entries = read?.state === "ok" ? read.image.entries : [];
      assert.equal(entries[0]?.compat?.state, "ok");
      assert.equal(entries[0]?.compat?.state === "ok" ? entries[0].compat.form : undefined, "nfd");
      const { selection } = await select("nfd/app", node(GOOD));
      assert.equal(selection.entries[0]?.compat?.form, "nfd");
    } finally {
      await opener.close();
    }
  });
});
