// What keeps a piece of compat content alive in a store, as `verify --gc` and `protect` see it:
//
//   compat-tag     the `sha256-<subject hex>.compat` tag names it (survives distribution 2.8's
//                  `garbage-collect --delete-untagged`);
//   keep-tag       the `sha256-<hex>.keep` tag of the content the index entry names (the compat
//                  manifest, or the Proposal J blob) names it; re-attach leaves one on the compat
//                  manifest the `.compat` tag moves away from (survives `--delete-untagged`);
//   referrers-api  the registry's referrers API lists it for its subject;
//   referrers-tag  the referrers fallback index `sha256-<subject hex>` lists it. Weak: 2.8 deletes
//                  untagged manifests even when a tagged index lists them;
//   root           a layout's index.json lists it (every layout GC keeps its roots).
//
// A Proposal J blob is kept by a manifest that lists it (a keeper); the keeper's anchors are what
// keep both alive.
import { isRegistryError } from "../../content/registry/errors.js";
import {
  fetchBytes,
  hasReferrers,
  isManifestType,
  knowsReferrersApi,
  readTagged,
  type ContentDescriptor,
  type Store,
} from "../../content/store.js";
import { settleAll } from "../../content/limit.js";
import { isOcicompatError } from "../../oci/errors.js";
import { parseIJson } from "../../oci/ijson.js";
import { ManifestMediaTypes, MediaType } from "../../oci/media-types.js";
import type { IndexEntry } from "../../oci/schema.js";
import { compatTag, fallbackTag, keepTag } from "../anchors.js";
import { isObject } from "../../oci/json-value.js";

export type AnchorKind = "compat-tag" | "keep-tag" | "referrers-api" | "referrers-tag" | "root";

export interface Anchor {
  kind: AnchorKind;
  /** The tag, or for the referrers API the subject digest. */
  name: string;
  /** Does not survive distribution 2.8's `garbage-collect --delete-untagged`. */
  weak?: boolean;
}

/** The descriptor a tag names, or undefined when there is no such tag. */
export async function resolveTag(
  store: Store,
  tag: string,
): Promise<ContentDescriptor | undefined> {
  try {
    return await store.resolve(tag);
  } catch (err) {
    if (isOcicompatError(err) && err.code === "NOT_FOUND") return undefined;
    throw err;
  }
}

interface RootsCapable {
  roots(): Promise<IndexEntry[]>;
}

function hasRoots(store: Store): store is Store & RootsCapable {
  return typeof (store as Partial<RootsCapable>).roots === "function";
}

/** What `read` gives for `key`: read at the first ask, and that same answer for every later one. */
function readOnce<T>(
  cache: Map<string, Promise<T>>,
  key: string,
  read: () => Promise<T>,
): Promise<T> {
  let found = cache.get(key);
  if (found === undefined) {
    found = read();
    cache.set(key, found);
  }
  return found;
}

/** Reads what finding anchors needs, once per subject, for a store. */
export class AnchorFinder {
  readonly #fallback = new Map<string, Promise<ContentDescriptor[]>>();
  readonly #api = new Map<string, Promise<ContentDescriptor[] | undefined>>();
  readonly #tags = new Map<string, Promise<ContentDescriptor | undefined>>();
  #roots: Promise<IndexEntry[]> | undefined;

  constructor(readonly store: Store) {}

  /** Counts forget() calls: a read that began before one must not fill the caches after it. */
  #generation = 0;

  /** Forgets what was read about `subject`'s anchors, after a write changed them. */
  forget(subject: string): void {
    this.#generation += 1;
    this.#tags.delete(compatTag(subject));
    this.#fallback.delete(subject);
    this.#api.delete(subject);
    this.#roots = undefined;
  }

  compatTagTarget(subject: string): Promise<ContentDescriptor | undefined> {
    return this.tagTarget(compatTag(subject));
  }

  /**
   * What the `.compat` tag of `subject` names now, read afresh (not what was read before). Read
   * with one GET: protect asks only when the tag did not name what it protects, so it is usually
   * absent, and a HEAD's 404 would need a GET to be trusted.
   */
  freshCompatTagTarget(subject: string): Promise<ContentDescriptor | undefined> {
    const tag = compatTag(subject);
    const found = readTagged(this.store, tag).then((read) => read?.descriptor);
    this.#tags.set(tag, found);
    return found;
  }

  /** What the keep tag of `digest` names, if it exists. */
  keepTagTarget(digest: string): Promise<ContentDescriptor | undefined> {
    return this.tagTarget(keepTag(digest));
  }

  /** What `tag` names, if it exists; read once, for every caller that asks. */
  tagTarget(tag: string): Promise<ContentDescriptor | undefined> {
    return readOnce(this.#tags, tag, () => resolveTag(this.store, tag));
  }

  /** The manifests the fallback index `sha256-<subject hex>` lists (none when it is absent). */
  fallbackListed(subject: string): Promise<ContentDescriptor[]> {
    return readOnce(this.#fallback, subject, () => this.#readFallback(subject));
  }

  async #readFallback(subject: string): Promise<ContentDescriptor[]> {
    // One GET on a registry: the index is usually absent, and resolving first cost a HEAD and,
    // when absent, a GET as well.
    const read = await readTagged(this.store, fallbackTag(subject));
    if (read === undefined || read.descriptor.mediaType !== MediaType.ImageIndex) return [];
    const doc = parseIJson(read.bytes).value;
    if (!isObject(doc) || !Array.isArray(doc["manifests"])) return [];
    return (doc["manifests"] as unknown[]).filter(isObject) as unknown as ContentDescriptor[];
  }

  /** What the referrers API lists for the subject; undefined when the store has no such API. */
  apiListed(subject: ContentDescriptor): Promise<ContentDescriptor[] | undefined> {
    return readOnce(this.#api, subject.digest, () => this.#readApi(subject));
  }

  async #readApi(subject: ContentDescriptor): Promise<ContentDescriptor[] | undefined> {
    const store = this.store;
    // Layouts and archives answer referrers() from index.json too, but that is no API: their
    // anchors are index.json roots, counted separately.
    if (!hasReferrers(store) || !knowsReferrersApi(store)) return undefined;
    const generation = this.#generation;
    let listed: ContentDescriptor[];
    try {
      listed = await store.referrers(subject);
    } catch (err) {
      if (isRegistryError(err) && err.status === 404) return undefined;
      throw err;
    }
    // Only a working API counts here. Without one, the store read the fallback index itself (as
    // strictly as it always has: a malformed one is an error), and what it listed is
    // fallbackListed's answer, not read again, unless a write made the finder forget since.
    if (store.referrersApi === true) return listed;
    if (generation === this.#generation && !this.#fallback.has(subject.digest))
      this.#fallback.set(subject.digest, Promise.resolve(listed));
    return undefined;
  }

  /**
   * The referrers API's listing, then the fallback index's, in turn: on a registry without the
   * API the first reads the fallback index itself, and the second then finds its bytes in the
   * store's memory of recent manifests instead of asking for them again (asked at once, 92 of
   * 150 sites fetched the index twice).
   */
  async #listings(
    subject: ContentDescriptor,
  ): Promise<[ContentDescriptor[] | undefined, ContentDescriptor[]]> {
    const api = await this.apiListed(subject);
    return [api, await this.fallbackListed(subject.digest)];
  }

  async isRoot(digest: string): Promise<boolean> {
    if (!hasRoots(this.store)) return false;
    this.#roots ??= this.store.roots();
    return (await this.#roots).some((e) => e.digest === digest);
  }

  /**
   * The anchors that keep the manifest `digest` (a compat manifest or keeper of `subject`);
   * `named` is what the index entry names, when not `digest` itself (a keeper's blob).
   */
  async anchorsOf(
    digest: string,
    subject: ContentDescriptor,
    named: string = digest,
  ): Promise<Anchor[]> {
    // Independent reads: asked at once (each is one round trip on a registry).
    const [tagged, kept, [api, listed], root] = await settleAll([
      this.compatTagTarget(subject.digest),
      this.keepTagTarget(named),
      this.#listings(subject),
      this.isRoot(digest),
    ]);
    const anchors: Anchor[] = [];
    if (tagged?.digest === digest)
      anchors.push({ kind: "compat-tag", name: compatTag(subject.digest) });
    if (kept?.digest === digest) anchors.push({ kind: "keep-tag", name: keepTag(named) });
    if (api?.some((d) => d.digest === digest))
      anchors.push({ kind: "referrers-api", name: subject.digest });
    if (listed.some((d) => d.digest === digest))
      anchors.push({ kind: "referrers-tag", name: fallbackTag(subject.digest), weak: true });
    if (root) anchors.push({ kind: "root", name: "index.json" });
    return anchors;
  }

  /**
   * What keeps the compat content an entry of `subject` names alive: for a compat manifest, its
   * anchors; for a Proposal J blob, its keeper and the keeper's anchors (none without a keeper).
   */
  async compatAnchors(
    compat: ContentDescriptor,
    subject: ContentDescriptor,
  ): Promise<{ keeper?: ContentDescriptor; anchors: Anchor[] }> {
    if (isManifestType(compat.mediaType))
      return { anchors: await this.anchorsOf(compat.digest, subject) };
    const keeper = await this.keeperOf(compat.digest, subject);
    if (keeper === undefined) return { anchors: [] };
    return { keeper, anchors: await this.anchorsOf(keeper.digest, subject, compat.digest) };
  }

  /**
   * A keeper of the Proposal J blob `blob`: a manifest the subject's `.compat` tag, the blob's keep
   * tag, the referrers API,
   * fallback index or (in a layout) an index.json entry names that lists the blob as a layer (or
   * config).
   */
  async keeperOf(blob: string, subject: ContentDescriptor): Promise<ContentDescriptor | undefined> {
    const [tagged, kept, [api, listed], roots] = await settleAll([
      this.compatTagTarget(subject.digest),
      this.keepTagTarget(blob),
      this.#listings(subject),
      this.#rootsNaming(subject),
    ]);
    const candidates: ContentDescriptor[] = [];
    if (tagged !== undefined) candidates.push(tagged);
    if (kept !== undefined) candidates.push(kept);
    candidates.push(...(api ?? []), ...listed, ...roots);
    const seen = new Set<string>();
    for (const c of candidates) {
      if (seen.has(c.digest) || !ManifestMediaTypes.has(c.mediaType)) continue;
      seen.add(c.digest);
      if (await this.#lists(c, blob)) return c;
    }
    return undefined;
  }

  /** In a layout or archive: the index.json entries whose manifest names `subject` (as oras writes). */
  async #rootsNaming(subject: ContentDescriptor): Promise<ContentDescriptor[]> {
    const store = this.store;
    if (!hasRoots(store) || !hasReferrers(store) || knowsReferrersApi(store)) return [];
    return store.referrers(subject);
  }

  async #lists(manifest: ContentDescriptor, blob: string): Promise<boolean> {
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(this.store, manifest);
    } catch (err) {
      if (isOcicompatError(err) && err.code === "NOT_FOUND") return false;
      throw err;
    }
    const doc = parseIJson(bytes).value;
    if (!isObject(doc)) return false;
    const layers = Array.isArray(doc["layers"]) ? (doc["layers"] as unknown[]) : [];
    return [doc["config"], ...layers].some((d) => isObject(d) && d["digest"] === blob);
  }
}

/** Whether an anchor list keeps content alive under a GC that deletes untagged manifests. */
export function isStrong(anchors: readonly Anchor[]): boolean {
  return anchors.some((a) => a.weak !== true);
}
