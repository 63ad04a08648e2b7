// A token service on another host than its registry, through a real squid proxy: each request is
// routed by its own origin (an in-test registry and token service; distribution has no token auth).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RegistryClient } from "../../../src/content/registry/index.js";
import { startProxy, type ProxyLogEntry, type TestProxy } from "../../support/proxy.js";
import { rejectsWithRegistryError } from "./checks.js";
import { sendJson, startServer, type TestServer } from "./helpers.js";

describe("a token service on another host (in-test registry and token service; distribution has no token auth)", () => {
  const REGISTRY_NAME = "tokens.ocicompat.test";
  const REALM_NAME = "auth.ocicompat.test";
  let registryServer: TestServer;
  let realmServer: TestServer;
  let routed: TestProxy;
  let registryHost: string;

  before(async () => {
    // Answers /v2/ once a Bearer token from the realm comes with the request.
    registryServer = await startServer((req, res) => {
      if (req.headers.authorization === "Bearer granted") {
        sendJson(res, 200, {});
        return;
      }
      sendJson(
        res,
        401,
        { errors: [{ code: "UNAUTHORIZED", message: "token needed" }] },
        {
          "www-authenticate": `Bearer realm="http://${REALM_NAME}:${realmServer.port}/token",service="tokens"`,
        },
      );
    });
    realmServer = await startServer((_req, res) => sendJson(res, 200, { token: "granted" }));
    registryHost = `${REGISTRY_NAME}:${registryServer.port}`;
    routed = await startProxy({
      hosts: { [REGISTRY_NAME]: "127.0.0.1", [REALM_NAME]: "127.0.0.1" },
    });
  });

  after(async () => {
    await routed?.stop();
    await registryServer?.close();
    await realmServer?.close();
  });

  function client(noProxy?: string): RegistryClient {
    return new RegistryClient({
      registry: registryHost,
      plainHttp: true,
      proxy: { httpProxy: routed.url, ...(noProxy === undefined ? {} : { noProxy }) },
      retry: { maxAttempts: 1 },
    });
  }

  test("the token request is routed by its own host: through the proxy with the registry", async () => {
    const c = client();
    try {
      await c.ping();
    } finally {
      await c.close();
    }
    const tokenRequests = await routed.waitForLog((e) => e.url.startsWith(`http://${REALM_NAME}:`));
    assert.equal(tokenRequests.length, 1);
    assert.ok(routed.log().some((e) => e.url === `http://${registryHost}/v2/`));
  });

  test("NO_PROXY naming only the token service sends just that request direct", async () => {
    const isV2 = (e: ProxyLogEntry): boolean => e.url === `http://${registryHost}/v2/`;
    const isRealm = (e: ProxyLogEntry): boolean => e.url.startsWith(`http://${REALM_NAME}:`);
    const v2Before = routed.log().filter(isV2).length;
    const realmBefore = routed.log().filter(isRealm).length;
    const c = client(REALM_NAME);
    try {
      // Direct, the realm's name does not resolve; the registry's request went through.
      await rejectsWithRegistryError(c.ping(), "UNREACHABLE", /host name not found/);
    } finally {
      await c.close();
    }
    assert.equal((await routed.waitForLog(isV2, v2Before + 1)).length, v2Before + 1);
    assert.equal(routed.log().filter(isRealm).length, realmBefore);
  });
});
