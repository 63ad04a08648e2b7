// `verify --gc`: what keeps each compat manifest (or Proposal J blob) the walk found alive in a
// registry that knows nothing of compatibilities (verify/anchors.ts), and which image manifests
// only an index lists. Content nothing keeps alive is a problem; weak anchors are warnings.
import { isManifestType, knowsReferrersApi, type Store } from "../../content/store.js";
import { isOcicompatError } from "../../oci/errors.js";
import { AnchorFinder, isStrong, type Anchor } from "./anchors.js";
import type { VerifyProblem, Walker } from "./walker.js";

export interface CompatAnchors {
  location: string;
  /** The entry's image manifest: the subject whose tags and referrers anchor the content. */
  subject: string;
  form: "manifest" | "blob";
  /** The compat manifest, or the Proposal J blob. */
  digest: string;
  /** For a Proposal J blob: the manifest that keeps it (undefined: none). */
  keeper?: string;
  anchors: Anchor[];
  /** Something that survives `garbage-collect --delete-untagged` keeps it. */
  protected: boolean;
}

/** The part of the verify result the gc check reads and adds to. */
interface Findings {
  problems: VerifyProblem[];
  warnings: string[];
}

export async function gcReport(
  store: Store,
  walker: Walker,
  result: Findings,
): Promise<CompatAnchors[]> {
  const finder = new AnchorFinder(store);
  const rows: CompatAnchors[] = [];
  const missing = new Set(result.problems.map((p) => p.location));
  for (const site of walker.compat) {
    if (missing.has(site.location)) continue;
    const form = isManifestType(site.compat.mediaType) ? "manifest" : "blob";
    const row: CompatAnchors = {
      location: site.location,
      subject: site.subject.digest,
      form,
      digest: site.compat.digest,
      anchors: [],
      protected: false,
    };
    if (form === "manifest") {
      row.anchors = await finder.anchorsOf(site.compat.digest, site.subject);
    } else {
      const keeper = await finder.keeperOf(site.compat.digest, site.subject);
      if (keeper !== undefined) {
        row.keeper = keeper.digest;
        row.anchors = await finder.anchorsOf(keeper.digest, site.subject, site.compat.digest);
      }
    }
    row.protected = isStrong(row.anchors);
    rows.push(row);
    const what = form === "manifest" ? "compat manifest" : "Proposal J blob";
    if (form === "blob" && row.keeper === undefined) {
      result.problems.push({
        kind: "unanchored",
        location: site.location,
        digest: site.compat.digest,
        mediaType: site.compat.mediaType,
        message: `no keeper manifest lists this ${what}: even a plain garbage-collect deletes it (run ocicompat protect)`,
      });
    } else if (row.anchors.length === 0) {
      result.problems.push({
        kind: "unanchored",
        location: site.location,
        digest: site.compat.digest,
        mediaType: site.compat.mediaType,
        message: `nothing keeps this ${what} alive: no ${form === "blob" ? "anchor on its keeper" : "tag or referrer"} (run ocicompat protect)`,
      });
    } else if (!row.protected) {
      result.warnings.push(
        `${site.location} (${site.compat.digest}): only the referrers fallback index lists it; distribution 2.8 deletes it under garbage-collect --delete-untagged`,
      );
    }
  }
  // A registry repository (a layout's index.json keeps its index's children itself).
  if (knowsReferrersApi(store)) await warnUntaggedEntries(store, walker, result);
  return rows;
}

/** Past this many tags, resolving each one costs more than a verify should. */
const MAX_TAGS_RESOLVED = 500;

/**
 * distribution 2.x's `garbage-collect --delete-untagged` deletes manifests no tag names even when
 * a tagged index lists them (DESIGN §1): the image itself, not only its compat content, is at
 * risk. Each image manifest of the index that no tag names gets a warning. Costs one tag list and
 * a HEAD per tag.
 */
async function warnUntaggedEntries(store: Store, walker: Walker, result: Findings): Promise<void> {
  const present = walker.entries.filter(
    (e) => !result.problems.some((p) => p.location === e.location),
  );
  if (present.length === 0) return;
  const tags = await store.listTags();
  if (tags.length > MAX_TAGS_RESOLVED) {
    result.warnings.push(
      `${tags.length} tags: not resolving each to see which image manifests are tagged (limit ${MAX_TAGS_RESOLVED})`,
    );
    return;
  }
  const tagged = new Set<string>();
  for (let i = 0; i < tags.length; i += 8) {
    const batch = await Promise.all(
      tags.slice(i, i + 8).map((t) =>
        store.resolve(t).then(
          (d) => d.digest,
          (err: unknown) => {
            // A tag deleted since the list was read names nothing.
            if (isOcicompatError(err) && err.code === "NOT_FOUND") return undefined;
            throw err;
          },
        ),
      ),
    );
    for (const digest of batch) if (digest !== undefined) tagged.add(digest);
  }
  for (const entry of present) {
    if (tagged.has(entry.desc.digest)) continue;
    result.warnings.push(
      `${entry.location} (${entry.desc.digest}): no tag names this image manifest, only the index lists it; distribution 2.x deletes it under garbage-collect --delete-untagged (tag each platform image, as docker manifest workflows do)`,
    );
  }
}
