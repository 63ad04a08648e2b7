// The plain-HTTP fallback of `--tls-verify=false` and registries.conf's `insecure` happens only
// before HTTPS has answered, as in containers/image: a later TLS failure is an error, never a
// switch to plain HTTP with the credentials in clear. Mock server (a port that serves TLS, then
// plain HTTP, on demand): no registry changes protocol under a client.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { after, before, describe, test } from "node:test";
import { staticCredentials } from "../../../src/content/auth/credentials.js";
import { RegistryClient } from "../../../src/content/registry/index.js";
import { makeCertificate } from "../../support/certificate.js";

let server: Server;
let port: number;
let mode: "tls" | "plain" = "tls";
const sockets = new Set<Socket>();
const seen: { scheme: string; auth: string | undefined }[] = [];
const dir = mkdtempSync(join(tmpdir(), "ocicompat-fallback-"));
/** A port nothing listens on: the storage host that blob GETs are redirected to refuses. */
let refusedPort: number;

/** Serves from now on as `next`, dropping every open connection. */
function serveAs(next: "tls" | "plain"): void {
  mode = next;
  for (const socket of sockets) socket.destroy();
  sockets.clear();
}

before(async () => {
  const { cert, key } = makeCertificate(dir);
  // A registry that wants Basic credentials, as one behind htpasswd does.
  const answer = (scheme: string) => (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ scheme, auth: req.headers.authorization });
    const headers = { "docker-distribution-api-version": "registry/2.0" };
    if (req.url?.startsWith("/v2/then-plain/") && req.headers.authorization === undefined) {
      // Asks for credentials, then stops speaking TLS from the next connection on (the 401
      // closes this one), where the client sends them.
      mode = "plain";
      const challenge = 'Basic realm="test"';
      res.writeHead(401, { ...headers, "www-authenticate": challenge, connection: "close" });
    } else if (req.headers.authorization === undefined) {
      res.writeHead(401, { ...headers, "www-authenticate": 'Basic realm="test"' });
    } else if (req.url?.startsWith("/v2/x/blobs/")) {
      const location = `https://127.0.0.1:${refusedPort}/storage/blob?X-Amz-Signature=secret`;
      res.writeHead(307, { ...headers, location });
    } else {
      res.writeHead(200, { ...headers, "content-type": "application/json" });
    }
    res.end("{}");
  };
  const http = createHttpServer(answer("http"));
  const https = createHttpServer(answer("https"));
  const tls = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (socket) =>
    https.emit("connection", socket),
  );
  // Plain HTTP sent to the TLS port fails its handshake: recorded, as the port never parses it.
  tls.on("tlsClientError", () => seen.push({ scheme: "plain HTTP to TLS", auth: undefined }));
  const closed = createNetServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  refusedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (mode === "tls") tls.emit("connection", socket);
    else http.emit("connection", socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** A client as `--tls-verify=false` makes one; 127.1 is not taken for loopback, so HTTPS first. */
function fallbackClient(): RegistryClient {
  return new RegistryClient({
    registry: `127.1:${port}`,
    insecure: true,
    plainHttpFallback: true,
    credentials: staticCredentials({ username: "alice", password: "secret" }),
  });
}

/**
 * Serves as `mode` from now on, with nothing seen yet, and runs `use` with a fresh fallback client,
 * closed after it. Resolves with what the server saw.
 */
async function seenWith(
  mode: "tls" | "plain",
  use: (client: RegistryClient) => Promise<void>,
): Promise<typeof seen> {
  serveAs(mode);
  seen.length = 0;
  const client = fallbackClient();
  try {
    await use(client);
  } finally {
    await client.close();
  }
  return seen;
}

describe("the plain-HTTP fallback (mock server: a port that switches from TLS to plain HTTP)", () => {
  test("after an answer over HTTPS, a port that stops speaking TLS is an error, and no credentials go out over plain HTTP", async () => {
    const saw = await seenWith("tls", async (client) => {
      await client.ping();
      assert.ok(seen.some((s) => s.scheme === "https" && s.auth !== undefined));
      serveAs("plain");
      // Let the client see its pooled connection closed, so the next request opens a new one.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await assert.rejects(client.request({ method: "GET", url: "/v2/x/tags/list" }));
    });
    assert.deepEqual(
      saw.filter((s) => s.scheme === "http"),
      [],
      "nothing was sent over plain HTTP",
    );
  });

  test("a redirect target (storage) that refuses the connection is named in the error, and the registry stays on HTTPS", async () => {
    const saw = await seenWith("tls", async (client) => {
      await assert.rejects(
        client.request({ method: "GET", url: "/v2/x/blobs/sha256:0123" }),
        (err: Error & { url?: string }) => {
          assert.match(err.message, new RegExp(`cannot reach 127\\.0\\.0\\.1:${refusedPort}`));
          assert.doesNotMatch(`${err.message} ${err.url}`, /secret/);
          return true;
        },
      );
      await client.ping();
    });
    assert.deepEqual(
      saw.filter((s) => s.scheme !== "https"),
      [],
      "something went to the registry over plain HTTP",
    );
  });

  test("a 401 over HTTPS settles the scheme: the request sent again with credentials never goes over plain HTTP", async () => {
    const saw = await seenWith("tls", (client) =>
      assert.rejects(client.request({ method: "GET", url: "/v2/then-plain/tags/list" })),
    );
    assert.deepEqual(
      saw.filter((s) => s.scheme === "http"),
      [],
      "credentials went out over plain HTTP",
    );
  });

  test("before any HTTPS answer, a registry that does not speak TLS is read over plain HTTP", async () => {
    const saw = await seenWith("plain", (client) => client.ping());
    assert.ok(saw.length > 0);
    assert.ok(saw.every((s) => s.scheme === "http"));
  });
});
