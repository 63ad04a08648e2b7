// `verify --gc`: what keeps each compat manifest (or Proposal J blob) the walk found alive in a
// registry that knows nothing of compatibilities (verify/anchors.ts), and which image manifests
// only an index lists. Content nothing keeps alive is a problem; weak anchors are warnings.
import { isManifestType, knowsReferrersApi, type Store } from "../../content/store.js";
import { settleAll, settleEach } from "../../content/limit.js";
import { AnchorFinder, isStrong, type Anchor } from "./anchors.js";
import type { CompatSite, VerifyProblem, Walker } from "./walker.js";

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
  const missing = new Set(result.problems.map((p) => p.location));
  // Each site's anchors are read at once (at most 8 sites in flight; the finder reads what sites
  // share once), then reported in the walk's order.
  const sites = walker.compat.filter((site) => !missing.has(site.location));
  // A registry repository (a layout's index.json keeps its index's children itself): its tags
  // are read beside the anchors, and what they say is reported after them.
  const present = walker.entries.filter((e) => !missing.has(e.location));
  const [rows, untagged] = await settleAll([
    settleEach(sites, SITES_AT_ONCE, (site) => anchorsOfSite(finder, site)),
    knowsReferrersApi(store) ? untaggedWarnings(finder, present) : [],
  ]);
  for (const [i, row] of rows.entries()) {
    const site = sites[i] as CompatSite;
    const form = row.form;
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
  result.warnings.push(...untagged);
  return rows;
}

/** Compat sites whose anchors are read at once, and tags resolved at once. */
const SITES_AT_ONCE = 8;
const TAGS_AT_ONCE = 8;

/** What keeps one compat site alive (for a Proposal J blob: its keeper's anchors). */
async function anchorsOfSite(finder: AnchorFinder, site: CompatSite): Promise<CompatAnchors> {
  const form = isManifestType(site.compat.mediaType) ? "manifest" : "blob";
  const row: CompatAnchors = {
    location: site.location,
    subject: site.subject.digest,
    form,
    digest: site.compat.digest,
    anchors: [],
    protected: false,
  };
  const { keeper, anchors } = await finder.compatAnchors(site.compat, site.subject);
  if (keeper !== undefined) row.keeper = keeper.digest;
  row.anchors = anchors;
  row.protected = isStrong(anchors);
  return row;
}

/** Past this many tags, resolving each one costs more than a verify should. */
const MAX_TAGS_RESOLVED = 500;

/**
 * distribution 2.x's `garbage-collect --delete-untagged` deletes manifests no tag names even when
 * a tagged index lists them (DESIGN §1): the image itself, not only its compat content, is at
 * risk. Each image manifest of the index that no tag names gets a warning. Costs one tag list and
 * a HEAD per tag, shared with the finder: the `.compat` and keep tags it lists are read once.
 */
async function untaggedWarnings(
  finder: AnchorFinder,
  present: Walker["entries"],
): Promise<string[]> {
  if (present.length === 0) return [];
  const tags = await finder.store.listTags();
  if (tags.length > MAX_TAGS_RESOLVED) {
    return [
      `${tags.length} tags: not resolving each to see which image manifests are tagged (limit ${MAX_TAGS_RESOLVED})`,
    ];
  }
  // A tag deleted since the list was read names nothing.
  const named = await settleEach(tags, TAGS_AT_ONCE, (t) => finder.tagTarget(t));
  const tagged = new Set(named.map((d) => d?.digest));
  return present
    .filter((entry) => !tagged.has(entry.desc.digest))
    .map(
      (entry) =>
        `${entry.location} (${entry.desc.digest}): no tag names this image manifest, only the index lists it; distribution 2.x deletes it under garbage-collect --delete-untagged (tag each platform image, as docker manifest workflows do)`,
    );
}
