// Referrers in an OCI layout. A layout has no referrers API, so a subject's referrers are found
// where ocicompat and other tools record them: in the fallback index tagged `<alg>-<hex>` in
// index.json (what `ocicompat copy --referrers` writes), and among index.json's own entries, whose
// manifests may name the subject (what `oras` writes). A manifest that sits in blobs/ and is
// listed in neither is not kept by the layout: its garbage collection would remove it.
import { parseIJson } from "../../oci/ijson.js";
import { IndexMediaTypes } from "../../oci/media-types.js";
import { referrerEntryOf, referrersTag, subjectOf } from "../../oci/referrers.js";
import { OcicompatError } from "../../oci/errors.js";
import type { Descriptor, IndexEntry } from "../../oci/schema.js";
import { parseIndex } from "../registry/documents.js";
import { fetchBytes, isManifestType, type Store } from "../store.js";
import { refNameOf } from "./index-json.js";

/** The referrers of every subject named by an index.json entry's own document. */
export type ReferrersBySubject = ReadonlyMap<string, readonly Descriptor[]>;

/** Reads each manifest-like index.json entry once and groups those that name a subject. */
export async function referrersAmongRoots(
  store: Store,
  roots: readonly IndexEntry[],
): Promise<ReferrersBySubject> {
  const bySubject = new Map<string, Descriptor[]>();
  const seen = new Set<string>();
  for (const entry of roots) {
    if (!isManifestType(entry.mediaType) || seen.has(entry.digest)) continue;
    seen.add(entry.digest);
    const desc = { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
    let document: unknown;
    try {
      document = parseIJson(await fetchBytes(store, desc)).value;
    } catch (err) {
      // Every root is read to find referrers: say which one failed, and why it was read.
      if (!(err instanceof OcicompatError)) throw err;
      throw new OcicompatError(
        err.code,
        `looking for referrers in ${store.name}: index.json entry ${entry.digest} cannot be read: ${err.message}`,
        { subject: entry.digest, cause: err },
      );
    }
    const subject = subjectOf(document);
    if (subject === undefined) continue;
    const list = bySubject.get(subject) ?? [];
    list.push(referrerEntryOf(desc, document));
    bySubject.set(subject, list);
  }
  return bySubject;
}

/**
 * The referrers of `subject`: those listed in its fallback index, then index.json entries that
 * name it, each digest once, optionally only one artifactType.
 */
export async function layoutReferrers(
  store: Store,
  roots: readonly IndexEntry[],
  amongRoots: ReferrersBySubject,
  subject: string,
  artifactType?: string,
): Promise<Descriptor[]> {
  const out = new Map<string, Descriptor>();
  const tag = referrersTag(subject);
  for (const entry of roots) {
    if (refNameOf(entry) !== tag || !IndexMediaTypes.has(entry.mediaType)) continue;
    const desc = { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
    const fallback = parseIndex(
      await fetchBytes(store, desc),
      `referrers tag ${tag} (${entry.digest})`,
    );
    for (const m of fallback.manifests) out.set(m.digest, m);
  }
  for (const d of amongRoots.get(subject) ?? []) if (!out.has(d.digest)) out.set(d.digest, d);
  return [...out.values()].filter(
    (d) => artifactType === undefined || d.artifactType === artifactType,
  );
}
