// The mirror's --tls-verify=false (tlsVerify: false): an upstream whose certificate nobody vouches
// for is served, as it is refused without it. Against the real CNCF distribution registry over
// TLS with a throwaway certificate.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createRegistryStore } from "../../../src/content/registry/index.js";
import { startTlsRegistry, type TlsRegistry } from "../../support/tls-registry.js";
import { pushGraph } from "../select-support.js";
import { get, levelsImage, mirrorFor, OCI_ACCEPT, profile } from "./support.js";

const image = levelsImage("upstream-tls");
let secure: TlsRegistry;

before(async () => {
  secure = await startTlsRegistry();
  const store = createRegistryStore({
    registry: secure.registry.host,
    repository: "team/app",
    plainHttp: false,
    caFile: secure.caFile,
  });
  try {
    await pushGraph(store, image.blobs, image.index.desc, "1.0");
  } finally {
    await store.close();
  }
});
after(async () => {
  await secure?.stop();
});

async function tagThrough(access: { tlsVerify?: boolean }) {
  const mirror = await mirrorFor([secure.registry.host], await profile("intel-spr"), {
    access: { plainHttp: false, ...access },
  });
  try {
    return await get(`${mirror.url}/v2/team/app/manifests/1.0`, {
      headers: { accept: OCI_ACCEPT },
    });
  } finally {
    await mirror.close();
  }
}

describe("the mirror and an upstream whose certificate nobody vouches for (real registry over TLS)", () => {
  test("with tlsVerify false the tag answers with the node's variant; without it, the mirror cannot read it", async () => {
    const relaxed = await tagThrough({ tlsVerify: false });
    assert.equal(relaxed.status, 200);
    assert.equal(relaxed.headers.get("docker-content-digest"), image.v3.manifest.desc.digest);
    const strict = await tagThrough({});
    assert.notEqual(strict.status, 200);
  });
});
