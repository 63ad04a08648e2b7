import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { openCache, withCache, type ContentCache } from "../../src/content/cache.js";
import {
  canMount,
  chunksOf,
  hasReferrers,
  readAll,
  verifying,
  type Body,
  type ContentDescriptor,
  type Store,
} from "../../src/content/store.js";
import { computeDigest } from "../../src/oci/digest.js";
import { isOcicompatError, OcicompatError } from "../../src/oci/errors.js";
import type { Descriptor } from "../../src/oci/schema.js";

const root = mkdtempSync(join(tmpdir(), "ocicompat-cache-store-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshCache = (options: { maxEntryBytes?: number } = {}): ContentCache =>
  openCache({ dir: join(root, `c${++dirs}`), ...options });

const MANIFEST = "application/vnd.oci.image.manifest.v1+json";

function content(
  text: string,
  mediaType = MANIFEST,
): { desc: ContentDescriptor; bytes: Uint8Array } {
  const bytes = new TextEncoder().encode(text);
  return { desc: { mediaType, digest: computeDigest(bytes), size: bytes.byteLength }, bytes };
}

/** An in-memory store that counts calls. It verifies what it serves, as the Store contract says. */
class CountingStore implements Store {
  readonly name = "counting";
  readonly blobs = new Map<string, Uint8Array>();
  readonly tags = new Map<string, ContentDescriptor>();
  readonly calls = { resolve: 0, fetch: 0, exists: 0, push: 0, tag: 0 };
  /** When set, fetch serves these bytes unverified (a store breaking its contract). */
  lie: Uint8Array | undefined;

  add(item: { desc: ContentDescriptor; bytes: Uint8Array }): void {
    this.blobs.set(item.desc.digest, item.bytes);
  }
  async resolve(reference: string): Promise<ContentDescriptor> {
    this.calls.resolve++;
    const desc = this.tags.get(reference);
    if (!desc) throw new OcicompatError("NOT_FOUND", `no tag ${reference}`);
    return desc;
  }
  async fetch(desc: ContentDescriptor): Promise<AsyncIterable<Uint8Array>> {
    this.calls.fetch++;
    if (this.lie) return chunksOf(this.lie);
    const bytes = this.blobs.get(desc.digest);
    if (!bytes) throw new OcicompatError("NOT_FOUND", "no such content", { subject: desc.digest });
    // Two chunks, to exercise reassembly.
    const half = Math.floor(bytes.byteLength / 2);
    return verifying(chunksOf(asyncChunks([bytes.slice(0, half), bytes.slice(half)])), desc);
  }
  async exists(desc: ContentDescriptor): Promise<boolean> {
    this.calls.exists++;
    return this.blobs.has(desc.digest);
  }
  async push(desc: ContentDescriptor, body: Body): Promise<void> {
    this.calls.push++;
    const bytes = await readAll(verifying(chunksOf(body), desc), 1 << 30);
    this.blobs.set(desc.digest, bytes);
  }
  async tag(desc: ContentDescriptor, tag: string): Promise<void> {
    this.calls.tag++;
    this.tags.set(tag, desc);
  }
  async listTags(): Promise<string[]> {
    return [...this.tags.keys()];
  }
}

async function* asyncChunks(chunks: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* chunks;
}

const read = async (store: Store, desc: ContentDescriptor): Promise<Buffer> =>
  Buffer.from(await readAll(await store.fetch(desc), 1 << 30));

describe("withCache", () => {
  test("a second fetch of the same digest is served from the cache, without the inner store", async () => {
    const inner = new CountingStore();
    const item = content('{"schemaVersion":2,"layers":[]}');
    inner.add(item);
    const store = withCache(inner, freshCache());
    assert.ok((await read(store, item.desc)).equals(item.bytes));
    assert.ok((await read(store, item.desc)).equals(item.bytes));
    assert.equal(inner.calls.fetch, 1);
  });

  test("a warm run (a new cache object on the same directory) needs no content request", async () => {
    const inner = new CountingStore();
    const item = content('{"architecture":"amd64"}');
    inner.add(item);
    const cold = freshCache();
    await read(withCache(inner, cold), item.desc);
    const warm = withCache(inner, openCache({ dir: cold.dir }));
    assert.ok((await read(warm, item.desc)).equals(item.bytes));
    assert.equal(inner.calls.fetch, 1);
  });

  test("resolve always asks the inner store, because tags move", async () => {
    const inner = new CountingStore();
    const item = content("{}");
    inner.add(item);
    await inner.tag(item.desc, "latest");
    const store = withCache(inner, freshCache());
    assert.deepEqual(await store.resolve("latest"), item.desc);
    assert.deepEqual(await store.resolve("latest"), item.desc);
    assert.equal(inner.calls.resolve, 2);
  });

  test("content larger than maxEntryBytes always comes from the inner store and is not cached", async () => {
    const inner = new CountingStore();
    const item = content("l".repeat(100), "application/vnd.oci.image.layer.v1.tar");
    inner.add(item);
    const cache = freshCache({ maxEntryBytes: 99 });
    const store = withCache(inner, cache);
    await read(store, item.desc);
    await read(store, item.desc);
    assert.equal(inner.calls.fetch, 2);
    assert.equal(await cache.has(item.desc.digest), false);
  });

  test("a corrupt cache entry is dropped and the inner store is asked again, refilling the cache", async () => {
    const inner = new CountingStore();
    const item = content('{"config":{}}');
    inner.add(item);
    const cache = freshCache();
    const store = withCache(inner, cache);
    await read(store, item.desc);
    const path = join(cache.dir, "blobs", "sha256", item.desc.digest.slice(7));
    chmodSync(path, 0o644);
    writeFileSync(path, '{"config":{"evil":1}}');
    assert.ok((await read(store, item.desc)).equals(item.bytes));
    assert.equal(inner.calls.fetch, 2);
    assert.equal(cache.diagnostics()[0]?.kind, "corrupt");
    assert.ok((await read(store, item.desc)).equals(item.bytes));
    assert.equal(inner.calls.fetch, 2, "the refilled entry serves the third fetch");
  });

  test("an inner store serving wrong bytes makes the stream throw DIGEST_MISMATCH and caches nothing", async () => {
    const inner = new CountingStore();
    const item = content('{"honest":true}');
    inner.lie = new TextEncoder().encode('{"honest":false}').slice(0, item.bytes.byteLength);
    const cache = freshCache();
    await assert.rejects(
      read(withCache(inner, cache), item.desc),
      (err) => isOcicompatError(err) && err.code === "DIGEST_MISMATCH",
    );
    assert.equal(await cache.has(item.desc.digest), false);
  });

  test("a cached entry fetched with a descriptor of the wrong size fails with SIZE_MISMATCH", async () => {
    const inner = new CountingStore();
    const item = content("sized");
    inner.add(item);
    const store = withCache(inner, freshCache());
    await read(store, item.desc);
    await assert.rejects(
      read(store, { ...item.desc, size: item.desc.size + 1 }),
      (err) => isOcicompatError(err) && err.code === "SIZE_MISMATCH",
    );
  });

  test("a consumer that stops reading early leaves nothing in the cache", async () => {
    const inner = new CountingStore();
    const item = content("partial read ".repeat(10));
    inner.add(item);
    const cache = freshCache();
    for await (const chunk of await withCache(inner, cache).fetch(item.desc)) {
      assert.ok(chunk.byteLength > 0);
      break;
    }
    assert.equal(await cache.has(item.desc.digest), false);
  });

  test("exists always asks the inner store: the local cache says nothing about the repository", async () => {
    const item = content("only cached");
    const cache = freshCache();
    await cache.put(item.desc.digest, item.bytes);
    const inner = new CountingStore();
    assert.equal(await withCache(inner, cache).exists(item.desc), false);
    assert.equal(inner.calls.exists, 1);
  });

  test("pushed content (bytes or a stream) goes to the inner store and then serves fetches from the cache", async () => {
    const inner = new CountingStore();
    const store = withCache(inner, freshCache());
    const fromBytes = content('{"pushed":"bytes"}');
    const fromStream = content('{"pushed":"stream"}');
    await store.push(fromBytes.desc, fromBytes.bytes);
    await store.push(
      fromStream.desc,
      asyncChunks([fromStream.bytes.slice(0, 3), fromStream.bytes.slice(3)]),
    );
    assert.equal(inner.calls.push, 2);
    assert.ok(inner.blobs.has(fromBytes.desc.digest) && inner.blobs.has(fromStream.desc.digest));
    assert.ok((await read(store, fromBytes.desc)).equals(fromBytes.bytes));
    assert.ok((await read(store, fromStream.desc)).equals(fromStream.bytes));
    assert.equal(inner.calls.fetch, 0);
  });

  test("a push the inner store refuses leaves nothing in the cache", async () => {
    const inner = new CountingStore();
    const cache = freshCache();
    const item = content("right");
    await assert.rejects(
      withCache(inner, cache).push(item.desc, new TextEncoder().encode("wrong")),
      (err) => isOcicompatError(err),
    );
    assert.equal(await cache.has(item.desc.digest), false);
  });

  test("tag and listTags pass through to the inner store", async () => {
    const inner = new CountingStore();
    const store = withCache(inner, freshCache());
    const item = content("{}");
    await store.tag(item.desc, "v1");
    assert.equal(inner.calls.tag, 1);
    assert.deepEqual(await store.listTags(), ["v1"]);
    assert.equal(store.name, inner.name);
  });

  test("optional abilities of the inner store stay visible to the type guards, and only those", async () => {
    const plain = withCache(new CountingStore(), freshCache());
    assert.equal(hasReferrers(plain), false);
    assert.equal(canMount(plain), false);

    const found: Descriptor[] = [
      { mediaType: MANIFEST, digest: computeDigest(new Uint8Array()), size: 0 },
    ];
    class Capable extends CountingStore {
      async referrers(): Promise<Descriptor[]> {
        return found;
      }
      async mount(): Promise<boolean> {
        return true;
      }
    }
    const wrapped = withCache(new Capable(), freshCache());
    assert.ok(hasReferrers(wrapped));
    assert.ok(canMount(wrapped));
    assert.deepEqual(await wrapped.referrers(content("s").desc), found);
    assert.equal(await wrapped.mount(content("m").desc, "other/repo"), true);
    assert.equal("referrersApi" in plain, false);
    assert.equal("referrersApi" in wrapped, false);
  });

  test("a registry's live referrers-API state shows through the cache", () => {
    class Registryish extends CountingStore {
      referrersApi: boolean | undefined = undefined;
      async referrers(): Promise<Descriptor[]> {
        return [];
      }
    }
    const inner = new Registryish();
    const wrapped = withCache(inner, freshCache()) as Store & { referrersApi?: boolean };
    assert.equal(wrapped.referrersApi, undefined);
    inner.referrersApi = true;
    assert.equal(wrapped.referrersApi, true, "learnt after the wrapper was made");
  });

  test("an unusable cache directory only costs the cache: fetches still work, with a diagnostic", async () => {
    const file = join(root, `file${++dirs}`);
    writeFileSync(file, "not a directory");
    const cache = openCache({ dir: join(file, "cache") });
    const inner = new CountingStore();
    const item = content('{"still":"works"}');
    inner.add(item);
    const store = withCache(inner, cache);
    assert.ok((await read(store, item.desc)).equals(item.bytes));
    assert.ok((await read(store, item.desc)).equals(item.bytes));
    assert.equal(inner.calls.fetch, 2);
    assert.ok(cache.diagnostics().some((w) => w.operation === "put" && w.code === "ENOTDIR"));
    assert.equal(existsSync(join(file, "cache")), false);
  });

  test("no temp files are left after filling the cache through fetches", async () => {
    const inner = new CountingStore();
    const cache = freshCache();
    const store = withCache(inner, cache);
    const items = Array.from({ length: 10 }, (_, i) => content(`{"n":${i}}`));
    for (const item of items) inner.add(item);
    await Promise.all(items.map((item) => read(store, item.desc)));
    assert.deepEqual(readdirSync(join(cache.dir, "tmp")), []);
    assert.deepEqual(await cache.stats(), {
      entries: 10,
      bytes: items.reduce((sum, item) => sum + item.desc.size, 0),
    });
  });

  test("a call's signal reaches the inner store, and a cache hit is cancelled like any stream", async () => {
    const inner = new CountingStore();
    const item = content('{"schemaVersion":2,"layers":["signal"]}');
    inner.add(item);
    const seen: (AbortSignal | undefined)[] = [];
    const fetch = inner.fetch.bind(inner);
    inner.fetch = (desc, options?: { signal?: AbortSignal | undefined }) => {
      seen.push(options?.signal);
      return fetch(desc);
    };
    const store = withCache(inner, freshCache());
    const controller = new AbortController();
    assert.ok((await read(store, item.desc)).equals(item.bytes));
    const why = new OcicompatError("TIMEOUT", "the test's deadline");
    const hit = await store.fetch(item.desc, { signal: controller.signal });
    controller.abort(why);
    await assert.rejects(readAll(hit, 1 << 20), (err) => err === why);
    await assert.rejects(
      store.fetch(item.desc, { signal: controller.signal }),
      (err) => err === why,
    );
    const uncached = content("x".repeat(64), "application/octet-stream");
    inner.add(uncached);
    const fresh = new AbortController();
    await read(withCache(inner, freshCache({ maxEntryBytes: 1 })), uncached.desc);
    await withCache(inner, freshCache({ maxEntryBytes: 1 })).fetch(uncached.desc, {
      signal: fresh.signal,
    });
    assert.equal(seen.at(-1), fresh.signal);
  });
});
