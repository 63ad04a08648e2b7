// Bearer-token auth (docker token spec), which distribution 2.8 only offers with an external
// token service, against an in-test registry with its own /token endpoint; and redirects that
// leave the registry's origin.
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { staticCredentials, type Credential } from "../../../src/content/auth/credentials.js";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { RegistryError } from "../../../src/content/registry/errors.js";
import { createRegistryStore } from "../../../src/content/registry/store.js";
import { OcicompatError } from "../../../src/oci/errors.js";
import { MediaType } from "../../../src/oci/media-types.js";
import {
  content,
  FakeRegistry,
  fastRetry,
  randomBytes,
  readStream,
  requestLog,
  sendJson,
  startServer,
  type TestServer,
} from "../registry/helpers.js";

interface TokenRequest {
  method: string;
  scopes: string[];
  service: string | null;
  authorization: string | undefined;
  form: URLSearchParams | undefined;
}

const fake = new FakeRegistry();
let server: TestServer;
let storage: TestServer;
const tokenRequests: TokenRequest[] = [];
const challenges: string[] = [];
const tokens = new Map<string, { scopes: string[]; expiresAt: number }>();
let tokenLifetime = 300;
let nextToken = 1;
const storageHeaders: IncomingMessage["headers"][] = [];
const registryBlobHeaders: IncomingMessage["headers"][] = [];
const redirected = content(MediaType.ImageLayerGzip, randomBytes(5000, 21));
const alice = { username: "alice", password: "s3cret-pw" };

function neededScope(req: IncomingMessage): string | undefined {
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\//.exec(req.url ?? "");
  if (!m) return undefined;
  const url = new URL(req.url ?? "/", "http://x");
  const push = !["GET", "HEAD"].includes(req.method ?? "GET");
  const scope = `repository:${m[1]}:${push ? "pull,push" : "pull"}`;
  const from = url.searchParams.get("from");
  return from === null ? scope : `${scope} repository:${from}:pull`;
}

function covers(granted: string[], needed: string): boolean {
  return needed.split(" ").every((want) => {
    const [type, name, actions] = want.split(":");
    return (actions ?? "").split(",").every((a) =>
      granted.some((g) => {
        const [gt, gn, ga] = g.split(":");
        return gt === type && gn === name && (ga ?? "").split(",").includes(a);
      }),
    );
  });
}

function handleToken(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? "/", "http://x");
  let scopes: string[];
  let ok: boolean;
  let form: URLSearchParams | undefined;
  if (req.method === "POST") {
    form = new URLSearchParams(body.toString());
    scopes = (form.get("scope") ?? "").split(" ").filter((s) => s !== "");
    ok = form.get("grant_type") === "refresh_token" && form.get("refresh_token") === "refresh-abc";
  } else {
    scopes = url.searchParams.getAll("scope");
    const expected = `Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString("base64")}`;
    ok = req.headers.authorization === expected;
  }
  tokenRequests.push({
    method: req.method ?? "GET",
    scopes,
    service:
      req.method === "POST" ? (form?.get("service") ?? null) : url.searchParams.get("service"),
    authorization: req.headers.authorization,
    form,
  });
  if (!ok) {
    sendJson(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "invalid credentials" }] });
    return;
  }
  // A read-only repository: push is never granted, whatever is asked.
  scopes = scopes.map((sc) =>
    sc.startsWith("repository:team/readonly:") ? "repository:team/readonly:pull" : sc,
  );
  const token = `tok-${nextToken++}`;
  tokens.set(token, { scopes, expiresAt: Date.now() + tokenLifetime * 1000 });
  sendJson(res, 200, { token, expires_in: tokenLifetime, issued_at: new Date().toISOString() });
}

before(async () => {
  storage = await startServer((req, res) => {
    storageHeaders.push(req.headers);
    res.writeHead(200, { "content-length": String(redirected.desc.size) });
    res.end(Buffer.from(redirected.bytes));
  });
  server = await startServer(fake.handler);
  fake.intercept = (req, res, body) => {
    if ((req.url ?? "").startsWith("/token")) {
      handleToken(req, res, body);
      return true;
    }
    const needed = neededScope(req) ?? "";
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ") ? tokens.get(auth.slice(7)) : undefined;
    if (
      token === undefined ||
      token.expiresAt < Date.now() ||
      (needed !== "" && !covers(token.scopes, needed))
    ) {
      const scope = needed === "" ? "" : `,scope="${needed.split(" ")[0]}"`;
      const insufficient =
        token !== undefined && token.expiresAt >= Date.now() ? ',error="insufficient_scope"' : "";
      const header = `Bearer realm="${server.url}/token",service="fake-registry"${scope}${insufficient}`;
      challenges.push(`${req.method} ${req.url}`);
      res.writeHead(401, { "www-authenticate": header, "content-type": "application/json" });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return true;
    }
    if ((req.url ?? "").includes(`/blobs/${redirected.desc.digest}`)) {
      registryBlobHeaders.push(req.headers);
      res.writeHead(307, { location: `${storage.url}/bucket/blob?X-Amz-Signature=secret-sig` });
      res.end();
      return true;
    }
    return false;
  };
  const manifest = content(MediaType.ImageManifest, { schemaVersion: 2, config: {}, layers: [] });
  fake.manifests.set(manifest.desc.digest, {
    mediaType: MediaType.ImageManifest,
    bytes: Buffer.from(manifest.bytes),
  });
  fake.tags.set("v1", manifest.desc.digest);
  fake.blobs.set(redirected.desc.digest, Buffer.from(redirected.bytes));
});

after(async () => {
  await server?.close();
  await storage?.close();
});

beforeEach(() => {
  tokenRequests.length = 0;
  challenges.length = 0;
  tokenLifetime = 300;
});

function clientWith(credential: Credential | { username: string; password: string } | undefined) {
  const { log, onRequest } = requestLog();
  const client = new RegistryClient({
    registry: server.host,
    onRequest,
    retry: fastRetry,
    ...(credential === undefined ? {} : { credentials: staticCredentials(credential) }),
  });
  return { client, log, store: createRegistryStore({ repository: "team/app", client }) };
}

describe("(in-test server: token auth)", () => {
  test("a Bearer challenge is answered with a token for the scope, fetched with Basic credentials", async () => {
    const { client, log, store } = clientWith(alice);
    try {
      const desc = await store.resolve("v1");
      assert.equal(desc.mediaType, MediaType.ImageManifest);
      assert.equal(tokenRequests.length, 1);
      const [tr] = tokenRequests;
      assert.equal(tr?.service, "fake-registry");
      assert.deepEqual(tr?.scopes, ["repository:team/app:pull"]);
      assert.equal(tr?.authorization, `Basic ${Buffer.from("alice:s3cret-pw").toString("base64")}`);
      assert.deepEqual(
        log.map((l) => l.split("?")[0]),
        ["HEAD /v2/team/app/manifests/v1", "GET /token", "HEAD /v2/team/app/manifests/v1"],
      );
    } finally {
      await client.close();
    }
  });

  test("the token is cached: later requests in its scope do not hit the token endpoint", async () => {
    const { client, store } = clientWith(alice);
    try {
      await store.resolve("v1");
      await store.getManifest("v1");
      await store.listTags();
      assert.equal(tokenRequests.length, 1);
      assert.equal(challenges.length, 1, "only the very first request was challenged");
    } finally {
      await client.close();
    }
  });

  test("a push fetches a pull,push token before its first request instead of taking a 401", async () => {
    const { client, store } = clientWith(alice);
    try {
      await store.resolve("v1");
      const blob = content(MediaType.ImageLayerGzip, randomBytes(300, 22));
      await store.push(blob.desc, blob.bytes);
      assert.equal(challenges.length, 1);
      assert.deepEqual(
        tokenRequests.map((t) => t.scopes),
        [["repository:team/app:pull"], ["repository:team/app:pull,push"]],
      );
      assert.ok(fake.blobs.has(blob.desc.digest));
      // The pull,push token also covers pulls: no third token.
      await store.getManifest("v1");
      assert.equal(tokenRequests.length, 2);
    } finally {
      await client.close();
    }
  });

  test("a cross-repository mount asks for push here and pull on the source", async () => {
    const { client, store } = clientWith(alice);
    try {
      const mounted = await store.mount(redirected.desc, "team/src");
      assert.equal(mounted, true);
      assert.deepEqual(tokenRequests.at(-1)?.scopes, [
        "repository:team/app:pull,push",
        "repository:team/src:pull",
      ]);
    } finally {
      await client.close();
    }
  });

  test("an expired token is replaced by a new one", async () => {
    tokenLifetime = 1;
    const { client, store } = clientWith(alice);
    try {
      await store.resolve("v1");
      await store.resolve("v1");
      assert.equal(tokenRequests.length, 1);
      await new Promise((r) => setTimeout(r, 1050));
      await store.resolve("v1");
      assert.equal(tokenRequests.length, 2);
    } finally {
      await client.close();
    }
  });

  test("an identity token is exchanged with the OAuth2 refresh_token form", async () => {
    const { client, store } = clientWith({ kind: "identity-token", token: "refresh-abc" });
    try {
      await store.resolve("v1");
      const [tr] = tokenRequests;
      assert.equal(tr?.method, "POST");
      assert.equal(tr?.authorization, undefined);
      assert.equal(tr?.form?.get("grant_type"), "refresh_token");
      assert.equal(tr?.form?.get("service"), "fake-registry");
      assert.equal(tr?.form?.get("scope"), "repository:team/app:pull");
      assert.equal(tr?.form?.get("client_id"), "ocicompat");
    } finally {
      await client.close();
    }
  });

  test("wrong credentials fail with a 401 RegistryError that names the host, not the password", async () => {
    const { client, store } = clientWith({ username: "alice", password: "wrong-pw" });
    try {
      await assert.rejects(store.resolve("v1"), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.status, 401);
        assert.equal(err.code, "AUTH");
        assert.match(
          err.message,
          new RegExp(`^wrong credentials for ${server.host}: user "alice" was refused`),
        );
        assert.ok(!err.message.includes("wrong-pw"));
        assert.ok(!JSON.stringify(err).includes("wrong-pw"));
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test("a token without the needed scope is an AUTH error naming the scope", async () => {
    const { client } = clientWith(alice);
    try {
      const store = createRegistryStore({ repository: "team/readonly", client });
      const blob = content(MediaType.ImageLayerGzip, randomBytes(100, 23));
      await assert.rejects(store.push(blob.desc, blob.bytes), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.status, 401);
        assert.equal(err.code, "AUTH");
        assert.match(
          err.message,
          /^access denied to 127\.0\.0\.1:\d+\/team\/readonly: repository:team\/readonly:pull,push was not granted \(user "alice"\)/,
        );
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test("credentials are not sent to a plain-HTTP token service on another host", async () => {
    const otherHost = "http://198.51.100.7:9/token"; // TEST-NET-3: nothing answers there
    const challenge = `Bearer realm="${otherHost}",service="elsewhere"`;
    const api = await startServer((_req, res) => {
      res.writeHead(401, { "www-authenticate": challenge, "content-type": "application/json" });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}');
    });
    const client = new RegistryClient({
      registry: api.host,
      retry: fastRetry,
      connectTimeoutMs: 500,
      credentials: staticCredentials(alice),
    });
    try {
      const store = createRegistryStore({ repository: "team/app", client });
      await assert.rejects(store.resolve("v1"), (err: unknown) => {
        assert.ok(err instanceof OcicompatError, String(err));
        assert.equal(err.code, "AUTH");
        assert.match(err.message, /plain HTTP on another host/);
        assert.doesNotMatch(err.message, /s3cret/);
        return true;
      });
    } finally {
      await client.close();
      await api.close();
    }
  });

  test("no credentials fail with 'authentication required'", async () => {
    const { client, store } = clientWith(undefined);
    try {
      await assert.rejects(store.resolve("v1"), {
        code: "AUTH",
        status: 401,
        message: new RegExp(`^authentication required for ${server.host}: no credentials found`),
      });
    } finally {
      await client.close();
    }
  });

  test("a blob redirected to another origin is fetched without Authorization, and verified", async () => {
    storageHeaders.length = 0;
    registryBlobHeaders.length = 0;
    const { client, log, store } = clientWith(alice);
    try {
      const bytes = await readStream(await store.fetch(redirected.desc));
      assert.deepEqual(bytes, Buffer.from(redirected.bytes));
      assert.match(String(registryBlobHeaders.at(-1)?.authorization), /^Bearer tok-\d+$/);
      assert.equal(storageHeaders.length, 1);
      assert.equal(storageHeaders[0]?.authorization, undefined);
      // The signed query never reaches onRequest (or messages) in clear.
      assert.ok(log.some((l) => l.startsWith("GET /bucket/blob?X-Amz-Signature=")));
      assert.ok(!log.some((l) => l.includes("secret-sig")));
    } finally {
      await client.close();
    }
  });
});
