// One graph walker for every copy: children before parents, content already at the destination
// skipped, each digest transferred once, transfers bounded. A tag is written only after the
// whole graph below it is present, so no tag ever points at incomplete content.
//
// Optional: blobs are mounted from another repository of the same registry instead of being
// uploaded (`mountFrom`), referrers of every manifest in the graph come along (`referrers`), and
// progress is reported per chunk streamed (`onProgress`).
import { isOcicompatError, OcicompatError } from "../oci/errors.js";
import { IndexMediaTypes, MediaType } from "../oci/media-types.js";
import { computeDigest } from "../oci/digest.js";
import type { ImageIndex } from "../oci/schema.js";
import { successors } from "./graph.js";
import { parseIndex } from "./registry/documents.js";
import { referrersTag } from "../oci/referrers.js";
import {
  canMount,
  canTagComplete,
  fetchBytes,
  hasReferrers,
  isManifestType,
  knowsReferrersApi,
  release,
  type ContentDescriptor,
  type Store,
} from "./store.js";

export interface CopyOptions {
  /** Concurrent transfers; default 4. */
  concurrency?: number;
  /** Tag to write at the destination once the graph is complete. */
  tag?: string;
  /**
   * The source repository's name when source and destination are repositories of the same
   * registry: blobs are then mounted (`POST ?mount=&from=`) rather than uploaded.
   */
  mountFrom?: string;
  /**
   * Also copy the referrers of every manifest in the graph (each with its own graph), and, when
   * the destination has no referrers API, list them in its `sha256-<hex>` fallback tag.
   */
  referrers?: boolean;
  /** A descriptor became known (before it is copied or skipped): for progress totals. */
  onDiscovered?: (desc: ContentDescriptor) => void;
  /** `bytes` more of `desc` were read from the source. */
  onProgress?: (desc: ContentDescriptor, bytes: number) => void;
  onCopied?: (desc: ContentDescriptor) => void;
  onMounted?: (desc: ContentDescriptor) => void;
  onSkipped?: (desc: ContentDescriptor) => void;
}

export interface CopyStats {
  /** Blobs and manifests written (uploaded or mounted). */
  copied: number;
  skipped: number;
  bytesCopied: number;
  bytesSkipped: number;
  /** Of `copied`, the blobs linked by cross-repository mount (no bytes sent). */
  mounted: number;
  bytesMounted: number;
  /** Referrer manifests found in the source (their graphs are counted above). */
  referrers: number;
  /** Fallback tags written at the destination. */
  referrersTags: string[];
  /** Of `copied`, blobs sent again because they vanished from the destination during the copy. */
  repaired: number;
  /** What was left undone, and why (the copy itself succeeded). */
  warnings: string[];
}

/**
 * At most `concurrency` jobs at once. A finishing job hands its slot straight to the next waiter,
 * so a newcomer cannot slip in between and exceed the bound.
 */
function limiter(concurrency: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (job) => {
    if (active < concurrency) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

async function* counted(
  source: AsyncIterable<Uint8Array>,
  desc: ContentDescriptor,
  report: (desc: ContentDescriptor, bytes: number) => void,
): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    report(desc, chunk.byteLength);
    yield chunk;
  }
}

export async function copyGraph(
  src: Store,
  dst: Store,
  root: ContentDescriptor,
  options: CopyOptions = {},
): Promise<CopyStats> {
  const stats: CopyStats = {
    copied: 0,
    skipped: 0,
    bytesCopied: 0,
    bytesSkipped: 0,
    mounted: 0,
    bytesMounted: 0,
    referrers: 0,
    referrersTags: [],
    repaired: 0,
    warnings: [],
  };
  const limit = limiter(Math.max(1, options.concurrency ?? 4));
  const mountFrom = options.mountFrom;
  const mounter = mountFrom !== undefined && canMount(dst) ? dst : undefined;
  const referrerSource = options.referrers === true && hasReferrers(src) ? src : undefined;
  const withReferrers = referrerSource !== undefined;
  /** Referrers found per subject digest, for the fallback tags. */
  const found = new Map<string, { subject: ContentDescriptor; listed: ContentDescriptor[] }>();

  /**
   * One walk of the graph. "copy" trusts that a manifest present at the destination has its
   * graph below it (parents are written last). "repair" trusts nothing: it runs when the tag
   * found content missing that was there before, and re-sends only what is gone.
   */
  const walk = async (mode: "copy" | "repair"): Promise<void> => {
    const repair = mode === "repair";
    const done = new Map<string, Promise<void>>();
    /** Every referrer search started; awaited after the graph, so cycles cannot deadlock. */
    const searches: Promise<void>[] = [];
    // After a failure no new transfer starts, and the walk ends once those under way have.
    let stopped = false;

    const skip = (desc: ContentDescriptor): void => {
      if (repair) return; // the first walk counted it
      stats.skipped++;
      stats.bytesSkipped += desc.size;
      options.onSkipped?.(desc);
    };
    const copied = (desc: ContentDescriptor): void => {
      stats.copied++;
      stats.bytesCopied += desc.size;
      if (repair) stats.repaired++;
      options.onCopied?.(desc);
    };
    const referrersOf = async (desc: ContentDescriptor): Promise<void> => {
      if (referrerSource === undefined) return;
      const listed = await limit(() => referrerSource.referrers(desc));
      if (listed.length === 0) return;
      stats.referrers += listed.length;
      found.set(desc.digest, { subject: pick(desc), listed });
      await Promise.all(listed.map((r) => copyNode(pick(r))));
    };

    const copyNode = (desc: ContentDescriptor): Promise<void> => {
      let job = done.get(desc.digest);
      if (!job) {
        if (stopped) return Promise.reject(new OcicompatError("INTERNAL", "the copy was stopped"));
        if (!repair) options.onDiscovered?.(desc);
        job = (async () => {
          const manifest = isManifestType(desc.mediaType);
          const present = await limit(() => dst.exists(desc));
          const searching = withReferrers && !repair;
          if (present && !(manifest && (searching || repair))) {
            // Parents are written after their children, so content that exists is complete below.
            skip(desc);
            return;
          }
          if (manifest) {
            const bytes = await limit(() => fetchBytes(src, desc));
            if (!present) options.onProgress?.(desc, bytes.byteLength);
            await Promise.all(successors(desc, bytes).children.map(copyNode));
            if (present) skip(desc);
            else {
              await limit(() => dst.push(desc, bytes));
              copied(desc);
            }
            // Referrers name their subject, so they follow it; a referrer may also contain its
            // subject (an index listing it), so this job must not wait for them.
            if (searching) {
              const search = referrersOf(desc);
              search.catch(() => undefined); // awaited below; this only marks it handled
              searches.push(search);
            }
            return;
          }
          await limit(async () => {
            if (mounter !== undefined && mountFrom !== undefined) {
              if (await mounter.mount(desc, mountFrom)) {
                stats.mounted++;
                stats.bytesMounted += desc.size;
                options.onProgress?.(desc, desc.size);
                options.onMounted?.(desc);
                copied(desc);
                return;
              }
            }
            const body = await src.fetch(desc);
            try {
              await dst.push(
                desc,
                options.onProgress ? counted(body, desc, options.onProgress) : body,
              );
            } catch (err) {
              // A push refused before it read the body leaves the source stream open.
              await release(body).catch(() => undefined);
              throw err;
            }
            copied(desc);
          });
        })();
        done.set(desc.digest, job);
      }
      return job;
    };

    try {
      await copyNode(root);
      while (searches.length > 0) await Promise.all(searches.splice(0));
    } catch (err) {
      // Let transfers under way finish (or fail) before reporting: the caller may close the
      // destination (an archive is written then) as soon as this returns.
      stopped = true;
      for (let settled = -1; settled !== done.size;) {
        settled = done.size;
        await Promise.allSettled([...done.values(), ...searches]);
      }
      throw err;
    }
  };

  await walk("copy");
  // A destination that indexes subjects itself (it answers a manifest PUT with `OCI-Subject`)
  // needs no fallback tag; any other gets one, as the referrers spec says.
  if (withReferrers && found.size > 0) {
    const [first] = found.values();
    const registry = knowsReferrersApi(dst) ? dst : undefined;
    if (
      registry !== undefined &&
      registry.referrersApi === undefined &&
      first !== undefined &&
      hasReferrers(dst)
    ) {
      // Every referrer was already there, so no PUT told: ask the API once.
      await dst.referrers(first.subject);
    }
    if (registry?.referrersApi !== true) {
      for (const [subject, { listed }] of found) {
        const tag = await writeFallbackTag(dst, subject, listed, stats.warnings);
        if (tag !== undefined) stats.referrersTags.push(tag);
      }
    }
  }
  if (options.tag !== undefined) {
    if (!isManifestType(root.mediaType)) {
      throw new OcicompatError(
        "USAGE",
        `cannot tag ${root.mediaType}: only manifests and indexes can be tagged`,
        { subject: root.digest },
      );
    }
    const tag = options.tag;
    // Where the destination can check the graph under its collection lock (a layout), it does.
    const writeTag = (): Promise<unknown> =>
      canTagComplete(dst) ? dst.tagComplete(root, tag) : dst.tag(root, tag);
    try {
      await writeTag();
    } catch (err) {
      if (!isOcicompatError(err) || err.code !== "INCOMPLETE") throw err;
      // Something (a gc, another tool) removed content after it was written, perhaps by an
      // earlier run; a manifest left without its children would be skipped forever otherwise.
      await walk("repair");
      await writeTag();
    }
  }
  return stats;
}

function pick(d: ContentDescriptor): ContentDescriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
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
): Promise<string | undefined> {
  const tag = referrersTag(subject);
  let doc: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: [] };
  let current: ContentDescriptor | undefined;
  try {
    current = await dst.resolve(tag);
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
    doc = parseIndex(await fetchBytes(dst, current), `referrers tag ${tag} in ${dst.name}`);
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
  await dst.push(desc, bytes);
  await dst.tag(desc, tag);
  return tag;
}
