import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createMemoryStore } from "../../src/content/memory.js";
import { computeDigest } from "../../src/oci/digest.js";
import { OcicompatError } from "../../src/oci/errors.js";
import { MediaType } from "../../src/oci/media-types.js";
import {
  assertHolds,
  blob,
  fetchAll,
  pushAll,
  rejectsWith,
  sampleImage,
} from "./layout-support.js";

describe("MemoryStore", () => {
  test("a multi-platform image pushed and tagged reads back byte for byte", async () => {
    const store = createMemoryStore();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "v1");
    assert.deepEqual(await store.resolve("v1"), image.index.desc);
    await assertHolds(store, image);
    assert.deepEqual(store.digests(), image.blobs.map((b) => b.desc.digest).sort());
  });

  test("its name defaults to memory and can be chosen", () => {
    assert.equal(createMemoryStore().name, "memory");
    assert.equal(createMemoryStore("cache").name, "cache");
  });

  test("resolve by digest returns the descriptor the content was pushed with", async () => {
    const store = createMemoryStore();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    assert.deepEqual(
      await store.resolve(image.manifests[0]!.desc.digest),
      image.manifests[0]!.desc,
    );
  });

  test("listTags lists tags in the order they were first set", async () => {
    const store = createMemoryStore();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "b");
    await store.tag(image.manifests[0]!.desc, "a");
    await store.tag(image.manifests[1]!.desc, "b");
    assert.deepEqual(await store.listTags(), ["b", "a"]);
    assert.equal((await store.resolve("b")).digest, image.manifests[1]!.desc.digest);
  });

  test("push with a wrong digest is DIGEST_MISMATCH and stores nothing", async () => {
    const store = createMemoryStore();
    const good = blob(MediaType.ImageConfig, "{}");
    const wrong = { ...good.desc, digest: computeDigest(Buffer.from("[]")) };
    await rejectsWith(store.push(wrong, good.bytes), "DIGEST_MISMATCH");
    assert.equal(await store.exists(wrong), false);
    assert.deepEqual(store.digests(), []);
  });

  test("push with a wrong size is SIZE_MISMATCH and stores nothing", async () => {
    const store = createMemoryStore();
    const good = blob(MediaType.ImageConfig, "{}");
    await rejectsWith(store.push({ ...good.desc, size: 1 }, good.bytes), "SIZE_MISMATCH");
    await rejectsWith(store.push({ ...good.desc, size: 5 }, good.bytes), "SIZE_MISMATCH");
    assert.deepEqual(store.digests(), []);
  });

  test("a body that fails midway stores nothing", async () => {
    const store = createMemoryStore();
    const good = blob(MediaType.ImageLayer, Buffer.alloc(1000, 1));
    async function* failing() {
      yield good.bytes.subarray(0, 10);
      throw new Error("reset");
    }
    await assert.rejects(store.push(good.desc, failing()), /reset/);
    assert.deepEqual(store.digests(), []);
  });

  test("fetch streams large content in several verified chunks", async () => {
    const store = createMemoryStore();
    const big = blob(MediaType.ImageLayer, Buffer.alloc(200_000, 3));
    await store.push(big.desc, big.bytes);
    let chunks = 0;
    for await (const chunk of await store.fetch(big.desc)) {
      chunks++;
      assert.ok(chunk.byteLength <= 64 * 1024);
    }
    assert.ok(chunks > 1);
  });

  test("fetch with a descriptor of the wrong size fails verification", async () => {
    const store = createMemoryStore();
    const b = blob(MediaType.ImageConfig, '{"a":1}');
    await store.push(b.desc, b.bytes);
    // Same digest, smaller size: the store has the digest, so the stream is checked and fails.
    await rejectsWith(fetchAll(store, { ...b.desc, size: 3 }), "SIZE_MISMATCH");
  });

  test("changing the pushed buffer afterwards does not change the stored content", async () => {
    const store = createMemoryStore();
    const b = blob(MediaType.ImageConfig, '{"a":1}');
    const mine = Buffer.from(b.bytes);
    await store.push(b.desc, mine);
    mine.fill(0);
    assert.deepEqual(await fetchAll(store, b.desc), b.bytes);
  });

  test("fetch of missing content is NOT_FOUND naming the digest", async () => {
    const store = createMemoryStore("mem");
    const b = blob(MediaType.ImageConfig, "{}");
    await rejectsWith(
      store.fetch(b.desc),
      "NOT_FOUND",
      new RegExp(`${b.desc.digest} is not in mem`),
    );
  });

  test("resolve of an unknown tag is NOT_FOUND listing the tags there are", async () => {
    const store = createMemoryStore();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "v1");
    await rejectsWith(store.resolve("v2"), "NOT_FOUND", /tag "v2".*its tags: v1/);
  });

  test("tagging content that is not stored is NOT_FOUND", async () => {
    const store = createMemoryStore();
    const image = sampleImage();
    await rejectsWith(store.tag(image.index.desc, "v1"), "NOT_FOUND", /push it first/);
    assert.deepEqual(await store.listTags(), []);
  });

  test("an empty tag or one with @ or spaces is INVALID_REFERENCE", async () => {
    const store = createMemoryStore();
    const b = blob(MediaType.ImageConfig, "{}");
    await store.push(b.desc, b.bytes);
    for (const bad of ["", "a@b", "a b"]) {
      await rejectsWith(store.tag(b.desc, bad), "INVALID_REFERENCE");
    }
  });

  test("an aborted signal refuses every call with its reason, and a fetched stream stops at its next chunk", async () => {
    const store = createMemoryStore();
    const big = blob(MediaType.ImageLayerGzip, Buffer.alloc(300 * 1024, 7));
    await store.push(big.desc, big.bytes);
    const controller = new AbortController();
    const stream = (await store.fetch(big.desc, { signal: controller.signal }))[
      Symbol.asyncIterator
    ]();
    assert.equal((await stream.next()).done, false);
    const why = new OcicompatError("TIMEOUT", "the test's deadline");
    controller.abort(why);
    await assert.rejects(stream.next(), (err) => err === why);
    const signal = controller.signal;
    const other = blob(MediaType.ImageLayerGzip, "other");
    for (const call of [
      () => store.resolve(big.desc.digest, { signal }),
      () => store.fetch(big.desc, { signal }),
      () => store.exists(big.desc, { signal }),
      () => store.push(other.desc, other.bytes, { signal }),
      () => store.tag(big.desc, "t", { signal }),
      () => store.listTags({ signal }),
    ]) {
      await assert.rejects(call(), (err) => err === why);
    }
    assert.equal(await store.exists(other.desc), false);
    await assert.rejects(store.resolve("t"), { code: "NOT_FOUND" });
  });

  test("a plain abort() is CANCELLED", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(createMemoryStore().listTags({ signal: controller.signal }), {
      code: "CANCELLED",
    });
  });
});
