// Faults distribution 2.8 cannot be made to produce, from an in-test HTTP server: 5xx and 429
// answers, connections dropped mid-body, unreachable hosts. Servers that lie about content are in
// faults-lying.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { RegistryError } from "../../../src/content/registry/errors.js";
import { createRegistryStore } from "../../../src/content/registry/store.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { freePort } from "../../support/registry.js";
import { content, randomBytes, readStream, requestLog, startServer } from "./helpers.js";
import {
  blob,
  client,
  failing,
  fake,
  img,
  isBlobGet,
  log,
  startFakeRegistry,
  store,
} from "./faults-support.js";

startFakeRegistry();

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
