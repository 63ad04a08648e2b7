// GC anchors for compat content: what keeps a compatibilities manifest (or a Proposal J keeper)
// alive in a registry that knows nothing of `platform.compatibilities`.
//
// * The referrers fallback tag `sha256-<subject hex>`: an index listing the referrers of the image
//   manifest, so that referrer-aware tools discover the compat manifest on registries without the
//   referrers API. Distribution 2.8 still deletes what it lists under
//   `garbage-collect --delete-untagged`.
// * The compat tag `sha256-<subject hex>.compat` (cosign style) on the compat manifest itself: a
//   tag is what 2.8's `--delete-untagged` keeps.
// * The keep tag `sha256-<hex>.keep`, named after the digest an index entry names and pointing at
//   what keeps that content: the image manifest itself (`protect --images`), the compat manifest
//   itself, or the keeper of a Proposal J blob. Content-addressed, so it never moves: re-attach
//   writes one for the compat manifest the `.compat` tag leaves, so that every tag still naming an
//   earlier index keeps its compat content (docs/design.md, "Attach and detach").
//
// Policy (`--anchor`):
//   auto       registry: both tags when the manifest PUT got no `OCI-Subject` answer (no
//              referrers API), none when it did; layout: the compat tag only (a layout has no
//              referrers API, and its index.json entries are the roots every layout GC keeps).
//   tag        both tags, always.
//   referrers  the subject link only.
//   none       nothing (the compat content is at the mercy of the registry's GC).
import { referrersTag } from "../oci/referrers.js";
import { readTagged, type ContentDescriptor } from "../content/store.js";
import { computeDigest } from "../oci/digest.js";
import { OcicompatError, ValidationError } from "../oci/errors.js";
import { parseIJson } from "../oci/ijson.js";
import { MediaType } from "../oci/media-types.js";
import { validateOciDocument } from "../oci/validate.js";
import type { ContentWriter } from "./attach/writer.js";

export const AnchorPolicies = ["auto", "tag", "referrers", "none"] as const;
export type AnchorPolicy = (typeof AnchorPolicies)[number];

export interface AnchorChoice {
  /** Tag the compat manifest `sha256-<subject hex>.compat`. */
  compatTag: boolean;
  /** List it in the referrers fallback index `sha256-<subject hex>`. */
  referrersTag: boolean;
}

/** The referrers fallback tag of a subject: `sha256-<hex>`. */
export function fallbackTag(subjectDigest: string): string {
  return referrersTag(subjectDigest);
}

/** The tag on the compat manifest itself: `sha256-<hex>.compat`. */
export function compatTag(subjectDigest: string): string {
  return `${referrersTag(subjectDigest)}.compat`;
}

/**
 * The keep tag of the content `digest` (an image manifest, a compat manifest or a Proposal J
 * blob): `sha256-<hex>.keep`.
 */
export function keepTag(digest: string): string {
  return `${referrersTag(digest)}.keep`;
}

/** Which anchors a policy writes, given the store and whether it indexed the subject. */
export function chooseAnchors(
  policy: AnchorPolicy,
  kind: "registry" | "layout",
  subjectAccepted: boolean,
): AnchorChoice {
  switch (policy) {
    case "tag":
      return { compatTag: true, referrersTag: true };
    case "referrers":
    case "none":
      return { compatTag: false, referrersTag: false };
    case "auto":
      if (kind === "layout") return { compatTag: true, referrersTag: false };
      return subjectAccepted
        ? { compatTag: false, referrersTag: false }
        : { compatTag: true, referrersTag: true };
  }
}

type Json = Record<string, unknown>;

/**
 * The referrers fallback index with `add` listed and every other compatibilities referrer
 * (artifactType compatibilities) dropped: one subject has one set of compatibilities, as it has
 * one `.compat` tag. Other referrers (signatures, SBOMs) and other fields are kept. Returns
 * undefined when nothing changes.
 */
export function updateReferrersIndex(
  existing: Uint8Array | undefined,
  add: ContentDescriptor | undefined,
  subject: string,
): { descriptor: ContentDescriptor; bytes: Uint8Array } | undefined {
  let doc: Json;
  if (existing === undefined) {
    if (add === undefined) return undefined;
    doc = { schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: [] };
  } else {
    const { value } = parseIJson(existing);
    const report = validateOciDocument("index", value);
    if (report.errors.length > 0) throw new ValidationError(subject, report.errors);
    doc = value as Json;
  }
  const before = doc["manifests"] as Json[];
  const kept = before.filter((e) => e["artifactType"] !== MediaType.Compatibilities);
  const after = add === undefined ? kept : [...kept, { ...add }];
  const unchanged =
    before.length === after.length &&
    before.every((e, i) => e["digest"] === (after[i] as Json)["digest"]);
  if (existing !== undefined && unchanged) return undefined;
  const bytes = new TextEncoder().encode(JSON.stringify({ ...doc, manifests: after }));
  return {
    descriptor: {
      mediaType: MediaType.ImageIndex,
      digest: computeDigest(bytes),
      size: bytes.byteLength,
    },
    bytes,
  };
}

/** How the referrers index lists a compat manifest: with its artifactType and annotations. */
export function referrerDescriptor(
  manifest: ContentDescriptor,
  created: string,
): ContentDescriptor {
  return {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    artifactType: MediaType.Compatibilities,
    annotations: { "org.opencontainers.image.created": created },
  };
}

/**
 * Writes the fallback index of `subjectDigest` listing `add` (or, with undefined, without any
 * compatibilities referrer). Returns whether anything was written.
 */
export async function writeReferrersTag(
  writer: ContentWriter,
  subjectDigest: string,
  add: ContentDescriptor | undefined,
): Promise<boolean> {
  const next = await nextReferrersIndex(writer, subjectDigest, add);
  if (next === undefined) return false;
  await writer.tag("referrers-tag", next.descriptor, next.bytes, next.tag);
  return true;
}

/**
 * What writeReferrersTag would write, read without writing: the fallback tag and its next index,
 * or undefined when the index already says so.
 */
export async function nextReferrersIndex(
  writer: Pick<ContentWriter, "store" | "callOptions">,
  subjectDigest: string,
  add: ContentDescriptor | undefined,
): Promise<{ tag: string; descriptor: ContentDescriptor; bytes: Uint8Array } | undefined> {
  const tag = fallbackTag(subjectDigest);
  const current = await readTagged(writer.store, tag, writer.callOptions);
  if (current !== undefined && current.descriptor.mediaType !== MediaType.ImageIndex) {
    throw new OcicompatError(
      "UNSUPPORTED",
      `the referrers fallback tag ${tag} names a ${current.descriptor.mediaType}, not an index; leaving it alone`,
      { subject: tag },
    );
  }
  const next = updateReferrersIndex(current?.bytes, add, `${writer.store.name}:${tag}`);
  return next === undefined ? undefined : { tag, ...next };
}

/**
 * Before the `.compat` tag of `subjectDigest` moves to `next`, what it names now gets its keep
 * tag, so that an earlier index another tag may still name keeps its compat content under
 * `garbage-collect --delete-untagged`. The keep tag is named after what the earlier index entry
 * named (`replaced`: the compat manifest, or the Proposal J blob its keeper lists), else after the
 * tagged manifest itself. This reads, without writing (attach writes; a dry run shows it): the
 * keep tag, what the `.compat` tag names now, and whether the keep tag exists already
 * (content-addressed: one that exists keeps what its name says). Undefined when the `.compat` tag
 * names nothing, or `next` already.
 */
export async function previousToKeep(
  writer: Pick<ContentWriter, "store" | "callOptions">,
  subjectDigest: string,
  next: ContentDescriptor,
  replaced: readonly ContentDescriptor[],
): Promise<
  | { tag: string; previous: { descriptor: ContentDescriptor; bytes: Uint8Array }; exists: boolean }
  | undefined
> {
  const store = writer.store;
  const previous = await readTagged(store, compatTag(subjectDigest), writer.callOptions);
  if (previous === undefined || previous.descriptor.digest === next.digest) return undefined;
  const tag = keepTag(keyOf(previous, replaced));
  const existing = await readTagged(store, tag, writer.callOptions);
  return { tag, previous, exists: existing !== undefined };
}

/** The digest the keep tag of `tagged` is named after (see previousToKeep). */
function keyOf(
  tagged: { descriptor: ContentDescriptor; bytes: Uint8Array },
  replaced: readonly ContentDescriptor[],
): string {
  let listed: Set<string> = new Set();
  try {
    const doc = parseIJson(tagged.bytes).value as Json;
    const layers = Array.isArray(doc["layers"]) ? (doc["layers"] as Json[]) : [];
    listed = new Set(
      layers.map((l) => l["digest"]).filter((d): d is string => typeof d === "string"),
    );
  } catch {
    // Not JSON: named after itself.
  }
  const blob = replaced.find(
    (r) => listed.has(r.digest) && r.mediaType === MediaType.Compatibilities,
  );
  return blob?.digest ?? tagged.descriptor.digest;
}

/** Groups items so that no round holds two of one subject (`subjectOf`), keeping their order. */
export function rounds<T>(items: readonly T[], subjectOf: (item: T) => string): T[][] {
  const result: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const n = seen.get(subjectOf(item)) ?? 0;
    seen.set(subjectOf(item), n + 1);
    (result[n] ??= []).push(item);
  }
  return result;
}
