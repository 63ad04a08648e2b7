// One interface for every place content lives: a registry repository, an OCI layout directory,
// an OCI archive, memory. Small and read-mostly, like go-containerregistry's; optional abilities
// (referrers, cross-repository mount) sit behind type guards rather than failing at run time.
import { createDigester, registeredAlgorithmOf } from "../oci/digest.js";
import { isOcicompatError, OcicompatError } from "../oci/errors.js";
import { IndexMediaTypes, ManifestMediaTypes } from "../oci/media-types.js";
import type { Descriptor } from "../oci/schema.js";

/** What a store needs to know about a piece of content. */
export type ContentDescriptor = Pick<Descriptor, "mediaType" | "digest" | "size"> &
  Partial<Pick<Descriptor, "annotations" | "artifactType" | "urls" | "data">>;

export type Body = Uint8Array | AsyncIterable<Uint8Array>;

/**
 * `source`, plus a way to let go of what backs it without reading it: a stream fetched but never
 * consumed (its push was refused before the first byte) would otherwise hold its connection open
 * forever. `return()` releases whether or not iteration began; ending normally releases too.
 */
export function releasing(
  source: AsyncIterable<Uint8Array>,
  release: () => void,
): AsyncIterableIterator<Uint8Array> {
  let inner: AsyncIterator<Uint8Array> | undefined;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    release();
  };
  const self: AsyncIterableIterator<Uint8Array> = {
    [Symbol.asyncIterator]: () => self,
    async next() {
      if (finished) return { done: true, value: undefined };
      inner ??= source[Symbol.asyncIterator]();
      try {
        const step = await inner.next();
        if (step.done) finish();
        return step;
      } catch (err) {
        finish();
        throw err;
      }
    },
    async return() {
      try {
        await inner?.return?.();
      } finally {
        finish();
      }
      return { done: true, value: undefined };
    },
  };
  return carryVerification(source, self);
}

/** Lets go of a body that will not be read (or not to the end): see `releasing`. */
export async function release(body: Body): Promise<void> {
  if (body instanceof Uint8Array) return;
  await body[Symbol.asyncIterator]().return?.();
}

/**
 * Per-call options of every store method. `signal` cancels the call: a store stops waiting, lets
 * go of what it holds and rejects with the signal's reason (a stream already returned by `fetch`
 * stops too). Implementations may take fewer parameters; callers always may pass them.
 */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

export interface Store {
  /** For messages: `registry.example/team/app`, `oci:./layout`, `oci-archive:./x.tar`. */
  readonly name: string;
  /**
   * Reading costs no request (a layout, an archive, memory): a copy may read content before it
   * knows it needs it. Unset for a registry, where each read is a round trip and may be metered.
   */
  readonly local?: boolean;
  /** A tag or a digest in this store → the descriptor of the manifest or index it names. */
  resolve(reference: string, options?: CallOptions): Promise<ContentDescriptor>;
  /**
   * The content, streamed and verified while reading: the stream throws SIZE_MISMATCH as soon
   * as it runs past `size`, and DIGEST_MISMATCH or SIZE_MISMATCH at the end.
   */
  fetch(desc: ContentDescriptor, options?: CallOptions): Promise<AsyncIterable<Uint8Array>>;
  exists(desc: ContentDescriptor, options?: CallOptions): Promise<boolean>;
  /** Stores content; it must match `desc` or nothing is stored. */
  push(desc: ContentDescriptor, body: Body, options?: CallOptions): Promise<void>;
  /** Points `tag` at content already in the store. */
  tag(desc: ContentDescriptor, tag: string, options?: CallOptions): Promise<void>;
  listTags(options?: CallOptions): Promise<string[]>;
}

export interface ReferrersCapable {
  /** Manifests whose `subject` is `subject`, optionally of one artifactType. */
  referrers(
    subject: ContentDescriptor,
    artifactType?: string,
    options?: CallOptions,
  ): Promise<Descriptor[]>;
}

/** A store that can say what a tag names with one cheap request (a registry's HEAD). */
export interface TagPeekCapable {
  /**
   * The digest `tag` names now; null when the tag is absent; undefined when the answer does not
   * say (then ask with `resolve`, which explains).
   */
  taggedDigest(tag: string, options?: CallOptions): Promise<string | null | undefined>;
}

export interface TagCompleteOptions {
  /** Check only `desc` and these, not the whole graph below `desc`. */
  only?: readonly ContentDescriptor[];
  /** The digest the tag must still name, else CONFLICT. */
  replacing?: string;
}

export interface CompleteTagCapable {
  /**
   * Tags `desc` only if its whole graph (or what `only` names) is present, atomically with
   * respect to collection and to other taggers.
   */
  tagComplete(
    desc: ContentDescriptor,
    tag: string,
    options?: TagCompleteOptions & CallOptions,
  ): Promise<unknown>;
}

export function canTagComplete(store: Store): store is Store & CompleteTagCapable {
  return typeof (store as Partial<CompleteTagCapable>).tagComplete === "function";
}

export interface MountCapable {
  /** Asks the store to link a blob from another repository of the same registry. */
  mount(desc: ContentDescriptor, fromRepository: string, options?: CallOptions): Promise<boolean>;
  /**
   * Opens the upload session the next push of `desc` uses, so that the destination is ready when
   * the bytes are (a copy opens it while it waits for the source); a no-op when one is open.
   */
  openUploadSession?(desc: ContentDescriptor, options?: CallOptions): Promise<void>;
  /**
   * Closes the upload session opened for `desc` before its push (by a refused mount or by
   * `openUploadSession`) when no push of `desc` follows.
   */
  closeUploadSession?(desc: ContentDescriptor, options?: CallOptions): Promise<void>;
  /** Repositories the store knows to hold `desc` (a blob location memory), best first. */
  mountCandidates?(desc: ContentDescriptor): readonly string[];
  /**
   * Whether that memory saw `desc` in this repository itself: undefined where there is none.
   * A copy mounts a blob remembered elsewhere and not here without asking for it first.
   */
  seenHere?(desc: ContentDescriptor): boolean | undefined;
}

/**
 * A store that writes manifests itself, under their digest or a tag in one request (a registry:
 * PUT by tag, where push() then tag() are two), and reports whether it indexed the manifest's
 * subject (`OCI-Subject`). attach writes through it; a copy writes its root that way.
 */
export interface ManifestPusher {
  pushManifest(
    desc: ContentDescriptor,
    bytes: Uint8Array,
    tag?: string,
    options?: CallOptions,
  ): Promise<{ subjectAccepted: boolean }>;
}

export function isManifestPusher(store: Store): store is Store & ManifestPusher {
  return typeof (store as Partial<ManifestPusher>).pushManifest === "function";
}

/** A store that reads a manifest by tag in one request (a registry's GET): resolve and fetch. */
export interface ManifestGetCapable {
  /** The manifest or index `reference` names, and its bytes, verified. */
  getManifest(
    reference: string,
    options?: CallOptions,
  ): Promise<{ descriptor: ContentDescriptor; bytes: Uint8Array }>;
}

export function canGetManifest(store: Store): store is Store & ManifestGetCapable {
  return typeof (store as Partial<ManifestGetCapable>).getManifest === "function";
}

export function hasReferrers(store: Store): store is Store & ReferrersCapable {
  return typeof (store as Partial<ReferrersCapable>).referrers === "function";
}

export function canPeekTag(store: Store): store is Store & TagPeekCapable {
  return typeof (store as Partial<TagPeekCapable>).taggedDigest === "function";
}

/**
 * A registry repository learns, as it is used, whether its registry has the referrers API
 * (undefined: not yet known). Layouts and archives have no such API, whatever referrers() says.
 */
export interface ReferrersApiAware {
  readonly referrersApi: boolean | undefined;
}

export function knowsReferrersApi(store: Store): store is Store & ReferrersApiAware {
  return "referrersApi" in store;
}

/**
 * A store that answers some fetches from a local cache (content/cache/store.ts). `isCached` says
 * whether a fetch of `desc` would be answered without asking the source, which is then the only
 * case in which a reader that must know the source still serves it has to ask separately.
 */
export interface CacheAnswering {
  isCached(desc: ContentDescriptor): Promise<boolean>;
}

export function answersFromCache(store: Store): store is Store & CacheAnswering {
  return typeof (store as Partial<CacheAnswering>).isCached === "function";
}

export function canMount(store: Store): store is Store & MountCapable {
  return typeof (store as Partial<MountCapable>).mount === "function";
}

/** Manifests and indexes go to manifest endpoints; everything else is a blob. */
export function isManifestType(mediaType: string): boolean {
  return ManifestMediaTypes.has(mediaType) || IndexMediaTypes.has(mediaType);
}

/** `body` as a stream: bytes as one chunk, a stream as it is (with any verification mark). */
export function chunksOf(body: Body): AsyncIterable<Uint8Array> {
  return body instanceof Uint8Array ? oneChunk(body) : body;
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

const VERIFIED = Symbol("ocicompat.verifiedDigest");

/**
 * Marks `stream` as one that is checked against `digest` (and its size) while it is read, so that
 * whoever writes it need not hash the same bytes a second time: a copy would otherwise hash every
 * blob twice, once in the source's fetch and once in the destination's push. Only `verifying()`
 * and wrappers that pass every byte through unchanged (`carryVerification`) may carry the mark.
 */
function markVerified<T extends AsyncIterable<Uint8Array>>(stream: T, digest: string): T {
  Object.defineProperty(stream, VERIFIED, { value: digest });
  return stream;
}

/** Whether `body` is a stream already being checked against `desc` as it is read. */
export function isVerifiedFor(body: Body, desc: ContentDescriptor): boolean {
  return (
    !(body instanceof Uint8Array) && (body as { [VERIFIED]?: string })[VERIFIED] === desc.digest
  );
}

/**
 * `outer`, marked as verified when `inner` is: for wrappers that pass `inner`'s bytes through
 * unchanged (progress counting, cancellation, error attribution).
 */
export function carryVerification<T extends AsyncIterable<Uint8Array>>(
  inner: AsyncIterable<Uint8Array>,
  outer: T,
): T {
  const digest = (inner as { [VERIFIED]?: string })[VERIFIED];
  return digest === undefined ? outer : markVerified(outer, digest);
}

/**
 * `source` checked against `desc` while it is read; a stream that is already checked against it
 * is passed on as it is.
 */
export function verifying(
  source: AsyncIterable<Uint8Array>,
  desc: ContentDescriptor,
): AsyncIterable<Uint8Array> {
  if (isVerifiedFor(source, desc)) return source;
  return markVerified(checked(source, desc), desc.digest);
}

async function* checked(
  source: AsyncIterable<Uint8Array>,
  desc: ContentDescriptor,
): AsyncIterable<Uint8Array> {
  const digester = createDigester(registeredAlgorithmOf(desc.digest));
  let seen = 0;
  for await (const chunk of source) {
    seen += chunk.byteLength;
    if (seen > desc.size) {
      throw new OcicompatError(
        "SIZE_MISMATCH",
        `content is longer than the descriptor's size ${desc.size}`,
        { subject: desc.digest },
      );
    }
    digester.update(chunk);
    yield chunk;
  }
  if (seen !== desc.size) {
    throw new OcicompatError(
      "SIZE_MISMATCH",
      `content is ${seen} bytes, the descriptor says ${desc.size}`,
      { subject: desc.digest },
    );
  }
  const actual = digester.digest();
  if (actual !== desc.digest) {
    throw new OcicompatError(
      "DIGEST_MISMATCH",
      `content digest is ${actual}, expected ${desc.digest}`,
      { subject: desc.digest },
    );
  }
}

/** Reads a whole (small) stream, refusing more than `maxBytes`. */
export async function readAll(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
  subject?: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of source) {
    length += chunk.byteLength;
    if (length > maxBytes) {
      throw new OcicompatError(
        "TOO_LARGE",
        `content is larger than the ${maxBytes}-byte limit`,
        subject ? { subject } : undefined,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

/** The bytes of small content (manifests, configs), verified; refuses sizes over `maxBytes`. */
export async function fetchBytes(
  store: Store,
  desc: ContentDescriptor,
  maxBytes = 4 * 1024 * 1024,
  options?: CallOptions,
): Promise<Uint8Array> {
  if (desc.size > maxBytes) {
    throw new OcicompatError(
      "TOO_LARGE",
      `${desc.mediaType} is ${desc.size} bytes; the limit is ${maxBytes}`,
      { subject: desc.digest },
    );
  }
  return readAll(await store.fetch(desc, options), maxBytes, desc.digest);
}

/** The descriptor and bytes a tag names, or undefined when the tag does not exist. */
export async function readTagged(
  store: Store,
  tag: string,
  options?: CallOptions,
): Promise<{ descriptor: ContentDescriptor; bytes: Uint8Array } | undefined> {
  if (canGetManifest(store)) {
    // A registry: one GET, whose 404 is the answer (a HEAD's 404 is not trusted: some
    // registries answer HEAD wrongly, and reading a referrers index as absent would drop its
    // other referrers).
    try {
      return await store.getManifest(tag, options);
    } catch (err) {
      if (isOcicompatError(err) && err.code === "NOT_FOUND") return undefined;
      throw err;
    }
  }
  let descriptor: ContentDescriptor;
  try {
    descriptor = await store.resolve(tag, options);
  } catch (err) {
    if (isOcicompatError(err) && err.code === "NOT_FOUND") return undefined;
    throw err;
  }
  return { descriptor, bytes: await fetchBytes(store, descriptor, undefined, options) };
}
