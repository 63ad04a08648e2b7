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
//
// The walk and the root's tag are here; copy/ holds the options, the run's shared state, the
// side-naming store call, one blob's transfer (mount, stream, retry) and the fallback tags.
import { isOcicompatError, OcicompatError } from "../oci/errors.js";
import { followableDescriptor } from "../oci/followed-descriptor.js";
import { throwIfCancelled } from "./cancel.js";
import {
  closeUnusedSession,
  mountBlob,
  mountsFirst,
  streamBlobAgainOnTemporaryFailure,
} from "./copy/blob-transfer.js";
import {
  askEarly,
  noEarlyAnswers,
  presenceOf,
  settleEarly,
  takeEarlyMount,
  type EarlyAnswers,
} from "./copy/early-answers.js";
import type { CopyOptions, CopyStats } from "./copy/options.js";
import { writeReferrersTags } from "./copy/referrers-tags.js";
import { startRun, type Run } from "./copy/run.js";
import { onSide } from "./copy/side.js";
import { successors } from "./graph.js";
import {
  canTagComplete,
  fetchBytes,
  isManifestPusher,
  isManifestType,
  type CallOptions,
  type ContentDescriptor,
  type Store,
} from "./store.js";

export { CopyError, isCopyError, type CopySide } from "./copy/error.js";

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
  /** What was asked of the destination before its node's turn (askChildrenEarly). */
  early: EarlyAnswers;
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
  if (alreadyTagged(run, root)) {
    // Parents are written after their children, so what a tag names is complete below it, and
    // writing the tag again would change nothing (a registry's tag write is a GET and a PUT).
    options.onDiscovered?.(root);
    run.stats.skipped++;
    run.stats.bytesSkipped += root.size;
    options.onSkipped?.(root);
    return run.stats;
  }
  await walkGraph(run, root, "copy");
  if (run.referrerSource !== undefined && run.found.size > 0) await writeReferrersTags(run);
  if (options.tag !== undefined && !run.root.tagged) await tagRoot(run, root, options.tag);
  return run.stats;
}

/** Whether the destination's tag already names the root, and nothing else is asked for. */
function alreadyTagged(run: Run, root: ContentDescriptor): boolean {
  const { options } = run;
  return (
    options.tag !== undefined &&
    options.taggedAtDestination === root.digest &&
    run.referrerSource === undefined &&
    !canTagComplete(run.dst)
  );
}

function rootLikelyAbsent(walk: Walk, desc: ContentDescriptor): boolean {
  const tagged = walk.run.options.taggedAtDestination;
  return (
    !walk.repair &&
    desc.digest === walk.run.root.digest &&
    tagged !== undefined &&
    tagged !== desc.digest
  );
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
    early: noEarlyAnswers(),
  };
  try {
    await copyNode(walk, root);
    while (walk.searches.length > 0) await Promise.all(walk.searches.splice(0));
    // The caller may close the destination (or write the tag) once this returns: no request of
    // the walk's may be left in flight, including answers asked early for a root found present.
    await settleEarly(run, walk.early);
  } catch (err) {
    // Let transfers under way finish (or fail) before reporting: the caller may close the
    // destination (an archive is written then) as soon as this returns.
    walk.stopped = true;
    for (let settled = -1; settled !== walk.done.size;) {
      settled = walk.done.size;
      await Promise.allSettled([...walk.done.values(), ...walk.searches]);
    }
    await settleEarly(run, walk.early);
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
  const read = (): Promise<Uint8Array> =>
    onSide(run, "source", desc, (o) => run.limit(() => fetchBytes(run.src, desc, undefined, o)));
  // A root the destination's tag does not name is most likely new there: its bytes are asked for
  // beside its presence, one round trip sooner. (Otherwise presence comes first, so that a copy
  // the destination holds reads no manifest: registries that meter pulls count each GET.)
  const early = rootLikelyAbsent(walk, desc) ? read() : undefined;
  // Its children are asked for only while its own answer is awaited: once that is in, they are
  // asked in their turn (or not at all, the root being present), and what was asked early but is
  // still queued in run.limit is not sent if the root is present. Registered before the `await
  // early` below, so it runs first when the bytes come.
  let rootPresent: boolean | undefined; // the root's own answer, once in (false if it failed)
  if (early !== undefined) {
    const wanted = () => rootPresent !== true && !walk.stopped;
    const asking = early.then((bytes) => {
      if (rootPresent === undefined) askChildrenEarly(walk, desc, bytes, wanted);
    });
    walk.early.asking.push(asking.catch(() => undefined)); // the read's failure is reported below
  }
  let present: boolean;
  try {
    present = await presenceOf(run, walk.early, desc);
    rootPresent = present;
  } finally {
    rootPresent ??= false;
  }
  const searching = run.referrerSource !== undefined && !walk.repair;
  if (present && !searching && !walk.repair) {
    // Parents are written after their children, so content that exists is complete below.
    skipped(walk, desc);
    return;
  }
  const bytes = await (early ?? read());
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

/**
 * A blob: skipped when present, else mounted when a source repository allows, else streamed. A
 * blob the destination's memory places in other repositories and not in its own is mounted
 * before its presence is asked (mountsFirst): one round trip where asking first takes two.
 */
async function copyBlob(walk: Walk, desc: ContentDescriptor): Promise<void> {
  const { run } = walk;
  // A mount sent early (askChildrenEarly) is awaited outside run.limit: it holds a slot of its
  // own, and a step waiting for it while holding one deadlocks once every slot waits.
  let lent: boolean | undefined;
  try {
    lent = await takeEarlyMount(walk.early, desc);
  } catch (err) {
    await closeUnusedSession(run, desc);
    throw err;
  }
  // A repair trusts no memory: it asks, as it re-sends only what is gone.
  const first = lent !== undefined || (!walk.repair && mountsFirst(run, desc));
  if (!first && (await presenceOf(run, walk.early, desc))) {
    skipped(walk, desc);
    return;
  }
  const outcome =
    lent === true
      ? "mounted"
      : await run.limit(() => transferBlob(run, desc, first, lent === undefined));
  if (outcome === "present") {
    skipped(walk, desc);
    return;
  }
  if (outcome === "mounted") {
    run.stats.mounted++;
    run.stats.bytesMounted += desc.size;
    run.options.onProgress?.(desc, desc.size);
    run.options.onMounted?.(desc);
  }
  copied(walk, desc);
}

/**
 * Mounts `desc` (unless its mount was sent already, and refused), else streams it. A blob that
 * was mounted without asking first (`unasked`) and refused is asked for before anything goes
 * through the session the refusal opened.
 */
async function transferBlob(
  run: Run,
  desc: ContentDescriptor,
  unasked: boolean,
  mountNow: boolean,
): Promise<"mounted" | "present" | "streamed"> {
  try {
    if (mountNow) {
      await beforeWrite(run, desc);
      if (await mountBlob(run, desc)) return "mounted";
    }
    // Every mount refused: the memory was wrong about elsewhere, and may be about here. Asked
    // within this step's slot of run.limit, not through it: taking a second slot while holding
    // one deadlocks once every slot is held by a step waiting for another.
    const here =
      unasked && (await onSide(run, "destination", desc, (o) => run.dst.exists(desc, o)));
    if (here) return "present";
    await streamBlobAgainOnTemporaryFailure(run, desc);
    return "streamed";
  } finally {
    // A session opened before the push (a refused mount's, or one opened while the source was
    // asked) serves the push; if the push never came, close it.
    await closeUnusedSession(run, desc);
  }
}

/**
 * A root that is most likely new has children that most likely are new too: they are asked
 * about (blobs to be mounted first are mounted) when the root's bytes come in while the root's
 * own presence is still awaited, not after it. A first push then waits one round trip less; a
 * root that turns out present costs a request per child. Nothing that sends bytes starts before
 * the root's absence is known.
 */
function askChildrenEarly(
  walk: Walk,
  desc: ContentDescriptor,
  bytes: Uint8Array,
  wanted: () => boolean,
): void {
  if (walk.stopped) return;
  let children: ContentDescriptor[];
  try {
    children = successors(desc, bytes).children;
  } catch {
    return; // the walk reads the same bytes and reports the problem
  }
  askEarly(walk.run, walk.early, children, (digest) => walk.done.has(digest), wanted);
}

async function beforeWrite(run: Run, desc: ContentDescriptor): Promise<void> {
  throwIfCancelled(run.options.signal);
  await run.options.preCopy?.(desc);
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
