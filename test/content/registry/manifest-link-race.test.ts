// A manifest refused as MANIFEST_BLOB_UNKNOWN for blobs the repository holds (distribution 2.8
// rewrites a blob's link file in place at each commit of it, so a concurrent push of a shared
// layer can make the manifest's check read it empty) is sent again once the blobs are found. The
// race itself is a matter of microseconds, so the refusal is injected by the counting proxy in
// front of the real registry; the refusals that stand come from the registry itself.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RegistryError } from "../../../src/content/registry/errors.js";
import type { RegistryStore } from "../../../src/content/registry/index.js";
import {
  type FaultProxy,
  type ProxiedRegistry,
  startProxiedRegistry,
} from "../../ops/copy-support.js";
import { image } from "./helpers.js";

let fixture: ProxiedRegistry;
let proxy: FaultProxy;
const store = (repository: string): RegistryStore => fixture.store(repository, proxy.host);

/** The registry's own refusal body for a manifest whose blob `digest` it lacks. */
function blobUnknown(digest: string) {
  return {
    errors: [
      { code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry", detail: digest },
    ],
  };
}

/** The first manifest PUT is refused with `body`; every other request goes to the registry. */
function refuseFirstManifestPut(body: unknown): void {
  let refused = false;
  proxy.rule = (method, url) => {
    if (method !== "PUT" || !url.includes("/manifests/") || refused) return undefined;
    refused = true;
    return { kind: "status", status: 400, body };
  };
}

/**
 * A fresh image (`name`) whose config, and layer unless `layer` is false, `repository` holds; the
 * proxy's record starts after them.
 */
async function holding(name: string, repository: string, layer = true) {
  const img = image(name);
  const s = store(repository);
  await s.push(img.config.desc, img.config.bytes);
  if (layer) await s.push(img.layer.desc, img.layer.bytes);
  proxy.reset();
  return { img, s };
}

const calls = () => proxy.seen.map((s) => `${s.method} ${s.url.split("/")[4]} ${s.status}`);

before(async () => {
  fixture = await startProxiedRegistry();
  proxy = fixture.proxy;
});

after(async () => {
  await fixture?.close();
});

describe("a manifest refused for blobs the repository holds (real registry, injected refusal)", () => {
  test("it is sent again once the named blob is found, and lands under its tag", async () => {
    const { img, s } = await holding("link-race", "race/held");
    refuseFirstManifestPut(blobUnknown(img.layer.desc.digest));
    await s.pushManifest(img.manifest.desc, img.manifest.bytes, "v1");
    assert.deepEqual(calls(), ["PUT manifests 400", "HEAD blobs 200", "PUT manifests 201"]);
    assert.equal((await s.resolve("v1")).digest, img.manifest.desc.digest);
  });

  test("a refusal for a blob the repository lacks stands: asked once, never sent again", async () => {
    const { img, s } = await holding("link-race-missing", "race/missing", false);
    await assert.rejects(s.pushManifest(img.manifest.desc, img.manifest.bytes, "v1"), (err) => {
      assert.ok(err instanceof RegistryError);
      assert.ok(err.registryCodes.includes("MANIFEST_BLOB_UNKNOWN"));
      assert.match(err.message, /push children before parents/);
      return true;
    });
    assert.deepEqual(calls(), ["PUT manifests 400", "HEAD blobs 404"]);
  });

  test("a refusal naming a digest the manifest does not reference stands, with nothing asked", async () => {
    const { img, s } = await holding("link-race-other", "race/other");
    refuseFirstManifestPut(blobUnknown(`sha256:${"0".repeat(64)}`));
    await assert.rejects(
      s.pushManifest(img.manifest.desc, img.manifest.bytes, "v1"),
      RegistryError,
    );
    assert.deepEqual(calls(), ["PUT manifests 400"]);
  });
});
