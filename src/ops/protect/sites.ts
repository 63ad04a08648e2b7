// protect's compat sites, a window at a time. Every read of the window goes at once, then the
// writes go in steps, as attach writes its anchors (attach/anchor-step.ts), each step's writes at
// once:
//   1. the keepers Proposal J blobs lack (the empty config first);
//   2. in rounds, so that no round holds two sites of one subject (they share its `.compat` tag
//      and referrers index, and take turns as the sequential order met them):
//      a. each site's anchors, read again where a write of an earlier round forgot them;
//      b. the `.compat` tags, each read afresh right before (a tag another writer moved since the
//         read ahead is a conflict, not overwritten);
//      c. the referrers indexes, after every `.compat` tag of the round: distribution 2.8
//         rewrites a manifest's link file in place when the manifest is put again under a tag,
//         and an index put meanwhile that lists it is refused.
import { buildCompatManifest } from "../../compat/build.js";
import { createLimit, settleAll } from "../../content/limit.js";
import {
  fetchBytes,
  isManifestType,
  type ContentDescriptor,
  type Store,
} from "../../content/store.js";
import { parseIJson } from "../../oci/ijson.js";
import { isObject } from "../../oci/json-value.js";
import { EmptyDescriptor, MediaType } from "../../oci/media-types.js";
import type { Descriptor } from "../../oci/schema.js";
import {
  chooseAnchors,
  compatTag,
  referrerDescriptor,
  rounds,
  writeReferrersTag,
} from "../anchors.js";
import type { ContentWriter } from "../attach/writer.js";
import { isStrong, type AnchorFinder } from "../verify/anchors.js";
import { READ_AHEAD, WINDOW, readIfPresent } from "./reads.js";
import type { CompatSite } from "../verify/walker.js";
import type { ProtectAnchor } from "./options.js";
import type { ProtectedEntry } from "./report.js";

type Content = { descriptor: ContentDescriptor; bytes: Uint8Array };

/** A site on its way: its report, and the manifest its anchors point at, once known. */
interface Pending {
  site: CompatSite;
  out: ProtectedEntry;
  target?: Content;
  /** A keeper to write first (a Proposal J blob no manifest lists yet). */
  keeper?: Content;
  /** Nothing more to write. */
  done?: boolean;
}

/** A site whose anchors are still to be seen to. */
type ToAnchor = Pending & { target: Content };

const EMPTY: ContentDescriptor = {
  mediaType: EmptyDescriptor.mediaType,
  digest: EmptyDescriptor.digest,
  size: EmptyDescriptor.size,
};

/** Protects every site, a window at a time; the reports come in the sites' order. */
export async function protectSites(
  writer: ContentWriter,
  finder: AnchorFinder,
  sites: readonly CompatSite[],
  anchor: ProtectAnchor,
  created: string,
): Promise<ProtectedEntry[]> {
  const reports: ProtectedEntry[] = [];
  for (let start = 0; start < sites.length; start += WINDOW) {
    const window = sites.slice(start, start + WINDOW);
    await readAhead(writer.store, finder, window);
    reports.push(...(await protectWindow(writer, finder, window, anchor, created)));
  }
  return reports;
}

/**
 * A window's reads at once. What is read here is kept, by the finder and by the store's memory of
 * recent manifests, so the steps after wait only for their writes. A finder read that failed
 * here is thrown there, where it is reported; a manifest read is tried again.
 */
async function readAhead(
  store: Store,
  finder: AnchorFinder,
  sites: readonly CompatSite[],
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

async function protectWindow(
  writer: ContentWriter,
  finder: AnchorFinder,
  sites: readonly CompatSite[],
  anchor: ProtectAnchor,
  created: string,
): Promise<ProtectedEntry[]> {
  const pending = await writer.each(sites, (_, site) =>
    targetOf(writer.store, finder, site, created),
  );
  // Once per keeper: an index that lists one image twice with one blob builds it twice, and the
  // site that met it first reports the write (as the sequential order did).
  const keepers = new Map<string, { p: Pending; keeper: Content }>();
  for (const p of pending) {
    if (p.keeper !== undefined && !keepers.has(p.keeper.descriptor.digest))
      keepers.set(p.keeper.descriptor.digest, { p, keeper: p.keeper });
  }
  if (keepers.size > 0) {
    await writer.blob("empty", EMPTY, new TextEncoder().encode("{}"));
    const accepted = new Map<string, boolean>();
    await writer.each([...keepers.values()], async (w, { p, keeper: { descriptor, bytes } }) => {
      accepted.set(descriptor.digest, await w.manifest("keeper", descriptor, bytes));
      p.out.status = "protected";
    });
    for (const p of pending) {
      // The registry indexed the keeper's subject: the referrers API is its anchor.
      if (p.keeper !== undefined && accepted.get(p.keeper.descriptor.digest) === true)
        p.done = anchor === "auto";
    }
  }
  const anchoring = pending.filter((p): p is ToAnchor => p.target !== undefined && p.done !== true);
  for (const round of rounds(anchoring, (p) => p.site.subject.digest)) {
    await anchorRound(writer, finder, round, anchor, created);
  }
  return pending.map((p) => p.out);
}

/** What a site's anchors must point at: the compat manifest, or the blob's keeper (found or built). */
async function targetOf(
  store: Store,
  finder: AnchorFinder,
  site: CompatSite,
  created: string,
): Promise<Pending> {
  const form = isManifestType(site.compat.mediaType) ? "manifest" : "blob";
  const out: ProtectedEntry = {
    location: site.location,
    subject: site.subject.digest,
    form,
    digest: site.compat.digest,
    status: "already",
  };
  const present =
    form === "manifest" ? await readIfPresent(store, site.compat) : await store.exists(site.compat);
  if (present === undefined || present === false) {
    out.status = "missing";
    out.message = `the compat content is not in ${store.name}: nothing to protect (attach again)`;
    return { site, out, done: true };
  }
  if (present instanceof Uint8Array) {
    out.anchored = site.compat.digest;
    return { site, out, target: { descriptor: site.compat, bytes: present } };
  }
  const found = await finder.keeperOf(site.compat.digest, site.subject);
  if (found !== undefined) {
    const descriptor = { mediaType: found.mediaType, digest: found.digest, size: found.size };
    out.anchored = found.digest;
    return { site, out, target: { descriptor, bytes: await fetchBytes(store, descriptor) } };
  }
  const built = buildCompatManifest(EMPTY, {
    created,
    subject: { ...site.subject } as Descriptor,
    layers: "none",
    extraLayers: [{ ...site.compat } as Descriptor],
  });
  out.anchored = built.descriptor.digest;
  return { site, out, target: built, keeper: built };
}

/** One round of sites, subjects all different: anchors read, `.compat` tags, referrers indexes. */
async function anchorRound(
  writer: ContentWriter,
  finder: AnchorFinder,
  round: readonly ToAnchor[],
  anchor: ProtectAnchor,
  created: string,
): Promise<void> {
  const anchors = await writer.each(round, (_, p) =>
    finder.anchorsOf(p.target.descriptor.digest, p.site.subject, p.site.compat.digest),
  );
  // Not kept by the referrers API (or `tag` asked for tags): the tags attach writes without it.
  const choice = chooseAnchors(anchor, writer.kind, false);
  const needing = round
    .map((p, i) => ({ p, anchors: anchors[i] ?? [] }))
    .filter(({ anchors }) => !(anchor === "auto" && isStrong(anchors)));
  const tagging = needing.filter(
    (n) => choice.compatTag && !n.anchors.some((a) => a.kind === "compat-tag"),
  );
  // Asked again right before the write: the read ahead may be a whole window old, and a tag
  // another writer moved since must be left alone, not overwritten.
  const current = await writer.each(tagging, (_, n) =>
    finder.freshCompatTagTarget(n.p.site.subject.digest),
  );
  const conflicts = new Set<ToAnchor>();
  const moving: ToAnchor[] = [];
  for (const [i, { p }] of tagging.entries()) {
    const now = current[i];
    const target = p.target.descriptor;
    if (now !== undefined && now.digest !== target.digest) {
      p.out.status = "conflict";
      p.out.message = `${compatTag(p.site.subject.digest)} already names ${now.digest}; left alone (another index may use it)`;
      conflicts.add(p);
    } else if (now === undefined) {
      // Already in place when read afresh (another protect got there first): nothing to write.
      moving.push(p);
    }
  }
  await writer.each(moving, async (w, p) => {
    const { descriptor, bytes } = p.target;
    const tagged = { ...descriptor, artifactType: MediaType.Compatibilities };
    await w.tag("compat-tag", tagged, bytes, compatTag(p.site.subject.digest));
    finder.forget(p.site.subject.digest);
    p.out.status = "protected";
  });
  const listing = needing.filter(
    (n) =>
      !conflicts.has(n.p) &&
      choice.referrersTag &&
      !n.anchors.some((a) => a.kind === "referrers-tag"),
  );
  await writer.each(listing, async (w, { p }) => {
    const subject = p.site.subject.digest;
    const when = createdOf(p.target.bytes) ?? created;
    const wrote = await writeReferrersTag(
      w,
      subject,
      referrerDescriptor(p.target.descriptor, when),
    );
    finder.forget(subject);
    if (wrote) p.out.status = "protected";
  });
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
