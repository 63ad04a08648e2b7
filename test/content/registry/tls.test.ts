// HTTPS registries with a certificate the system does not trust: --ca-file and --insecure,
// against an in-test HTTPS server with a throwaway self-signed certificate.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { RegistryError } from "../../../src/content/registry/errors.js";
import { makeCertificate } from "../../support/certificate.js";
import { FakeRegistry } from "./helpers.js";

let dir: string;
let caFile: string;
let server: Server;
let host: string;
const sockets = new Set<Socket>();
const fake = new FakeRegistry();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ocicompat-tls-"));
  const { cert, key } = makeCertificate(dir);
  caFile = cert;
  server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void fake.handler(req, res, Buffer.concat(chunks)));
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("(in-test server: TLS)", () => {
  test("an untrusted certificate fails at once, suggesting --ca-file or --insecure", async () => {
    const client = new RegistryClient({ registry: host, plainHttp: false });
    try {
      await assert.rejects(client.ping(), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.code, "UNREACHABLE");
        assert.equal(err.temporary, false);
        assert.match(
          err.message,
          new RegExp(
            `^cannot reach ${host}: its TLS certificate is not trusted .*--ca-file.*--insecure`,
          ),
        );
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test("the CA file makes the certificate trusted", async () => {
    const client = new RegistryClient({
      registry: host,
      plainHttp: false,
      caFile,
    });
    try {
      assert.equal(client.baseUrl, `https://${host}`);
      await client.ping();
    } finally {
      await client.close();
    }
  });

  test("insecure skips verification", async () => {
    const client = new RegistryClient({ registry: host, plainHttp: false, insecure: true });
    try {
      await client.ping();
    } finally {
      await client.close();
    }
  });

  test("plain HTTP against a TLS registry fails clearly instead of hanging", async () => {
    const client = new RegistryClient({ registry: host, retry: { maxAttempts: 1 } });
    try {
      await assert.rejects(client.ping(), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.code, "UNREACHABLE");
        assert.match(err.message, /if the registry speaks HTTPS, do not use plain HTTP$/);
        return true;
      });
    } finally {
      await client.close();
    }
  });
});
