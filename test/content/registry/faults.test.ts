// Faults distribution 2.8 cannot be made to produce, from an in-test HTTP server: 5xx and 429
// answers, connections dropped mid-body, servers that lie about content, unreachable hosts.
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { RegistryError } from "../../../src/content/registry/errors.js";
import { createRegistryStore, type RegistryStore } from "../../../src/content/registry/store.js";
import { computeDigest } from "../../../src/oci/digest.js";
import { OcicompatError } from "../../../src/oci/errors.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { freePort } from "../../support/registry.js";
import {
  content,
  FakeRegistry,
  fastRetry,
  image,
  randomBytes,
  readStream,
  requestLog,
  startServer,
  type TestServer,
} from "./helpers.js";

const fake = new FakeRegistry();
let server: TestServer;
let client: RegistryClient;
let store: RegistryStore;
const { log, onRequest } = requestLog();

const blob = content(MediaType.ImageLayerGzip, randomBytes(256 * 1024, 9));
const img = image("amd64");

before(async () => {
  server = await startServer(fake.handler);
  client = new RegistryClient({ registry: server.host, onRequest, retry: fastRetry });
  store = createRegistryStore({ repository: "team/app", client });
  fake.blobs.set(blob.desc.digest, Buffer.from(blob.bytes));
  fake.blobs.set(img.config.desc.digest, Buffer.from(img.config.bytes));
  fake.manifests.set(img.manifest.desc.digest, {
    mediaType: MediaType.ImageManifest,
    bytes: Buffer.from(img.manifest.bytes),
  });
  fake.tags.set("v1", img.manifest.desc.digest);
});

after(async () => {
  await client?.close();
  await server?.close();
});

beforeEach(() => {
  fake.intercept = undefined;
  log.length = 0;
});

/** Intercepts matching requests while `times` lasts (Infinity: always). */
function failing(
  match: (req: IncomingMessage) => boolean,
  times: number,
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): { hits: () => number } {
  let hits = 0;
  fake.intercept = (req, res) => {
    if (!match(req) || hits >= times) return false;
    hits++;
    answer(req, res);
    return true;
  };
  return { hits: () => hits };
}

const isBlobGet = (req: IncomingMessage) =>
  req.method === "GET" && (req.url ?? "").includes(`/blobs/${blob.desc.digest}`);

describe("(in-test server: faults) retries", () => {
  test("a 503 is retried and the request then succeeds", async () => {
    const f = failing(
      (r) => r.method === "HEAD",
      1,
      (_req, res) => {
        res.writeHead(503);
        res.end();
      },
    );
    assert.deepEqual(await store.resolve("v1"), img.manifest.desc);
    assert.equal(f.hits(), 1);
    assert.equal(log.length, 2);
  });

  test("a 429 with Retry-After: 1 waits about a second before retrying", async () => {
    failing(
      (r) => r.method === "HEAD",
      1,
      (_req, res) => {
        res.writeHead(429, { "retry-after": "1", "content-type": "application/json" });
        res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      },
    );
    const started = Date.now();
    await store.resolve("v1");
    const waited = Date.now() - started;
    assert.ok(waited >= 950, `waited only ${waited} ms`);
    assert.ok(waited < 3000, `waited ${waited} ms`);
  });

  test("a registry that keeps failing is given up on after the bounded attempts, clearly", async () => {
    failing(
      (r) => r.method === "GET",
      Infinity,
      (_req, res) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("bad gateway");
      },
    );
    await assert.rejects(store.getManifest("v1"), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 502);
      assert.equal(err.temporary, true);
      assert.equal(err.code, "REGISTRY");
      assert.match(err.message, /failed with 502 .*after 4 attempts/);
      return true;
    });
    assert.equal(log.length, 4);
  });

  test("a connection reset before the answer is retried", async () => {
    const f = failing(
      (r) => r.method === "HEAD",
      1,
      (req) => req.socket.destroy(),
    );
    assert.deepEqual(await store.resolve("v1"), img.manifest.desc);
    assert.equal(f.hits(), 1);
  });

  test("a manifest whose body breaks off is fetched again", async () => {
    const f = failing(
      (r) => r.method === "GET" && (r.url ?? "").includes("/manifests/v1"),
      1,
      (_req, res) => {
        res.writeHead(200, {
          "content-type": MediaType.ImageManifest,
          "content-length": String(img.manifest.desc.size),
        });
        res.write(Buffer.from(img.manifest.bytes.subarray(0, 10)), () => {
          setTimeout(() => res.socket?.destroy(), 20);
        });
      },
    );
    const { descriptor } = await store.getManifest("v1");
    assert.deepEqual(descriptor, img.manifest.desc);
    assert.equal(f.hits(), 1);
    assert.equal(log.length, 2);
  });

  test("a 500 on the upload PUT restarts the upload with a new session", async () => {
    const fresh = content(MediaType.ImageLayerGzip, randomBytes(2000, 10));
    failing(
      (r) => r.method === "PUT" && (r.url ?? "").includes("/blobs/uploads/"),
      1,
      (_req, res) => {
        res.writeHead(500);
        res.end();
      },
    );
    await store.push(fresh.desc, fresh.bytes);
    const methods = log.map((l) => l.split(" ")[0]);
    assert.deepEqual(methods, ["POST", "PUT", "DELETE", "POST", "PUT"]);
    assert.ok(fake.blobs.has(fresh.desc.digest));
  });

  test("an upload from a stream is not replayed: the failure is reported and the session cancelled", async () => {
    const s = createRegistryStore({ repository: "team/app", client, chunkSize: 1000 });
    const fresh = content(MediaType.ImageLayerGzip, randomBytes(3000, 11));
    failing(
      (r) => r.method === "PATCH",
      1,
      (_req, res) => {
        res.writeHead(500);
        res.end();
      },
    );
    async function* stream() {
      yield fresh.bytes;
    }
    await assert.rejects(s.push(fresh.desc, stream()), { name: "RegistryError", status: 500 });
    assert.deepEqual(
      log.map((l) => l.split(" ")[0]),
      ["POST", "PATCH", "DELETE"],
    );
    assert.ok(!fake.blobs.has(fresh.desc.digest));
  });
});

describe("(in-test server: faults) broken downloads", () => {
  function dropHalfway(ranges: boolean) {
    return failing(isBlobGet, 1, (_req, res) => {
      const headers: Record<string, string> = {
        "content-type": "application/octet-stream",
        "content-length": String(blob.desc.size),
      };
      if (ranges) headers["accept-ranges"] = "bytes";
      res.writeHead(200, headers);
      res.write(Buffer.from(blob.bytes.subarray(0, 100_000)), () => {
        setTimeout(() => res.socket?.destroy(), 20);
      });
    });
  }

  test("a blob download dropped mid-stream resumes with Range and the whole digest is verified", async () => {
    const f = dropHalfway(true);
    const bytes = await readStream(await store.fetch(blob.desc));
    assert.equal(f.hits(), 1);
    assert.deepEqual(bytes, Buffer.from(blob.bytes));
    assert.equal(log.filter((l) => l.startsWith("GET")).length, 2);
  });

  test("a dropped download from a server without ranges fails with a clear error", async () => {
    dropHalfway(false);
    await assert.rejects(readStream(await store.fetch(blob.desc)), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "UNREACHABLE");
      assert.match(
        err.message,
        /broke off after \d+ of 262144 bytes \(the server does not offer ranges/,
      );
      return true;
    });
  });

  test("a resumed piece that starts at the wrong offset is refused", async () => {
    let calls = 0;
    fake.intercept = (req, res) => {
      if (!isBlobGet(req)) return false;
      calls++;
      if (calls === 1) {
        res.writeHead(200, {
          "content-length": String(blob.desc.size),
          "accept-ranges": "bytes",
        });
        res.write(Buffer.from(blob.bytes.subarray(0, 50_000)), () => {
          setTimeout(() => res.socket?.destroy(), 20);
        });
      } else {
        res.writeHead(206, { "content-range": `bytes 10-${blob.desc.size - 1}/${blob.desc.size}` });
        res.end(Buffer.from(blob.bytes.subarray(10)));
      }
      return true;
    };
    await assert.rejects(
      readStream(await store.fetch(blob.desc)),
      /resumed blob .* at byte 10 instead of/,
    );
  });
});

describe("(in-test server: faults) lying servers", () => {
  test("a blob whose bytes do not match the digest fails with DIGEST_MISMATCH", async () => {
    failing(isBlobGet, 1, (_req, res) => {
      res.writeHead(200, { "content-length": String(blob.desc.size) });
      res.end(Buffer.from(randomBytes(blob.desc.size, 99)));
    });
    await assert.rejects(readStream(await store.fetch(blob.desc)), (err: unknown) => {
      assert.ok(err instanceof OcicompatError);
      assert.equal(err.code, "DIGEST_MISMATCH");
      assert.equal(err.subject, blob.desc.digest);
      assert.match(
        err.message,
        /content digest is sha256:[0-9a-f]{64}, expected sha256:.*\(blob from 127\.0\.0\.1:\d+\/team\/app\)/,
      );
      return true;
    });
  });

  test("a Content-Length other than the descriptor's size fails with SIZE_MISMATCH before reading", async () => {
    failing(isBlobGet, 1, (_req, res) => {
      res.writeHead(200, { "content-length": String(blob.desc.size + 5) });
      res.end(Buffer.concat([Buffer.from(blob.bytes), Buffer.alloc(5)]));
    });
    await assert.rejects(store.fetch(blob.desc), {
      code: "SIZE_MISMATCH",
      message: /is sending 262149 bytes for blob sha256:[0-9a-f]+; the descriptor says 262144/,
    });
  });

  test("a blob longer than its descriptor without Content-Length fails with SIZE_MISMATCH", async () => {
    failing(isBlobGet, 1, (_req, res) => {
      res.writeHead(200, { "transfer-encoding": "chunked" });
      res.end(Buffer.concat([Buffer.from(blob.bytes), Buffer.alloc(100)]));
    });
    await assert.rejects(readStream(await store.fetch(blob.desc)), { code: "SIZE_MISMATCH" });
  });

  test("a manifest fetched by digest whose bytes differ fails with DIGEST_MISMATCH", async () => {
    const other = image("arm64").manifest;
    failing(
      (r) => r.method === "GET" && (r.url ?? "").includes("/manifests/"),
      1,
      (_req, res) => {
        res.writeHead(200, { "content-type": MediaType.ImageManifest });
        res.end(Buffer.from(other.bytes));
      },
    );
    const s = createRegistryStore({ repository: "team/app", client });
    await assert.rejects(s.fetch(img.manifest.desc), { code: "DIGEST_MISMATCH" });
  });

  test("a tag whose Docker-Content-Digest disagrees with the bytes fails with DIGEST_MISMATCH", async () => {
    failing(
      (r) => r.method === "GET" && (r.url ?? "").includes("/manifests/v1"),
      1,
      (_req, res) => {
        res.writeHead(200, {
          "content-type": MediaType.ImageManifest,
          "docker-content-digest": computeDigest(new TextEncoder().encode("something else")),
        });
        res.end(Buffer.from(img.manifest.bytes));
      },
    );
    await assert.rejects(store.getManifest("v1"), { code: "DIGEST_MISMATCH" });
  });

  test("a HEAD without Docker-Content-Digest falls back to a GET and computes the digest", async () => {
    failing(
      (r) => r.method === "HEAD",
      1,
      (_req, res) => {
        res.writeHead(200, { "content-type": MediaType.ImageManifest });
        res.end();
      },
    );
    assert.deepEqual(await store.resolve("v1"), img.manifest.desc);
    assert.deepEqual(
      log.map((l) => l.split(" ")[0]),
      ["HEAD", "GET"],
    );
  });

  test("a manifest over 4 MiB announced by Content-Length is refused before it is read", async () => {
    const size = 5 * 1024 * 1024;
    let written = 0;
    failing(
      (r) => r.method === "GET" && (r.url ?? "").includes("/manifests/"),
      1,
      (_req, res) => {
        res.writeHead(200, {
          "content-type": MediaType.ImageIndex,
          "content-length": String(size),
        });
        const piece = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (written < size) {
            written += piece.byteLength;
            if (!res.write(piece)) return void res.once("drain", pump);
          }
          res.end();
        };
        res.on("error", () => undefined);
        pump();
      },
    );
    await assert.rejects(store.getManifest("v1"), {
      code: "TOO_LARGE",
      message: /is 5242880 bytes; ocicompat refuses manifests and indexes over 4194304 bytes/,
    });
    assert.ok(written < size, "the server could not send it all");
  });

  test("a manifest over 4 MiB without Content-Length is cut off at the limit", async () => {
    failing(
      (r) => r.method === "GET" && (r.url ?? "").includes("/manifests/"),
      1,
      (_req, res) => {
        res.writeHead(200, {
          "content-type": MediaType.ImageIndex,
          "transfer-encoding": "chunked",
        });
        res.on("error", () => undefined);
        res.end(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
      },
    );
    await assert.rejects(store.getManifest("v1"), {
      code: "TOO_LARGE",
      message: /4194304-byte limit/,
    });
  });
});

describe("(in-test server: faults) unreachable", () => {
  test("a closed port fails at once with 'connection refused', without retries or a hang", async () => {
    const port = await freePort();
    const { log: calls, onRequest: count } = requestLog();
    const lonely = new RegistryClient({ registry: `127.0.0.1:${port}`, onRequest: count });
    const started = Date.now();
    try {
      await assert.rejects(lonely.ping(), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.code, "UNREACHABLE");
        assert.equal(err.status, undefined);
        assert.equal(err.temporary, false);
        assert.equal(err.message, `cannot reach 127.0.0.1:${port}: connection refused`);
        return true;
      });
    } finally {
      await lonely.close();
    }
    assert.ok(Date.now() - started < 2000);
    assert.equal(calls.length, 1);
  });

  test("a server that never answers fails with TIMEOUT at the header deadline, clearly", async () => {
    const silent = await startServer(() => undefined);
    const slow = new RegistryClient({
      registry: silent.host,
      headersTimeoutMs: 200,
      retry: { maxAttempts: 2, baseDelayMs: 5 },
    });
    try {
      await assert.rejects(slow.ping(), {
        code: "TIMEOUT",
        message: new RegExp(
          `cannot reach ${silent.host}: no answer in time \\(headers timeout\\) \\(after 2 attempts\\)`,
        ),
      });
    } finally {
      await slow.close();
      await silent.close();
    }
  });
});
