// A streamed blob upload that fails its check, forwarded through a real squid proxy to an in-test
// registry that stores any upload whose PUT arrives whole without checking its digest (the real
// registry checks, so it cannot show this). Forwarded, the body goes chunked (proxy-transport.ts):
// when the source's check fails, the request must break off without its closing empty chunk.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createRegistryStore } from "../../../src/content/registry/index.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { startProxy, type TestProxy } from "../../support/proxy.js";
import {
  content,
  FakeRegistry,
  randomBytes,
  startServer,
  streamOf,
  type TestServer,
} from "./helpers.js";

/** A name only the proxy resolves: a request that reaches the registry went through squid. */
const LAX_NAME = "lax.ocicompat.test";

const lax = new FakeRegistry();
let laxServer: TestServer;
let proxy: TestProxy;

before(async () => {
  laxServer = await startServer(lax.handler);
  proxy = await startProxy({ hosts: { [LAX_NAME]: "127.0.0.1" } });
});

after(async () => {
  await proxy?.stop();
  await laxServer?.close();
});

describe("a streamed upload that fails its check, forwarded (real squid, in-test registry)", () => {
  test("goes chunked and breaks off without its closing chunk: a registry that stores PUTs unchecked gets none whole", async () => {
    let completed = 0;
    lax.intercept = (req, res) => {
      if (req.method !== "PUT" || !(req.url ?? "").includes("/blobs/uploads/")) return false;
      completed++;
      res.writeHead(201);
      res.end();
      return true;
    };
    const claimed = content(MediaType.ImageLayerGzip, randomBytes(2 * 1024 * 1024, 41));
    const store = createRegistryStore({
      registry: `${LAX_NAME}:${laxServer.port}`,
      repository: "proxy/lax",
      plainHttp: true,
      proxy: { httpProxy: proxy.url },
      retry: { maxAttempts: 1 },
    });
    try {
      await assert.rejects(
        store.push(claimed.desc, streamOf(randomBytes(2 * 1024 * 1024, 42), 9)),
        { code: "DIGEST_MISMATCH" },
      );
    } finally {
      await store.close();
    }
    // Squid logs the PUT once it has given up on it: it went through the proxy, and arrived short.
    await proxy.waitForLog(
      (e) => e.method === "PUT" && e.url.startsWith(`http://${LAX_NAME}:${laxServer.port}/`),
    );
    assert.equal(completed, 0, "no PUT body arrived whole");
    assert.equal(lax.blobs.has(claimed.desc.digest), false);
  });
});
