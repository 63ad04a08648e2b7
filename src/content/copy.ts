// One graph walker for every copy: children before parents, content already at the destination
// skipped, each digest transferred once, transfers bounded. A tag is written only after the
// whole graph below it is present, so no tag ever points at incomplete content.
//
// Shaped after oras-go's Copy: small steps (copy a document, copy a blob, mount, copy referrers,
// tag), hooks in the options (`preCopy`, `onSkipped`, a `mountFrom` chooser), and a CopyError
// that says whether the source or the destination failed, and on which descriptor. Every store
// call gets the options' `signal`, which is also checked between steps and between chunks of a
// transfer. Every descriptor followed passes oci/followed-descriptor.ts (content/graph.ts), so an
// invalid document stops the copy instead of being copied in part.
import { isOcicompatError, OcicompatError } from "../oci/errors.js";
import { IndexMediaTypes, MediaType } from "../oci/media-types.js";
import { computeDigest } from "../oci/digest.js";
import { followableDescriptor } from "../oci/followed-descriptor.js";
import type { ImageIndex } from "../oci/schema.js";
import { cancellable, cancellableSleep, cancellation, throwIfCancelled } from "./cancel.js";
import { CopyError, type CopySide } from "./copy/error.js";
import { createLimit } from "./limit.js";
import { successors } from "./graph.js";
import { parseIndex } from "./registry/documents.js";
import { isRegistryError } from "./registry/errors.js";
import { referrersTag } from "../oci/referrers.js";
import {
  canMount,
  canTagComplete,
  fetchBytes,
  hasReferrers,
  isManifestPusher,
  isManifestType,
  knowsReferrersApi,
  carryVerification,
  release,
  type CallOptions,
  type ContentDescriptor,
  type MountCapable,
  type ReferrersCapable,
  type Store,
} from "./store.js";

export { CopyError, isCopyError, type CopySide } from "./copy/error.js";

/** The repositories of the destination's registry to try mounting `desc` from, in order. */
export type MountFromChooser = (
  desc: ContentDescriptor,
) => readonly string[] | Promise<readonly string[]>;

export interface CopyOptions {
  /** Concurrent transfers; default 4. */
  concurrency?: number;
  /** Tag to write at the destination once the graph is complete. */
  tag?: string;
  /**
   * Where blobs can be mounted from (`POST ?mount=&from=`) rather than uploaded, when the
   * destination is a registry repository: the source repository's name when source and
   * destination are repositories of the same registry, or a chooser naming candidates per blob.
   * After these, the repositories the destination remembers holding the blob are tried
   * (`MountCapable.mountCandidates`, a registry store given a blob location memory).
   */
  mountFrom?: string | MountFromChooser;
  /**
   * Also copy the referrers of every manifest in the graph (each with its own graph), and, when
   * the destination has no referrers API, list them in its `sha256-<hex>` fallback tag.
   */
  referrers?: boolean;
  /** Cancels the copy: no new transfer starts, those under way stop, the tag is not written. */
  signal?: AbortSignal;
  /**
   * Before a node absent from the destination is written (uploaded, mounted or pushed). A
   * rejection stops the copy, as a failed transfer does.
   */
  preCopy?: (desc: ContentDescriptor) => void | Promise<void>;
  /** A descriptor became known (before it is copied or skipped): for progress totals. */
  onDiscovered?: (desc: ContentDescriptor) => void;
  /**
   * `bytes` more of `desc` were read from the source; negative when a push that failed for a
   * temporary reason is about to be repeated, taking back what it had read.
   */
  onProgress?: (desc: ContentDescriptor, bytes: number) => void;
  onCopied?: (desc: ContentDescriptor) => void;
  onMounted?: (desc: ContentDescriptor) => void;
  /** The destination already had `desc` (and, for a document, the graph below it). */
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

/** One copyGraph call: the stores, the options, and what every step shares. */
interface Run {
  src: Store;
  dst: Store;
  options: CopyOptions;
  stats: CopyStats;
  limit: <T>(job: () => Promise<T>) => Promise<T>;
  call: CallOptions;
  mounter: (Store & MountCapable) | undefined;
  mountSources: MountFromChooser;
  referrerSource: (Store & ReferrersCapable) | undefined;
  /** Referrers found per subject digest, for the fallback tags. */
  found: Map<string, { subject: ContentDescriptor; listed: ContentDescriptor[] }>;
  /** The root; `tagged` once its push also wrote `options.tag`. */
  root: { digest: string; tagged: boolean };
}

/**
 * One walk of the graph. "copy" trusts that a manifest present at the destination has its graph
 * below it (parents are written last). "repair" trusts nothing: it runs when the tag found content
 * missing that was there before, and re-sends only what is gone.
 */
interface Walk {
  run: Run;
  repair: boolean;
  done: Map<string, Promise<void>>;
  /** Every referrer search started; awaited after the graph, so cycles cannot deadlock. */
  searches: Promise<void>[];
  /** After a failure no new transfer starts, and the walk ends once those under way have. */
  stopped: boolean;
}

export async function copyGraph(
  src: Store,
  dst: Store,
  root: ContentDescriptor,
  options: CopyOptions = {},
): Promise<CopyStats> {
  const run = startRun(src, dst, root, options);
  throwIfCancelled(options.signal);
  followableDescriptor(root, "$", `the root of the copy from ${src.name}`);
  await walkGraph(run, root, "copy");
  if (run.referrerSource !== undefined && run.found.size > 0) await writeReferrersTags(run);
  if (options.tag !== undefined && !run.root.tagged) await tagRoot(run, root, options.tag);
  return run.stats;
}

function startRun(src: Store, dst: Store, root: ContentDescriptor, options: CopyOptions): Run {
  const mountFrom = options.mountFrom;
  return {
    src,
    dst,
    options,
    stats: {
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
    },
    limit: createLimit(Math.max(1, options.concurrency ?? 4)),
    call: options.signal === undefined ? {} : { signal: options.signal },
    mounter: canMount(dst) ? dst : undefined,
    mountSources:
      typeof mountFrom === "function"
        ? mountFrom
        : () => (mountFrom === undefined ? [] : [mountFrom]),
    referrerSource: options.referrers === true && hasReferrers(src) ? src : undefined,
    found: new Map(),
    root: { digest: root.digest, tagged: false },
  };
}

async function walkGraph(
  run: Run,
  root: ContentDescriptor,
  mode: "copy" | "repair",
): Promise<void> {
  const walk: Walk = {
    run,
    repair: mode === "repair",
    done: new Map(),
    searches: [],
    stopped: false,
  };
  try {
    await copyNode(walk, root);
    while (walk.searches.length > 0) await Promise.all(walk.searches.splice(0));
  } catch (err) {
    // Let transfers under way finish (or fail) before reporting: the caller may close the
    // destination (an archive is written then) as soon as this returns.
    walk.stopped = true;
    for (let settled = -1; settled !== walk.done.size;) {
      settled = walk.done.size;
      await Promise.allSettled([...walk.done.values(), ...walk.searches]);
    }
    throw err;
  }
}

/** Copies `desc` and what is below it, once per walk however often the graph names it. */
function copyNode(walk: Walk, desc: ContentDescriptor): Promise<void> {
  let job = walk.done.get(desc.digest);
  if (job === undefined) {
    if (walk.stopped) return Promise.reject(new OcicompatError("INTERNAL", "the copy was stopped"));
    if (!walk.repair) walk.run.options.onDiscovered?.(desc);
    job = isManifestType(desc.mediaType) ? copyDocument(walk, desc) : copyBlob(walk, desc);
    walk.done.set(desc.digest, job);
  }
  return job;
}

/** A manifest or an index: its children first, then itself; then its referrers, if asked. */
async function copyDocument(walk: Walk, desc: ContentDescriptor): Promise<void> {
  const { run } = walk;
  const present = await onSide(run, "destination", desc, (o) =>
    run.limit(() => run.dst.exists(desc, o)),
  );
  const searching = run.referrerSource !== undefined && !walk.repair;
  if (present && !searching && !walk.repair) {
    // Parents are written after their children, so content that exists is complete below.
    skipped(walk, desc);
    return;
  }
  const bytes = await onSide(run, "source", desc, (o) =>
    run.limit(() => fetchBytes(run.src, desc, undefined, o)),
  );
  const children = await onSide(run, "source", desc, () =>
    Promise.resolve(successors(desc, bytes).children),
  );
  if (!present) run.options.onProgress?.(desc, bytes.byteLength);
  await Promise.all(children.map((child) => copyNode(walk, child)));
  if (present) skipped(walk, desc);
  else {
    await beforeWrite(run, desc);
    await onSide(run, "destination", desc, (o) =>
      run.limit(() => pushDocument(run, desc, bytes, o)),
    );
    copied(walk, desc);
  }
  // Referrers name their subject, so they follow it; a referrer may also contain its subject (an
  // index listing it), so this job must not wait for them.
  if (searching) {
    const search = copyReferrers(walk, desc);
    search.catch(() => undefined); // awaited by walkGraph; this only marks it handled
    walk.searches.push(search);
  }
}

/**
 * Writes a manifest or index whose children are all in place. The root goes straight under its
 * tag where the destination can do that in one request (a registry's PUT by tag), instead of
 * under its digest and then again under the tag; the tag still names it only once it is complete.
 */
async function pushDocument(
  run: Run,
  desc: ContentDescriptor,
  bytes: Uint8Array,
  options: CallOptions,
): Promise<void> {
  const { dst, root } = run;
  const tag = run.options.tag;
  if (desc.digest === root.digest && tag !== undefined && isManifestPusher(dst)) {
    await dst.pushManifest(desc, bytes, tag, options);
    root.tagged = true;
    return;
  }
  await dst.push(desc, bytes, options);
}

/** A blob: skipped when present, else mounted when a source repository allows, else streamed. */
async function copyBlob(walk: Walk, desc: ContentDescriptor): Promise<void> {
  const { run } = walk;
  const present = await onSide(run, "destination", desc, (o) =>
    run.limit(() => run.dst.exists(desc, o)),
  );
  if (present) {
    skipped(walk, desc);
    return;
  }
  await run.limit(async () => {
    await beforeWrite(run, desc);
    try {
      if (await mountBlob(run, desc)) {
        run.stats.mounted++;
        run.stats.bytesMounted += desc.size;
        run.options.onProgress?.(desc, desc.size);
        run.options.onMounted?.(desc);
      } else {
        await streamBlobAgainOnTemporaryFailure(run, desc);
      }
    } finally {
      // A refused mount's upload session serves the push; if the push never came, close it.
      await run.mounter?.closeMountSession?.(desc).catch(() => undefined);
    }
    copied(walk, desc);
  });
}

async function beforeWrite(run: Run, desc: ContentDescriptor): Promise<void> {
  throwIfCancelled(run.options.signal);
  await run.options.preCopy?.(desc);
}

/**
 * Whether a repository lent the blob to the destination: first those the chooser names, then
 * those the destination remembers holding it (a blob location memory).
 */
async function mountBlob(run: Run, desc: ContentDescriptor): Promise<boolean> {
  const mounter = run.mounter;
  if (mounter === undefined) return false;
  const chosen = await run.mountSources(desc);
  const remembered = mounter.mountCandidates?.(desc) ?? [];
  for (const from of new Set([...chosen, ...remembered])) {
    if (await onSide(run, "destination", desc, (o) => mounter.mount(desc, from, o))) return true;
  }
  return false;
}

/** Attempts at a blob whose push failed for a temporary reason, each read afresh from the source. */
const BLOB_ATTEMPTS = 3;

/**
 * A registry streams a large blob's bytes as the source yields them, so its own retries cannot
 * repeat the push (the stream is spent); a push that failed for a temporary reason (5xx, 429, a
 * reset) is therefore repeated here, with the blob read again from the source.
 */
async function streamBlobAgainOnTemporaryFailure(run: Run, desc: ContentDescriptor): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const read = { bytes: 0 };
    try {
      await streamBlob(run, desc, read);
      return;
    } catch (err) {
      const temporary =
        err instanceof CopyError &&
        err.side === "destination" &&
        isRegistryError(err.cause) &&
        err.cause.temporary;
      if (!temporary || attempt >= BLOB_ATTEMPTS) throw err;
      // The bytes of the failed push are read again: progress takes them back.
      if (read.bytes > 0) run.options.onProgress?.(desc, -read.bytes);
      await cancellableSleep(250 * 2 ** (attempt - 1), run.options.signal);
    }
  }
}

/**
 * Source to destination, verified on both ends. A failure while reading is the source's, even
 * when it surfaces inside the destination's push, which is what reads the stream.
 */
async function streamBlob(
  run: Run,
  desc: ContentDescriptor,
  read: { bytes: number },
): Promise<void> {
  const body = await onSide(run, "source", desc, (o) => run.src.fetch(desc, o));
  // Each wrapper passes the bytes through unchanged, so the source's verification still covers
  // them and the destination need not hash them again.
  const stream = carryVerification(
    body,
    sourced(run, desc, cancellable(counted(run, desc, body, read), run.options.signal)),
  );
  try {
    await onSide(run, "destination", desc, (o) => run.dst.push(desc, stream, o));
  } catch (err) {
    // A push refused before it read the body leaves the source stream open.
    await release(body).catch(() => undefined);
    throw err;
  }
}

async function* counted(
  run: Run,
  desc: ContentDescriptor,
  source: AsyncIterable<Uint8Array>,
  read: { bytes: number },
): AsyncIterable<Uint8Array> {
  const report = run.options.onProgress;
  for await (const chunk of source) {
    read.bytes += chunk.byteLength;
    report?.(desc, chunk.byteLength);
    yield chunk;
  }
}

/** `source` with its errors marked as the source's. */
async function* sourced(
  run: Run,
  desc: ContentDescriptor,
  source: AsyncIterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  try {
    yield* source;
  } catch (err) {
    throw sideError(run, "source", desc, err);
  }
}

/** Copies the referrers of `desc` (each with its graph), remembering them for fallback tags. */
async function copyReferrers(walk: Walk, desc: ContentDescriptor): Promise<void> {
  const { run } = walk;
  const referrerSource = run.referrerSource;
  if (referrerSource === undefined) return;
  const listed = await onSide(run, "source", desc, async (o) => {
    const found = await run.limit(() => referrerSource.referrers(desc, undefined, o));
    return found.map((r, i) =>
      followableDescriptor(r, `$.manifests[${i}]`, `the referrers of ${desc.digest}`),
    );
  });
  if (listed.length === 0) return;
  run.stats.referrers += listed.length;
  run.found.set(desc.digest, { subject: pick(desc), listed });
  await Promise.all(listed.map((r) => copyNode(walk, pick(r))));
}

function skipped(walk: Walk, desc: ContentDescriptor): void {
  if (walk.repair) return; // the first walk counted it
  walk.run.stats.skipped++;
  walk.run.stats.bytesSkipped += desc.size;
  walk.run.options.onSkipped?.(desc);
}

function copied(walk: Walk, desc: ContentDescriptor): void {
  const { stats, options } = walk.run;
  stats.copied++;
  stats.bytesCopied += desc.size;
  if (walk.repair) stats.repaired++;
  options.onCopied?.(desc);
}

/** Runs one store call of one side; its failure becomes a CopyError naming side and descriptor. */
async function onSide<T>(
  run: Run,
  side: CopySide,
  desc: ContentDescriptor,
  step: (options: CallOptions) => Promise<T>,
): Promise<T> {
  throwIfCancelled(run.options.signal);
  try {
    return await step(run.call);
  } catch (err) {
    throw sideError(run, side, desc, err);
  }
}

function sideError(run: Run, side: CopySide, desc: ContentDescriptor, err: unknown): Error {
  // Cancellation is the caller's doing, not a side's failure: its own error, unwrapped.
  if (run.options.signal?.aborted) return cancellation(run.options.signal);
  if (err instanceof CopyError) return err;
  return new CopyError(side, side === "source" ? run.src.name : run.dst.name, desc, err);
}

/**
 * A destination that indexes subjects itself (it answers a manifest PUT with `OCI-Subject`) needs
 * no fallback tag; any other gets one, as the referrers spec says.
 */
async function writeReferrersTags(run: Run): Promise<void> {
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

/** Tags the root once its graph is complete, repairing the graph once if content vanished. */
async function tagRoot(run: Run, root: ContentDescriptor, tag: string): Promise<void> {
  if (!isManifestType(root.mediaType)) {
    throw new OcicompatError(
      "USAGE",
      `cannot tag ${root.mediaType}: only manifests and indexes can be tagged`,
      { subject: root.digest },
    );
  }
  const { dst } = run;
  // Where the destination can check the graph under its collection lock (a layout), it does.
  const writeTag = (): Promise<unknown> =>
    onSide(run, "destination", root, (o) =>
      canTagComplete(dst) ? dst.tagComplete(root, tag, o) : dst.tag(root, tag, o),
    );
  try {
    await writeTag();
  } catch (err) {
    if (!isOcicompatError(err) || err.code !== "INCOMPLETE") throw err;
    // Something (a gc, another tool) removed content after it was written, perhaps by an
    // earlier run; a manifest left without its children would be skipped forever otherwise.
    await walkGraph(run, root, "repair");
    await writeTag();
  }
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
