// The referrers spec's fallback tags (`sha256-<hex>`), written after a copy with referrers to a
// destination without a referrers API, merged with what each tag already lists.
import { OcicompatError } from "../../oci/errors.js";
import { IndexMediaTypes, MediaType } from "../../oci/media-types.js";
import { computeDigest } from "../../oci/digest.js";
import type { ImageIndex } from "../../oci/schema.js";
import { referrersTag } from "../../oci/referrers.js";
import { parseIndex } from "../registry/documents.js";
import {
  fetchBytes,
  hasReferrers,
  knowsReferrersApi,
  type CallOptions,
  type ContentDescriptor,
  type Store,
} from "../store.js";
import type { Run } from "./run.js";
import { onSide } from "./side.js";

/**
 * A destination that indexes subjects itself (it answers a manifest PUT with `OCI-Subject`) needs
 * no fallback tag; any other gets one, as the referrers spec says.
 */
export async function writeReferrersTags(run: Run): Promise<void> {
  const { dst, found, stats } = run;
  const [first] = found.values();
  if (first === undefined) return;
  const registry = knowsReferrersApi(dst) ? dst : undefined;
  if (registry !== undefined && registry.referrersApi === undefined && hasReferrers(dst)) {
    // Every referrer was already there, so no PUT told: ask the API once.
    await onSide(run, "destination", first.subject, (o) =>
      dst.referrers(first.subject, undefined, o),
    );
  }
  if (registry?.referrersApi === true) return;
  for (const [subject, { subject: desc, listed }] of found) {
    const tag = await onSide(run, "destination", desc, (o) =>
      writeFallbackTag(dst, subject, listed, stats.warnings, o),
    );
    if (tag !== undefined) stats.referrersTags.push(tag);
  }
}

/**
 * Lists `referrers` in the destination's fallback index `sha256-<subject hex>`, keeping what it
 * already lists. Returns the tag when it was written.
 */
async function writeFallbackTag(
  dst: Store,
  subject: string,
  referrers: readonly ContentDescriptor[],
  warnings: string[],
  call: CallOptions,
): Promise<string | undefined> {
  const tag = referrersTag(subject);
  let doc: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: [] };
  let current: ContentDescriptor | undefined;
  try {
    current = await dst.resolve(tag, call);
  } catch (err) {
    if (!(err instanceof OcicompatError) || err.code !== "NOT_FOUND") throw err;
  }
  if (current !== undefined) {
    if (!IndexMediaTypes.has(current.mediaType)) {
      warnings.push(
        `${tag} in ${dst.name} names a ${current.mediaType}, not a referrers index: left alone, so ${referrers.length} referrer${referrers.length === 1 ? "" : "s"} of ${subject} ${referrers.length === 1 ? "is" : "are"} not listed there`,
      );
      return undefined;
    }
    // Validated: an index that lists anything but descriptors must not be silently rewritten.
    doc = parseIndex(
      await fetchBytes(dst, current, undefined, call),
      `referrers tag ${tag} in ${dst.name}`,
    );
  }
  const manifests = doc.manifests;
  const listed = new Set(manifests.map((m) => m.digest));
  const missing = referrers.filter((r) => !listed.has(r.digest));
  if (missing.length === 0) return undefined;
  const bytes = new TextEncoder().encode(
    JSON.stringify({ ...doc, manifests: [...manifests, ...missing] }),
  );
  const desc = {
    mediaType: MediaType.ImageIndex,
    digest: computeDigest(bytes),
    size: bytes.length,
  };
  await dst.push(desc, bytes, call);
  await dst.tag(desc, tag, call);
  return tag;
}
