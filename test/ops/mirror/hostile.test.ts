// Bad input against the mirror: malformed upstream answers that the real registry never gives
// come from an in-test server (huge, lying, silent, corrupt), beside the real CNCF registry. Each
// gets a clear distribution-spec error, and the mirror keeps serving other requests.
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { computeDigest } from "../../../src/oci/digest.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { pushToRegistry } from "../select-support.js";
import { get, levelsImage, mirrorFor, profile, type TestMirror } from "./support.js";

const image = levelsImage("hostile");
const realIndex = image.index.bytes;
const realDigest = image.index.desc.digest;
const blobBytes = Buffer.from("the blob the digest names\n");
const blobDigest = computeDigest(blobBytes);
const HUGE = 5 * 1024 * 1024;

let registry: TestRegistry;
let hostile: Server;
let hostileHost: string;
let mirror: TestMirror;
const seenHeaders: IncomingHttpHeaders[] = [];

/** The behaviour the real registry lacks, by repository. */
function startHostile(): Promise<Server> {
  const server = createServer((req, res) => {
    seenHeaders.push(req.headers);
    const url = req.url ?? "";
    if (url === "/v2/" || url === "/v2") {
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    } else if (url.startsWith("/v2/huge/manifests/")) {
      res.writeHead(200, {
        "content-type": MediaType.ImageIndex,
        "content-length": String(HUGE),
        "docker-content-digest": realDigest,
      });
      if (req.method === "HEAD") res.end();
      else res.end(Buffer.alloc(HUGE, 0x20));
    } else if (url.startsWith("/v2/lying/manifests/")) {
      // Announces the real index's digest and size; sends other bytes of that size.
      const other = Buffer.from(realIndex);
      other[other.length - 2] = 0x20;
      res.writeHead(200, {
        "content-type": MediaType.ImageIndex,
        "content-length": String(other.length),
        "docker-content-digest": realDigest,
      });
      res.end(req.method === "HEAD" ? undefined : other);
    } else if (url.startsWith("/v2/silent/")) {
      // Never answers: the mirror's own deadline must end the request.
    } else if (url.startsWith("/v2/corrupt/blobs/")) {
      const wrong = Buffer.from(blobBytes);
      wrong[0] = 0x54;
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(wrong.length),
      });
      res.end(req.method === "HEAD" ? undefined : wrong);
    } else if (url.startsWith("/v2/slow/blobs/")) {
      // A blob whose body takes about a second, twice the mirror's deadline, but keeps moving.
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(blobBytes.length),
      });
      let at = 0;
      const timer = setInterval(() => {
        res.write(blobBytes.subarray(at, at + 2));
        at += 2;
        if (at >= blobBytes.length) {
          clearInterval(timer);
          res.end();
        }
      }, 80);
    } else if (url.startsWith("/v2/good/blobs/")) {
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(blobBytes.length),
      });
      res.end(req.method === "HEAD" ? undefined : blobBytes);
    } else {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: "no such repository" }] }),
      );
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

before(async () => {
  registry = await startRegistry();
  await pushToRegistry(registry.host, "team/app", image.blobs, image.index.desc, "1.0");
  hostile = await startHostile();
  hostileHost = `127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  mirror = await mirrorFor([registry.host, hostileHost], await profile("intel-spr"), {
    requestTimeoutMs: 500,
  });
});
after(async () => {
  await mirror?.close();
  hostile?.closeAllConnections();
  await new Promise((r) => hostile?.close(r));
  await registry?.stop();
});

function errorOf(answer: { json(): unknown }): { code: string; message: string } {
  const body = answer.json() as { errors: { code: string; message: string }[] };
  assert.ok(body.errors[0]);
  return body.errors[0];
}

async function stillServes(): Promise<void> {
  const answer = await get(`${mirror.url}/v2/team/app/manifests/1.0?ns=${registry.host}`);
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get("docker-content-digest"), image.v3.manifest.desc.digest);
}

describe("upstreams that misbehave (an in-test server beside the real registry)", () => {
  test("a manifest over 4 MiB is MANIFEST_INVALID (502), refused before its body is read", async () => {
    const answer = await get(`${mirror.url}/v2/huge/manifests/1.0?ns=${hostileHost}`);
    assert.equal(answer.status, 502);
    const error = errorOf(answer);
    assert.equal(error.code, "MANIFEST_INVALID");
    assert.match(
      error.message,
      new RegExp(`upstream ${hostileHost}: .*refuses manifests and indexes over 4194304 bytes`),
    );
    await stillServes();
  });

  test("a manifest whose bytes do not match the announced digest is MANIFEST_INVALID (502)", async () => {
    const answer = await get(`${mirror.url}/v2/lying/manifests/1.0?ns=${hostileHost}`);
    assert.equal(answer.status, 502);
    const error = errorOf(answer);
    assert.equal(error.code, "MANIFEST_INVALID");
    assert.match(error.message, /digest/);
    await stillServes();
  });

  test("an upstream that never answers gets UNAVAILABLE (504) at the mirror's deadline", async () => {
    const answer = await get(`${mirror.url}/v2/silent/manifests/1.0?ns=${hostileHost}`);
    assert.equal(answer.status, 504);
    const error = errorOf(answer);
    assert.equal(error.code, "UNAVAILABLE");
    assert.match(error.message, /no answer within 0.5s/);
    await stillServes();
  });

  test("a blob whose bytes do not match its digest breaks the connection instead of ending cleanly", async () => {
    await assert.rejects(
      get(`${mirror.url}/v2/corrupt/blobs/${blobDigest}?ns=${hostileHost}`),
      /terminated|socket|fetch failed|other side closed/i,
    );
    assert.ok(
      mirror.lines.some((l) => l["event"] === "request-failed" && l["code"] === "DIGEST_MISMATCH"),
    );
    await stillServes();
  });

  test("the deadline bounds the wait for an answer, not a blob body that keeps moving", async () => {
    const answer = await get(`${mirror.url}/v2/slow/blobs/${blobDigest}?ns=${hostileHost}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.bytes, blobBytes);
  });

  test("the client's Authorization header is never forwarded upstream", async () => {
    seenHeaders.length = 0;
    const answer = await get(`${mirror.url}/v2/good/blobs/${blobDigest}?ns=${hostileHost}`, {
      headers: { authorization: "Bearer client-secret-for-the-mirror" },
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.bytes, blobBytes);
    assert.ok(seenHeaders.length > 0);
    for (const headers of seenHeaders) assert.equal(headers.authorization, undefined);
  });

  test("a repository the upstream does not know keeps the upstream's code (NAME_UNKNOWN, 404)", async () => {
    const answer = await get(`${mirror.url}/v2/nothing/here/manifests/1.0?ns=${hostileHost}`);
    assert.equal(answer.status, 404);
    assert.equal(errorOf(answer).code, "NAME_UNKNOWN");
  });
});
