// The registry client's configured headers (hosts.toml's [header]) against an in-test registry
// that asks for a Bearer token and an in-test token service, since distribution 2.8 has no token
// auth: the headers go to the registry and to the realm its 401 names, and the client's own
// Authorization wins over a configured one.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { createRegistryStore } from "../../../src/content/registry/store.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { image, sendJson, startServer, type TestServer } from "./helpers.js";

const img = image("amd64");
const seen: { registry: Record<string, unknown>[]; token: Record<string, unknown>[] } = {
  registry: [],
  token: [],
};
let registry: TestServer;
let tokens: TestServer;

before(async () => {
  tokens = await startServer((req, res) => {
    seen.token.push({ ...req.headers });
    sendJson(res, 200, { token: "issued" });
  });
  registry = await startServer((req, res) => {
    seen.registry.push({ ...req.headers });
    if (req.headers.authorization !== "Bearer issued") {
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="${tokens.url}/token",service="test"`,
      });
      res.end();
      return;
    }
    res.writeHead(200, {
      "content-type": MediaType.ImageManifest,
      "docker-content-digest": img.manifest.desc.digest,
      "content-length": String(img.manifest.bytes.byteLength),
    });
    res.end(req.method === "HEAD" ? undefined : Buffer.from(img.manifest.bytes));
  });
});

after(async () => {
  await Promise.all([registry?.close(), tokens?.close()]);
});

test("configured headers reach the registry and its token service; the client's Authorization wins", async () => {
  const client = new RegistryClient({
    registry: registry.host,
    plainHttp: true,
    proxy: false,
    certDir: false,
    headers: { "x-site-token": ["s3cret"], authorization: ["Basic configured"] },
  });
  const store = createRegistryStore({ repository: "team/app", client });
  try {
    assert.equal((await store.resolve("v1")).digest, img.manifest.desc.digest);
  } finally {
    await store.close();
  }
  assert.ok(seen.registry.length >= 2, "a 401, then the request with the token");
  for (const headers of seen.registry) assert.equal(headers["x-site-token"], "s3cret");
  assert.equal(seen.registry.at(-1)?.["authorization"], "Bearer issued");
  assert.equal(seen.token.length, 1);
  assert.equal(seen.token[0]?.["x-site-token"], "s3cret");
});
