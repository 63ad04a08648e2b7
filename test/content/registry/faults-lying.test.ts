// Servers that lie about content, from an in-test HTTP server (distribution 2.8 cannot be made to):
// bytes that do not match the digest, sizes other than the descriptor's, a HEAD without
// Docker-Content-Digest, manifests over the 4 MiB cap.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRegistryStore } from "../../../src/content/registry/store.js";
import { computeDigest } from "../../../src/oci/digest.js";
import { OcicompatError } from "../../../src/oci/errors.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { content, image, randomBytes, readStream, streamOf } from "./helpers.js";
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

  test("a streamed upload that fails its digest check never delivers its last byte, even when the stream ends with an empty piece: a registry that stores PUTs unchecked gets nothing to store", async () => {
    // Above 1 MiB the blob goes up in one PUT ?digest= read from the stream as it is sent. The
    // real registry checks the digest itself; this one would store whatever completes.
    const streamed = createRegistryStore({ repository: "team/app", client });
    const claimed = content(MediaType.ImageLayerGzip, randomBytes(2 * 1024 * 1024, 31));
    let completed = 0;
    fake.intercept = (req, res) => {
      if (req.method !== "PUT" || !(req.url ?? "").includes("/blobs/uploads/")) return false;
      completed++;
      res.writeHead(201, { "docker-content-digest": claimed.desc.digest });
      res.end();
      return true;
    };
    async function* endingEmpty(): AsyncIterable<Uint8Array> {
      yield* streamOf(randomBytes(2 * 1024 * 1024, 32), 9);
      yield new Uint8Array(0);
    }
    for (const wrong of [streamOf(randomBytes(2 * 1024 * 1024, 32), 9), endingEmpty()]) {
      log.length = 0;
      await assert.rejects(streamed.push(claimed.desc, wrong), { code: "DIGEST_MISMATCH" });
      assert.equal(completed, 0, "no PUT body arrived whole");
      assert.deepEqual(
        log.map((l) => l.split(" ")[0]),
        ["POST", "PUT", "DELETE"],
      );
      assert.equal(fake.blobs.has(claimed.desc.digest), false);
    }
  });
});
