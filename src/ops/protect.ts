// `ocicompat protect REF`: GC anchors for compat content that another tool attached (pushed by
// digest only, say). For each index entry whose compat descriptor names content that exists:
//   * a compat manifest gets the anchors attach would have written (see anchors.ts);
//   * a Proposal J blob without a keeper gets one (empty config, the blob as its layer, the entry
//     as subject), and the keeper gets the anchors.
// With `images`, every manifest the index lists (and what nested indexes list) also gets its keep
// tag `sha256-<hex>.keep`: distribution 2.x's `garbage-collect --delete-untagged` deletes untagged
// manifests even when a tagged index lists them, images included.
// Anchors already in place are not written again, so a second run writes nothing.
import { withSignal } from "../content/cancel.js";
import { fetchBytes, type Store } from "../content/store.js";
import { parseIJson } from "../oci/ijson.js";
import { isObject } from "../oci/json-value.js";
import { IndexMediaTypes } from "../oci/media-types.js";
import { defaultCreated } from "./attach/created.js";
import { ContentWriter, type WriteRecord } from "./attach/writer.js";
import { keepImages } from "./protect/images.js";
import { asDescriptor } from "./protect/reads.js";
import type { CompatSite } from "./verify/walker.js";
import type { ProtectAnchor, ProtectOptions } from "./protect/options.js";
import type { ProtectedEntry, ProtectedImage } from "./protect/report.js";
import { protectSites } from "./protect/sites.js";
import { AnchorFinder } from "./verify/anchors.js";

export type { ProtectedEntry, ProtectedImage } from "./protect/report.js";

export { ProtectAnchors, type ProtectAnchor, type ProtectOptions } from "./protect/options.js";

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
  const sites: CompatSite[] = [];
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
  result.entries = await protectSites(writer, finder, sites, anchor, created);
  if (result.entries.some((e) => e.status === "missing" || e.status === "conflict"))
    result.ok = false;
  if (options.images === true) {
    result.images = await keepImages(writer, finder, doc);
    if (result.images.some((i) => i.status === "missing")) result.ok = false;
  }
  result.writes = writer.records;
  return result;
}
