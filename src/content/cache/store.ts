// A Store that reads content addressed by digest through the on-disk cache. Only what is named by a
// digest and small enough is cached; resolve() and tags always reach the inner store, because tags
// move. exists() also always asks the inner store: content in this machine's cache says nothing
// about whether a registry repository or layout holds it, and a copy or attach that skipped a push
// on the cache's word would leave a dangling reference behind. Every call's options (its
// AbortSignal) go on to the inner store; a cache hit is cancelled like any other stream.
import { cancellable, throwIfCancelled } from "../cancel.js";
import { canMount, canPeekTag, hasReferrers, knowsReferrersApi, verifying } from "../store.js";
import type { Body, CacheAnswering, ContentDescriptor, Store } from "../store.js";
import { isCacheableDigest } from "./cache-dir.js";
import type { ContentCache } from "./disk.js";

export function withCache(inner: Store, cache: ContentCache): Store & CacheAnswering {
  const cacheable = (desc: ContentDescriptor): boolean =>
    Number.isSafeInteger(desc.size) &&
    desc.size >= 0 &&
    desc.size <= cache.maxEntryBytes &&
    isCacheableDigest(desc.digest);

  const store: Store & CacheAnswering = {
    name: inner.name,
    isCached: async (desc) => cacheable(desc) && (await cache.has(desc.digest)),
    resolve: (reference, options) => inner.resolve(reference, options),
    async fetch(desc, options) {
      const signal = options?.signal;
      throwIfCancelled(signal);
      if (!cacheable(desc)) return inner.fetch(desc, options);
      const cached = await cache.get(desc.digest);
      throwIfCancelled(signal);
      if (cached !== undefined) {
        // The bytes are the digest's content; a descriptor with another size is still refused.
        return cancellable(
          cached.byteLength === desc.size ? once(cached) : verifying(once(cached), desc),
          signal,
        );
      }
      return filling(await inner.fetch(desc, options), desc, cache);
    },
    exists: (desc, options) => inner.exists(desc, options),
    async push(desc, body, options) {
      if (!cacheable(desc)) return inner.push(desc, body, options);
      const copy = copying(body, desc.size);
      await inner.push(desc, copy.body, options);
      const bytes = copy.bytes();
      // The inner store accepted it, so it matches `desc`; content just written is likely read next.
      if (bytes !== undefined) await cache.put(desc.digest, bytes).catch(() => undefined);
    },
    tag: (desc, tag, options) => inner.tag(desc, tag, options),
    listTags: (options) => inner.listTags(options),
  };
  // Keep the inner store's optional abilities visible to the type guards. They are not cached.
  if (hasReferrers(inner)) {
    Object.assign(store, { referrers: inner.referrers.bind(inner) });
  }
  if (canMount(inner)) {
    Object.assign(store, {
      mount: inner.mount.bind(inner),
      ...(inner.openUploadSession
        ? { openUploadSession: inner.openUploadSession.bind(inner) }
        : {}),
      ...(inner.closeUploadSession
        ? { closeUploadSession: inner.closeUploadSession.bind(inner) }
        : {}),
      ...(inner.mountCandidates ? { mountCandidates: inner.mountCandidates.bind(inner) } : {}),
      ...(inner.seenHere ? { seenHere: inner.seenHere.bind(inner) } : {}),
    });
  }
  if (canPeekTag(inner)) {
    Object.assign(store, { taggedDigest: inner.taggedDigest.bind(inner) });
  }
  // Whether a registry's referrers API works is learnt as it is used: read it live.
  if (knowsReferrersApi(inner)) {
    Object.defineProperty(store, "referrersApi", {
      get: () => inner.referrersApi,
      enumerable: true,
    });
  }
  return store;
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/**
 * Passes the inner store's (verified) stream through, keeping a copy; at its end the copy goes to
 * the cache, whose put checks the digest once more: a mismatch there means the inner store broke
 * its contract, and the stream throws DIGEST_MISMATCH instead of ending cleanly.
 */
async function* filling(
  source: AsyncIterable<Uint8Array>,
  desc: ContentDescriptor,
  cache: ContentCache,
): AsyncIterable<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of source) {
    length += chunk.byteLength;
    // Copied: the consumer may reuse or change the chunk it is given.
    if (length <= desc.size) chunks.push(chunk.slice());
    yield chunk;
  }
  if (length === desc.size) await cache.put(desc.digest, Buffer.concat(chunks, length));
}

/** Hands `body` on while keeping a copy of it, up to `limit` bytes. */
function copying(body: Body, limit: number): { body: Body; bytes(): Uint8Array | undefined } {
  if (body instanceof Uint8Array) {
    const copy = body.slice();
    return { body, bytes: () => (copy.byteLength <= limit ? copy : undefined) };
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  let complete = false;
  async function* tee(): AsyncIterable<Uint8Array> {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      length += chunk.byteLength;
      if (length <= limit) chunks.push(chunk.slice());
      yield chunk;
    }
    complete = true;
  }
  return {
    body: tee(),
    bytes: () => (complete && length <= limit ? Buffer.concat(chunks, length) : undefined),
  };
}
