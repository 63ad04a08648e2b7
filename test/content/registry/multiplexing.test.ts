// HTTP/2 for clients that only read (multiplexing.ts): against the real registry over TLS, the
// requests in flight share one HTTP/2 connection, with Basic authentication too; a server that
// picks HTTP/1.1 in the handshake is spoken to as before; a failed connection is an ordinary
// error.
import assert from "node:assert/strict";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { staticCredentials } from "../../../src/content/auth/credentials.js";
import { createRegistryStore } from "../../../src/content/registry/index.js";
import { RegistryError } from "../../../src/content/registry/errors.js";
import { fetchBytes } from "../../../src/content/store.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { startTlsRegistry, type TlsRegistry } from "../../support/tls-registry.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { content, image, pushImage, type Image } from "./helpers.js";

let served: TlsRegistry;
let registry: TestRegistry;
let caFile: string;
let keyFile: string;
let pushed: Image;

before(async () => {
  served = await startTlsRegistry();
  ({ registry, caFile, keyFile } = served);
  const writer = createRegistryStore({
    registry: registry.host,
    repository: "h2/app",
    plainHttp: false,
    caFile,
  });
  try {
    pushed = image("amd64");
    await pushImage(writer, pushed);
  } finally {
    await writer.close();
  }
});

after(async () => {
  await served?.stop();
});

interface Connected {
  connectParams: { version?: string };
}

/** The protocol of every connection undici opens while `run` runs. */
async function connectionsDuring(run: () => Promise<void>): Promise<(string | undefined)[]> {
  const seen: (string | undefined)[] = [];
  const onConnected = (message: unknown): void =>
    void seen.push((message as Connected).connectParams.version);
  subscribe("undici:client:connected", onConnected);
  try {
    await run();
  } finally {
    unsubscribe("undici:client:connected", onConnected);
  }
  return seen;
}

/**
 * As a warm select does: one request, then eight presence checks at once (three present, five
 * absent) and two verified reads. Requests sent before the first connection is up each get one
 * of their own whatever the protocol (undici's pool learns it only from the handshake).
 */
async function readInParallel(http2: boolean): Promise<(string | undefined)[]> {
  const store = createRegistryStore({
    registry: registry.host,
    repository: "h2/app",
    plainHttp: false,
    caFile,
    http2,
  });
  try {
    return await connectionsDuring(async () => {
      assert.equal(await store.exists(pushed.manifest.desc), true);
      const present = [pushed.manifest.desc, pushed.config.desc, pushed.layer.desc];
      const absent = [1, 2, 3, 4, 5].map((i) => content(MediaType.ImageLayer, `absent ${i}`).desc);
      const [answers, manifest, config] = await Promise.all([
        Promise.all([...present, ...absent].map((d) => store.exists(d))),
        fetchBytes(store, pushed.manifest.desc),
        fetchBytes(store, pushed.config.desc),
      ]);
      assert.deepEqual(answers, [true, true, true, false, false, false, false, false]);
      assert.deepEqual(Buffer.from(manifest), Buffer.from(pushed.manifest.bytes));
      assert.deepEqual(Buffer.from(config), Buffer.from(pushed.config.bytes));
    });
  } finally {
    await store.close();
  }
}

describe("HTTP/2 for clients that read", () => {
  test("requests in flight at once share one HTTP/2 connection to the real registry over TLS", async () => {
    assert.deepEqual(await readInParallel(true), ["h2"]);
  });

  test("without HTTP/2 offered, the same requests open several HTTP/1.1 connections", async () => {
    const versions = await readInParallel(false);
    assert.ok(versions.length > 1, `${versions.length} connection(s)`);
    assert.ok(versions.every((v) => v === "h1"));
  });

  test("a connection that fails with HTTP/2 offered is an ordinary UNREACHABLE error", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const store = createRegistryStore({
      registry: `127.0.0.1:${port}`,
      repository: "h2/app",
      plainHttp: false,
      caFile,
      http2: true,
      retry: { maxAttempts: 1 },
    });
    try {
      await assert.rejects(store.exists(pushed.layer.desc), (err: unknown) => {
        assert.ok(err instanceof RegistryError, String(err));
        assert.equal(err.code, "UNREACHABLE");
        return true;
      });
    } finally {
      await store.close();
    }
  });
});

describe("HTTP/2 with Basic authentication (the real registry over TLS with htpasswd)", () => {
  const USER = { username: "alice", password: "alice-s3cret" };
  let secured: TestRegistry;

  before(async () => {
    secured = await startRegistry({
      tls: { cert: caFile, key: keyFile },
      htpasswd: `${USER.username}:${bcrypt.hashSync(USER.password, 4)}\n`,
    });
    const writer = createRegistryStore({
      registry: secured.host,
      repository: "h2/private",
      plainHttp: false,
      caFile,
      credentials: staticCredentials(USER),
    });
    try {
      await pushImage(writer, pushed);
    } finally {
      await writer.close();
    }
  });
  after(async () => {
    await secured?.stop();
  });

  test("the 401 challenge is answered and the reads in flight share one h2 connection", async () => {
    const store = createRegistryStore({
      registry: secured.host,
      repository: "h2/private",
      plainHttp: false,
      caFile,
      http2: true,
      credentials: staticCredentials(USER),
    });
    try {
      const versions = await connectionsDuring(async () => {
        assert.equal(await store.exists(pushed.manifest.desc), true);
        const [config, layer] = await Promise.all([
          fetchBytes(store, pushed.config.desc),
          fetchBytes(store, pushed.layer.desc),
        ]);
        assert.deepEqual(Buffer.from(config), Buffer.from(pushed.config.bytes));
        assert.deepEqual(Buffer.from(layer), Buffer.from(pushed.layer.bytes));
      });
      assert.deepEqual(versions, ["h2"]);
    } finally {
      await store.close();
    }
  });

  test("without credentials the answer is the AUTH error, as over HTTP/1.1", async () => {
    const store = createRegistryStore({
      registry: secured.host,
      repository: "h2/private",
      plainHttp: false,
      caFile,
      http2: true,
    });
    try {
      await assert.rejects(store.exists(pushed.manifest.desc), (err: unknown) => {
        assert.ok(err instanceof RegistryError, String(err));
        assert.equal(err.code, "AUTH");
        return true;
      });
    } finally {
      await store.close();
    }
  });
});

// distribution always offers HTTP/2 over TLS, so a Node HTTPS server that speaks only HTTP/1.1
// stands in for registries (and proxies) that pick HTTP/1.1 in the handshake.
describe("HTTP/2 offered to an HTTPS server that picks HTTP/1.1 (a Node server stands in)", () => {
  let server: Server;
  let host: string;
  let answered = 0;

  before(async () => {
    server = createServer(
      { cert: readFileSync(caFile), key: readFileSync(keyFile), ALPNProtocols: ["http/1.1"] },
      (req, res) => {
        // Held a moment, so that the requests sent at once are in flight together.
        setTimeout(() => {
          answered++;
          res.writeHead(404, { "content-type": "application/json", "content-length": "2" });
          res.end(req.method === "HEAD" ? undefined : "{}");
        }, 20);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("it is spoken to as without HTTP/2: every answer arrives, each request in flight on a connection of its own", async () => {
    const store = createRegistryStore({
      registry: host,
      repository: "h1/app",
      plainHttp: false,
      caFile,
      http2: true,
    });
    const absent = [0, 1, 2, 3, 4, 5, 6].map(
      (i) => content(MediaType.ImageLayer, `absent ${i}`).desc,
    );
    try {
      const versions = await connectionsDuring(async () => {
        // The first connection is up, and known to speak HTTP/1.1, before the six reads at once.
        assert.equal(await store.exists(absent[0]!), false);
        const reads = await Promise.allSettled(absent.slice(1).map((d) => store.fetch(d)));
        for (const read of reads) {
          assert.equal(read.status, "rejected");
          assert.equal((read.reason as RegistryError).code, "NOT_FOUND");
        }
      });
      assert.equal(answered, 7);
      assert.ok(versions.length >= 6 && versions.every((v) => v === "h1"), String(versions));
    } finally {
      await store.close();
    }
  });
});
