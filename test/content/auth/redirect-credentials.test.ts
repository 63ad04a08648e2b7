// Credentials never reach a third host (the pattern of containerd's CVE-2020-15157). In-test
// servers on different loopback addresses play registry A, the storage host B a blob download is
// redirected to, A's token realm R, B's own realm, and a host R redirects to; every test asserts on
// what each of them received.
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { staticCredentials } from "../../../src/content/auth/credentials.js";
import { basicAuthorization } from "../../../src/content/auth/authenticator.js";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { createRegistryStore } from "../../../src/content/registry/store.js";
import { MediaType } from "../../../src/oci/media-types.js";
import {
  content,
  fastRetry,
  randomBytes,
  readStream,
  sendJson,
  startServer,
  type TestServer,
} from "../registry/helpers.js";

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
}

const alice = { username: "alice", password: "s3cret-pw" };
const aliceBasic = basicAuthorization(alice.username, alice.password);
const blob = content(MediaType.ImageLayerGzip, randomBytes(4000, 5));
const uploadBlob = content(MediaType.ImageLayerGzip, randomBytes(300, 6));

type Host = "a" | "b" | "realm" | "bRealm" | "c";
const seen: Record<Host, Seen[]> = { a: [], b: [], realm: [], bRealm: [], c: [] };
const servers = {} as Record<Host, TestServer>;

/** What B does with a request: serve the blob, challenge, or fail first. */
let bMode: "serve" | "bearer401" | "basic401" | "flaky" = "serve";
let bFailures = 0;
/** Whether A sends uploads to a Location on B. */
let foreignUploads = false;
/** Whether R sends token requests on to C. */
let realmRedirects = false;

function record(where: Seen[], req: IncomingMessage): void {
  where.push({
    method: req.method ?? "",
    path: new URL(req.url ?? "/", "http://x").pathname,
    authorization: req.headers.authorization,
  });
}

function token(res: ServerResponse, value: string): void {
  sendJson(res, 200, { token: value, expires_in: 300 });
}

before(async () => {
  servers.realm = await startServer((req, res) => {
    record(seen.realm, req);
    if (realmRedirects) {
      res.writeHead(307, {
        location: `${servers.c.url}/token${new URL(req.url ?? "/", "http://x").search}`,
      });
      res.end();
      return;
    }
    if (req.headers.authorization !== aliceBasic) return sendJson(res, 401, {});
    token(res, "token-from-A-realm");
  }, "127.0.0.3");
  servers.c = await startServer((req, res) => {
    record(seen.c, req);
    token(res, "token-from-A-realm");
  }, "127.0.0.5");
  servers.bRealm = await startServer((req, res) => {
    record(seen.bRealm, req);
    token(res, "foreign-token");
  }, "127.0.0.4");
  servers.b = await startServer((req, res) => {
    record(seen.b, req);
    if (req.url?.startsWith("/upload")) {
      res.writeHead(401, { "www-authenticate": `Basic realm="b"` });
      res.end();
      return;
    }
    if (bMode === "bearer401") {
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="${servers.bRealm.url}/token",service="b"`,
      });
      res.end();
      return;
    }
    if (bMode === "basic401") {
      res.writeHead(401, { "www-authenticate": `Basic realm="b"` });
      res.end();
      return;
    }
    if (bMode === "flaky" && bFailures < 2) {
      bFailures++;
      res.writeHead(503);
      res.end();
      return;
    }
    res.writeHead(200, { "content-length": String(blob.bytes.byteLength) });
    res.end(blob.bytes);
  }, "127.0.0.2");
  servers.a = await startServer((req, res) => {
    record(seen.a, req);
    if (req.headers.authorization !== "Bearer token-from-A-realm") {
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="${servers.realm.url}/token",service="a",scope="repository:team/app:pull"`,
      });
      res.end();
      return;
    }
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "POST" && path === "/v2/team/app/blobs/uploads/") {
      res.writeHead(202, {
        location: foreignUploads ? `${servers.b.url}/upload/1` : "/v2/team/app/blobs/uploads/1",
      });
      res.end();
      return;
    }
    if (path === `/v2/team/app/blobs/${blob.desc.digest}`) {
      res.writeHead(307, { location: `${servers.b.url}/storage/blob?sig=secret` });
      res.end();
      return;
    }
    res.writeHead(404);
    res.end();
  }, "127.0.0.1");
});

after(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

beforeEach(() => {
  for (const list of Object.values(seen)) list.length = 0;
  bMode = "serve";
  bFailures = 0;
  foreignUploads = false;
  realmRedirects = false;
});

function aliceClient(): RegistryClient {
  return new RegistryClient({
    registry: servers.a.host,
    credentials: staticCredentials({ kind: "basic", ...alice }, [servers.a.host]),
    retry: fastRetry,
  });
}

async function withStore<T>(
  work: (store: ReturnType<typeof createRegistryStore>) => Promise<T>,
): Promise<T> {
  const client = aliceClient();
  try {
    return await work(createRegistryStore({ repository: "team/app", client }));
  } finally {
    await client.close();
  }
}

const authorizations = (list: Seen[]) => list.map((s) => s.authorization);

describe("(in-test servers: registry A, storage B, realms) credentials never reach a third host", () => {
  test("A's credentials go to the realm A's 401 names, and the blob redirected to B arrives without Authorization", async () => {
    const bytes = await withStore(async (store) => readStream(await store.fetch(blob.desc)));
    assert.deepEqual(Buffer.from(bytes), Buffer.from(blob.bytes));
    assert.deepEqual(authorizations(seen.realm), [aliceBasic]);
    assert.deepEqual(authorizations(seen.a), [undefined, "Bearer token-from-A-realm"]);
    assert.deepEqual(authorizations(seen.b), [undefined]);
    assert.equal(seen.bRealm.length, 0);
  });

  test("a Bearer 401 from the redirect target is an AUTH error naming both hosts; B's realm gets nothing and A sees no foreign token", async () => {
    bMode = "bearer401";
    await assert.rejects(
      withStore(async (store) => readStream(await store.fetch(blob.desc))),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, "AUTH");
        assert.match(
          err.message,
          new RegExp(`for ${servers.a.host} was redirected to ${servers.b.host}`),
        );
        assert.match(err.message, /asks for credentials \(401\)/);
        assert.doesNotMatch(err.message, /secret|s3cret/);
        return true;
      },
    );
    assert.equal(seen.bRealm.length, 0, "B's realm received a request");
    assert.deepEqual(authorizations(seen.b), [undefined]);
    assert.ok(authorizations(seen.a).every((a) => a !== "Bearer foreign-token"));
    assert.deepEqual(authorizations(seen.realm), [aliceBasic]);
  });

  test("a Basic 401 from the redirect target gets no Basic credentials: B is asked once, anonymously", async () => {
    bMode = "basic401";
    await assert.rejects(
      withStore(async (store) => readStream(await store.fetch(blob.desc))),
      { code: "AUTH" },
    );
    assert.deepEqual(authorizations(seen.b), [undefined]);
  });

  test("retries of a redirected download carry no Authorization to B either", async () => {
    bMode = "flaky";
    const bytes = await withStore(async (store) => readStream(await store.fetch(blob.desc)));
    assert.equal(bytes.byteLength, blob.desc.size);
    assert.equal(seen.b.length, 3);
    assert.deepEqual(authorizations(seen.b), [undefined, undefined, undefined]);
    assert.ok(seen.a.slice(1).every((s) => s.authorization === "Bearer token-from-A-realm"));
  });

  test("a token realm that redirects to another host: the Basic credentials stay behind", async () => {
    realmRedirects = true;
    await withStore(async (store) => readStream(await store.fetch(blob.desc)));
    assert.deepEqual(authorizations(seen.realm), [aliceBasic]);
    assert.deepEqual(authorizations(seen.c), [undefined]);
  });

  test("an upload Location on another host that answers 401 is an AUTH error, and that host gets no credentials", async () => {
    foreignUploads = true;
    await assert.rejects(
      withStore((store) => store.push(uploadBlob.desc, uploadBlob.bytes)),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, "AUTH");
        assert.match(err.message, new RegExp(`was sent to ${servers.b.host}`));
        return true;
      },
    );
    const uploads = seen.b.filter((s) => s.path.startsWith("/upload"));
    assert.ok(uploads.length >= 1);
    assert.ok(uploads.every((s) => s.authorization === undefined));
  });
});
