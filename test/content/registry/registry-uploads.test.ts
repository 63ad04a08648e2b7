// Blob uploads through the registry store against a real CNCF distribution registry (Debian's
// docker-registry 2.8), anonymous, started once for the file: chunked, monolithic and streamed
// pushes, pushes refused or aborted midway, and cross-repository mounts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { OcicompatError } from "../../../src/oci/errors.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { content, image, pushImage, randomBytes, readStream, streamOf } from "./helpers.js";
import { log, since, startDistribution, store } from "./registry-support.js";

const amd64 = image("amd64");

// The mount test links this layer from team/app, where it has to be already.
startDistribution(() => pushImage(store("team/app"), amd64));

test("a blob larger than the chunk size goes up in PATCH chunks, from a stream", async () => {
  const s = store("team/chunked", { chunkSize: 1000 });
  const blob = content(MediaType.ImageLayerGzip, randomBytes(4500, 3));
  const mark = log.length;
  await s.push(blob.desc, streamOf(blob.bytes, 11));
  const methods = since(mark).map((l) => l.split(" ")[0]);
  assert.deepEqual(methods, ["POST", "PATCH", "PATCH", "PATCH", "PATCH", "PATCH", "PUT"]);
  assert.deepEqual(await readStream(await s.fetch(blob.desc)), Buffer.from(blob.bytes));
});

test("a blob up to the chunk size goes up monolithically: POST then PUT ?digest=", async () => {
  const s = store("team/chunked", { chunkSize: 1000 });
  const blob = content(MediaType.ImageLayerGzip, randomBytes(1000, 4));
  const mark = log.length;
  await s.push(blob.desc, blob.bytes);
  const lines = since(mark);
  assert.equal(lines.length, 2);
  assert.match(lines[0] as string, /^POST \/v2\/team\/chunked\/blobs\/uploads\/$/);
  assert.match(lines[1] as string, /^PUT \/v2\/team\/chunked\/blobs\/uploads\/.+[?&]digest=sha256/);
  assert.equal(await s.exists(blob.desc), true);
});

test("without a chunk size, a blob above 1 MiB goes up streamed: POST, then one PUT ?digest= that carries the stream", async () => {
  const s = store("team/streamed");
  const blob = content(MediaType.ImageLayerGzip, randomBytes(3 * 1024 * 1024 + 17, 21));
  let read = 0;
  async function* counted(): AsyncIterable<Uint8Array> {
    for await (const piece of streamOf(blob.bytes, 50)) {
      read += piece.byteLength;
      yield piece;
    }
  }
  const mark = log.length;
  await s.push(blob.desc, counted());
  const lines = since(mark);
  assert.deepEqual(
    lines.map((l) => l.split(" ")[0]),
    ["POST", "PUT"],
  );
  assert.match(
    lines[1] as string,
    /^PUT \/v2\/team\/streamed\/blobs\/uploads\/.+[?&]digest=sha256/,
  );
  assert.equal(read, blob.bytes.byteLength);
  assert.deepEqual(await readStream(await s.fetch(blob.desc)), Buffer.from(blob.bytes));
});

test("a streamed upload whose bytes do not match is refused before its PUT ends: session cancelled, nothing stored", async () => {
  const s = store("team/streamed");
  const claimed = content(MediaType.ImageLayerGzip, randomBytes(2 * 1024 * 1024, 22));
  const mark = log.length;
  await assert.rejects(s.push(claimed.desc, streamOf(randomBytes(2 * 1024 * 1024, 23), 9)), {
    code: "DIGEST_MISMATCH",
  });
  assert.deepEqual(
    since(mark).map((l) => l.split(" ")[0]),
    ["POST", "PUT", "DELETE"],
  );
  assert.equal(await s.exists(claimed.desc), false);
});

test("a streamed upload stops when its signal aborts: the push fails with the reason, nothing stored", async () => {
  const s = store("team/streamed");
  const blob = content(MediaType.ImageLayerGzip, randomBytes(4 * 1024 * 1024, 24));
  const controller = new AbortController();
  const why = new OcicompatError("TIMEOUT", "the test's deadline");
  let pieces = 0;
  async function* aborting(): AsyncIterable<Uint8Array> {
    for await (const piece of streamOf(blob.bytes, 64)) {
      if (++pieces === 8) controller.abort(why);
      yield piece;
    }
  }
  await assert.rejects(
    s.push(blob.desc, aborting(), { signal: controller.signal }),
    (err) => err === why,
  );
  assert.ok(pieces < 64, `all ${pieces} pieces were read`);
  assert.equal(await s.exists(blob.desc), false);
});

test("a stream that does not match its descriptor is refused and nothing is stored", async () => {
  const s = store("team/chunked", { chunkSize: 1000 });
  const real = randomBytes(3000, 5);
  const claimed = content(MediaType.ImageLayerGzip, randomBytes(3000, 6));
  await assert.rejects(s.push(claimed.desc, streamOf(real, 4)), (err: unknown) => {
    assert.ok(err instanceof OcicompatError);
    assert.equal(err.code, "DIGEST_MISMATCH");
    return true;
  });
  assert.equal(await s.exists(claimed.desc), false);
  const short = content(MediaType.ImageLayerGzip, randomBytes(500, 7));
  await assert.rejects(s.push(short.desc, streamOf(randomBytes(400, 7))), {
    code: "SIZE_MISMATCH",
  });
  assert.equal(await s.exists(short.desc), false);
});

test("cross-repository mount links a blob without uploading it", async () => {
  const target = store("team/mounted");
  const mark = log.length;
  assert.equal(await target.mount(amd64.layer.desc, "team/app"), true);
  const lines = since(mark);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0] as string,
    /^POST \/v2\/team\/mounted\/blobs\/uploads\/\?mount=sha256%3A[0-9a-f]{64}&from=team%2Fapp$/,
  );
  assert.ok(!lines.some((l) => l.startsWith("PATCH") || l.startsWith("PUT")));
  assert.equal(await target.exists(amd64.layer.desc), true);
  assert.deepEqual(
    await readStream(await target.fetch(amd64.layer.desc)),
    Buffer.from(amd64.layer.bytes),
  );
});

test("a refused mount leaves an upload session that the next push of the blob reuses", async () => {
  const target = store("team/mounted");
  const blob = content(MediaType.ImageLayerGzip, randomBytes(700, 8));
  const mark = log.length;
  assert.equal(await target.mount(blob.desc, "team/app"), false);
  await target.push(blob.desc, blob.bytes);
  const methods = since(mark).map((l) => l.split(" ")[0]);
  assert.deepEqual(methods, ["POST", "PUT"]);
  assert.equal(await target.exists(blob.desc), true);
});
