// `ocicompat protect REF`: GC anchors for compat content that another tool attached (pushed by
// digest only, say). For each index entry whose compat descriptor names content that exists:
//   * a compat manifest gets the anchors attach would have written (see anchors.ts);
//   * a Proposal J blob without a keeper gets one (empty config, the blob as its layer, the entry
//     as subject), and the keeper gets the anchors.
// With `images`, every manifest the index lists (and what nested indexes list) also gets its keep
// tag `sha256-<hex>.keep`: distribution 2.x's `garbage-collect --delete-untagged` deletes untagged
// manifests even when a tagged index lists them, images included.
// Anchors already in place are not written again, so a second run writes nothing.
import { buildCompatManifest } from "../compat/build.js";
import { withSignal } from "../content/cancel.js";
import { createLimit, settleAll } from "../content/limit.js";
import {
  fetchBytes,
  isManifestType,
  type ContentDescriptor,
  type Store,
} from "../content/store.js";
import { isOcicompatError } from "../oci/errors.js";
import { parseIJson } from "../oci/ijson.js";
import { EmptyDescriptor, IndexMediaTypes, MediaType } from "../oci/media-types.js";
import type { Descriptor } from "../oci/schema.js";
import {
  chooseAnchors,
  compatTag,
  keepTag,
  referrerDescriptor,
  writeReferrersTag,
} from "./anchors.js";
import { defaultCreated } from "./attach/created.js";
import { ContentWriter, type WriteRecord } from "./attach/writer.js";
import { AnchorFinder, isStrong } from "./verify/anchors.js";
import { isObject } from "../oci/json-value.js";

export const ProtectAnchors = ["auto", "tag"] as const;
export type ProtectAnchor = (typeof ProtectAnchors)[number];

export interface ProtectOptions {
  anchor?: ProtectAnchor;
  /** RFC 3339 time for keepers and referrer entries without one; default as attach's. */
  created?: string;
  /** Cancels the run (every store call gets it); anchors already written stay, and are valid. */
  signal?: AbortSignal;
  /** Also give every manifest the index lists its keep tag (registries only; see above). */
  images?: boolean;
}

export interface ProtectedImage {
  /** `index → manifests[1]`, `index → manifests[0] → manifests[2]` */
  location: string;
  mediaType: string;
  digest: string;
  /** The keep tag, when the store needs one (registries). */
  tag?: string;
  /**
   * "protected": the keep tag was written; "already": it was there, or the store keeps what a
   * tagged index lists (layouts); "missing": the manifest is gone (a GC got there first).
   */
  status: "protected" | "already" | "missing";
}

export interface ProtectedEntry {
  location: string;
  subject: string;
  form: "manifest" | "blob";
  digest: string;
  /** The manifest the anchors point at: the compat manifest or the keeper. */
  anchored?: string;
  /** "protected": anchors written; "already": nothing was needed; "missing": nothing to protect. */
  status: "protected" | "already" | "missing" | "conflict";
  message?: string;
}

export interface ProtectResult {
  store: string;
  reference: string;
  anchor: ProtectAnchor;
  entries: ProtectedEntry[];
  /** With `images`: every manifest the index lists. */
  images: ProtectedImage[];
  writes: WriteRecord[];
  warnings: string[];
  /** Every compat descriptor now has a strong anchor. */
  ok: boolean;
}

function asDescriptor(v: unknown): ContentDescriptor | undefined {
  if (!isObject(v)) return undefined;
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== "string" || typeof digest !== "string" || typeof size !== "number")
    return undefined;
  return { mediaType, digest, size };
}

async function readIfPresent(
  store: Store,
  desc: ContentDescriptor,
): Promise<Uint8Array | undefined> {
  try {
    return await fetchBytes(store, desc);
  } catch (err) {
    if (isOcicompatError(err) && err.code === "NOT_FOUND") return undefined;
    throw err;
  }
}

/** Adds anchors to the compat content of the index `reference` names. */
export async function protect(
  given: Store,
  reference: string,
  options: ProtectOptions = {},
): Promise<ProtectResult> {
  const store = withSignal(given, options.signal);
  const anchor = options.anchor ?? "auto";
  const created = options.created ?? defaultCreated();
  const root = await store.resolve(reference);
  const result: ProtectResult = {
    store: store.name,
    reference,
    anchor,
    entries: [],
    images: [],
    writes: [],
    warnings: [],
    ok: true,
  };
  if (!IndexMediaTypes.has(root.mediaType)) {
    result.warnings.push(
      `${reference} names a ${root.mediaType}, not an index: no compatibilities to protect`,
    );
    return result;
  }
  const doc = parseIJson(await fetchBytes(store, root)).value;
  const entries = isObject(doc) && Array.isArray(doc["manifests"]) ? doc["manifests"] : [];
  const writer = new ContentWriter(store);
  const finder = new AnchorFinder(store);
  const sites: Site[] = [];
  for (const [i, entry] of entries.entries()) {
    if (!isObject(entry) || !isObject(entry["platform"])) continue;
    const subject = asDescriptor(entry);
    if (subject === undefined) continue;
    const both = entry["platform"]["compatibilities"] !== undefined;
    for (const field of ["compatibilities", "compat"] as const) {
      const compat = asDescriptor(entry["platform"][field]);
      if (compat === undefined) continue;
      const location = `index → manifests[${i}].platform.${field}`;
      if (field === "compat" && both) {
        // One `.compat` tag per subject: it goes to what readers use (compatibilities wins).
        result.warnings.push(
          `${location}: not protected: the entry also has platform.compatibilities, which readers use and the subject's anchors keep; remove one of the two`,
        );
        continue;
      }
      sites.push({ location, subject, compat });
    }
  }
  for (let start = 0; start < sites.length; start += WINDOW) {
    const window = sites.slice(start, start + WINDOW);
    await readAhead(store, finder, window);
    for (const site of window) {
      const done = await protectOne(writer, finder, site, anchor, created);
      result.entries.push(done);
      if (done.status === "missing" || done.status === "conflict") result.ok = false;
    }
  }
  if (options.images === true) {
    result.images = await keepImages(writer, finder, doc, "index");
    if (result.images.some((i) => i.status === "missing")) result.ok = false;
  }
  result.writes = writer.records;
  return result;
}

/** Sites (or images) whose reads go at once in a read-ahead. */
const READ_AHEAD = 8;
/**
 * Sites (or images) read ahead before they are protected: well under the 128 manifests the
 * registry store remembers, so that what the read ahead fetched is still there for the pass.
 */
const WINDOW = 32;

/**
 * A window's reads at once, before its sites are protected one by one (their writes stay in turn:
 * a subject's `.compat` tag and referrers index are read, then written). What is read here is
 * kept, by the finder and by the store's memory of recent manifests, so the pass after waits
 * only for its writes: at 20 ms of round trip a protect that finds everything in place took one
 * site's reads per site. A finder read that failed here is thrown there, where it is reported; a
 * manifest read is tried again. A `.compat` tag is read afresh before it is written.
 */
async function readAhead(
  store: Store,
  finder: AnchorFinder,
  sites: readonly Site[],
): Promise<void> {
  const limit = createLimit(READ_AHEAD);
  await Promise.allSettled(
    sites.map((site) =>
      limit(() =>
        settleAll([
          isManifestType(site.compat.mediaType) ? readIfPresent(store, site.compat) : undefined,
          finder.compatAnchors(site.compat, site.subject),
        ]),
      ),
    ),
  );
}

/** keepImages' read-ahead of a window of an index's children: each manifest once. */
async function readImagesAhead(
  writer: ContentWriter,
  finder: AnchorFinder,
  children: readonly unknown[],
  seen: ReadonlySet<string>,
): Promise<void> {
  const limit = createLimit(READ_AHEAD);
  const wanted = new Map<string, ContentDescriptor>();
  for (const child of children) {
    const desc = asDescriptor(child);
    if (desc === undefined || seen.has(desc.digest)) continue;
    if (IndexMediaTypes.has(desc.mediaType) || isManifestType(desc.mediaType))
      wanted.set(desc.digest, desc);
  }
  await Promise.allSettled(
    [...wanted.values()].map((desc) =>
      limit(() =>
        settleAll([
          readIfPresent(writer.store, desc),
          writer.kind === "registry" ? finder.keepTagTarget(desc.digest) : undefined,
        ]),
      ),
    ),
  );
}

/** Step `images`: the keep tag of every manifest `index` lists, depth first. */
async function keepImages(
  writer: ContentWriter,
  finder: AnchorFinder,
  index: unknown,
  where: string,
  seen = new Set<string>(),
): Promise<ProtectedImage[]> {
  const out: ProtectedImage[] = [];
  const children = isObject(index) && Array.isArray(index["manifests"]) ? index["manifests"] : [];
  for (const [i, child] of children.entries()) {
    // Each window's reads at once, as for the sites (readAhead); the keep tags go one by one.
    if (i % WINDOW === 0)
      await readImagesAhead(writer, finder, children.slice(i, i + WINDOW), seen);
    const desc = asDescriptor(child);
    if (desc === undefined || seen.has(desc.digest)) continue;
    seen.add(desc.digest);
    const location = `${where} → manifests[${i}]`;
    const nested = IndexMediaTypes.has(desc.mediaType);
    if (!nested && !isManifestType(desc.mediaType)) continue;
    const image: ProtectedImage = {
      location,
      mediaType: desc.mediaType,
      digest: desc.digest,
      status: "already",
    };
    out.push(image);
    const bytes = await readIfPresent(writer.store, desc);
    if (bytes === undefined) {
      image.status = "missing";
      continue;
    }
    // A layout keeps what its tagged indexes list (index.json entries are its GC roots).
    if (writer.kind === "registry") {
      image.tag = keepTag(desc.digest);
      if ((await finder.keepTagTarget(desc.digest))?.digest !== desc.digest) {
        await writer.tag("keep-tag", desc, bytes, image.tag);
        image.status = "protected";
      }
    }
    if (nested)
      out.push(...(await keepImages(writer, finder, parseIJson(bytes).value, location, seen)));
  }
  return out;
}

interface Site {
  location: string;
  subject: ContentDescriptor;
  compat: ContentDescriptor;
}

async function protectOne(
  writer: ContentWriter,
  finder: AnchorFinder,
  site: Site,
  anchor: ProtectAnchor,
  created: string,
): Promise<ProtectedEntry> {
  const store = writer.store;
  const form = isManifestType(site.compat.mediaType) ? "manifest" : "blob";
  const out: ProtectedEntry = {
    location: site.location,
    subject: site.subject.digest,
    form,
    digest: site.compat.digest,
    status: "already",
  };
  const bytes =
    form === "manifest"
      ? await readIfPresent(store, site.compat)
      : (await store.exists(site.compat))
        ? new Uint8Array()
        : undefined;
  if (bytes === undefined) {
    out.status = "missing";
    out.message = `the compat content is not in ${store.name}: nothing to protect (attach again)`;
    return out;
  }
  let target: ContentDescriptor;
  let targetBytes: Uint8Array;
  if (form === "manifest") {
    target = site.compat;
    targetBytes = bytes;
  } else {
    const keeper = await finder.keeperOf(site.compat.digest, site.subject);
    if (keeper !== undefined) {
      target = { mediaType: keeper.mediaType, digest: keeper.digest, size: keeper.size };
      targetBytes = await fetchBytes(store, target);
    } else {
      const empty = {
        mediaType: EmptyDescriptor.mediaType,
        digest: EmptyDescriptor.digest,
        size: EmptyDescriptor.size,
      };
      const built = buildCompatManifest(empty, {
        created,
        subject: { ...site.subject } as Descriptor,
        layers: "none",
        extraLayers: [{ ...site.compat } as Descriptor],
      });
      await writer.blob("empty", empty, new TextEncoder().encode("{}"));
      const accepted = await writer.manifest("keeper", built.descriptor, built.bytes);
      target = built.descriptor;
      targetBytes = built.bytes;
      out.status = "protected";
      // The registry indexed the keeper's subject: the referrers API is its anchor.
      if (accepted && anchor === "auto") {
        out.anchored = target.digest;
        return out;
      }
    }
  }
  out.anchored = target.digest;
  const anchors = await finder.anchorsOf(target.digest, site.subject, site.compat.digest);
  if (anchor === "auto" && isStrong(anchors)) return out;
  // Not kept by the referrers API (or `tag` asked for tags): the tags attach writes without it.
  const choice = chooseAnchors(anchor, writer.kind, false);
  const subject = site.subject.digest;
  if (choice.compatTag && !anchors.some((a) => a.kind === "compat-tag")) {
    // Asked again right before the write: the read ahead may be a whole pass old, and a tag
    // another writer moved since must be left alone, not overwritten.
    const current = await finder.freshCompatTagTarget(subject);
    if (current !== undefined && current.digest !== target.digest) {
      out.status = "conflict";
      out.message = `${compatTag(subject)} already names ${current.digest}; left alone (another index may use it)`;
      return out;
    }
    // Already in place when read afresh (another protect got there first): nothing to write.
    if (current?.digest !== target.digest) {
      const tagged = { ...target, artifactType: MediaType.Compatibilities };
      await writer.tag("compat-tag", tagged, targetBytes, compatTag(subject));
      finder.forget(subject);
      out.status = "protected";
    }
  }
  if (choice.referrersTag && !anchors.some((a) => a.kind === "referrers-tag")) {
    const when = createdOf(targetBytes) ?? created;
    const wrote = await writeReferrersTag(writer, subject, referrerDescriptor(target, when));
    finder.forget(subject);
    if (wrote) out.status = "protected";
  }
  return out;
}

function createdOf(bytes: Uint8Array): string | undefined {
  try {
    const doc = parseIJson(bytes).value;
    if (!isObject(doc) || !isObject(doc["annotations"])) return undefined;
    const created = doc["annotations"]["org.opencontainers.image.created"];
    return typeof created === "string" ? created : undefined;
  } catch {
    return undefined;
  }
}
