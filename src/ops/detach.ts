// `ocicompat detach`: remove entries' compatibilities. The reverse order of attach: first the tag
// moves to an index that no longer names the compat content, then the referrers fallback index
// stops listing it. The compat manifest itself and its `sha256-<hex>.compat` tag are left alone:
// other tags may still name an index that uses it, and on distribution (2.8) a tag cannot be
// deleted without deleting the manifest under every tag that names it. Nothing is ever deleted.
import { isOcicompatError } from "../oci/errors.js";
import { editCompatibilities } from "../compat/index-edit.js";
import { createStoreOpener, type OpenOptions, type StoreOpener } from "../content/open.js";
import {
  readTagged,
  type CallOptions,
  type ContentDescriptor,
  type Store,
} from "../content/store.js";
import { parseReference } from "../oci/reference.js";
import {
  compatTag,
  fallbackTag,
  rounds,
  updateReferrersIndex,
  writeReferrersTag,
} from "./anchors.js";
import { checkUnmoved, tagOf } from "./attach/tag.js";
import { readTagSource } from "./attach/source.js";
import { selectTargets, type TargetSelector } from "./attach/targets.js";
import { ContentWriter, type WriteRecord } from "./attach/writer.js";

export interface DetachOptions extends TargetSelector {
  dryRun?: boolean;
  /** Refuse unless the tag names this digest. */
  expect?: string;
  /** Cancels the detach; the tag moves last of the index writes, or not at all. */
  signal?: AbortSignal | undefined;
}

export interface DetachedEntry {
  position: number;
  platform: string;
  manifest: ContentDescriptor;
  /** The descriptors removed (`compatibilities`, `compat`); empty when there were none. */
  removed: ContentDescriptor[];
  /** The fallback index updated to stop listing it, when there was one listing it. */
  referrersTag?: string;
  /** The compat tag left in place (see the file comment), when it exists. */
  keptCompatTag?: string;
}

export interface DetachResult {
  store: string;
  tag: string;
  dryRun: boolean;
  /** False when no targeted entry had compatibilities: nothing was written. */
  changed: boolean;
  oldIndex: ContentDescriptor;
  newIndex: ContentDescriptor;
  entries: DetachedEntry[];
  writes: WriteRecord[];
  /** What could not be found out after the index was written (the detach itself stands). */
  warnings: string[];
}

export async function detach(
  store: Store,
  tag: string,
  options: DetachOptions = {},
): Promise<DetachResult> {
  const call: CallOptions = options.signal === undefined ? {} : { signal: options.signal };
  const source = await readTagSource(store, tag, {
    wrap: false,
    ...(options.expect === undefined ? {} : { expect: options.expect }),
    ...call,
  });
  const targets = selectTargets(source.index, options);
  const edited = editCompatibilities(
    source.indexBytes,
    targets.map((t) => ({ entry: t.position, compatibilities: null })),
    `${store.name}:${tag}`,
  );
  const newIndex: ContentDescriptor = edited.changed ? { ...edited.descriptor } : source.current;
  if (edited.changed && source.current.annotations !== undefined)
    newIndex.annotations = { ...source.current.annotations };
  const result: DetachResult = {
    store: store.name,
    tag,
    dryRun: options.dryRun === true,
    changed: edited.changed,
    oldIndex: source.current,
    newIndex,
    entries: targets.map((t) => ({
      position: t.position,
      platform: t.platformText,
      manifest: t.descriptor,
      removed: edited.previous.get(t.position) ?? [],
    })),
    writes: [],
    warnings: [],
  };
  if (!edited.changed) return result;

  const writer = new ContentWriter(store, call);
  if (!options.dryRun) {
    await checkUnmoved(store, tag, source, call);
    await writer.tag("index", newIndex, edited.bytes, tag, source.current.digest);
  }
  // Each entry's anchors are read (and its referrers index written) at once; entries of one
  // subject take turns, as each edits that subject's index.
  const touched = result.entries.filter((e) => e.removed.length > 0);
  for (const round of rounds(touched, (entry) => entry.manifest.digest)) {
    const warnings = await writer.each(round, async (w, entry) => {
      const subject = entry.manifest.digest;
      let warning: string | undefined;
      // Not found is "no tag". Any other failure is said, not read as "no tag"; it does not
      // undo the detach, which is written by now.
      const keeps = await readTagged(store, compatTag(subject), call).catch((err: unknown) => {
        if (options.signal?.aborted) throw err;
        warning = `${compatTag(subject)}: could not be read (${isOcicompatError(err) ? err.message : String(err)}); whether it still names compat content is unknown`;
        return undefined;
      });
      if (keeps !== undefined) entry.keptCompatTag = compatTag(subject);
      if (options.dryRun) {
        const listed = await readTagged(store, fallbackTag(subject), call);
        if (
          listed !== undefined &&
          updateReferrersIndex(listed.bytes, undefined, subject) !== undefined
        )
          entry.referrersTag = fallbackTag(subject);
      } else if (await writeReferrersTag(w, subject, undefined)) {
        entry.referrersTag = fallbackTag(subject);
      }
      return warning;
    });
    for (const warning of warnings) if (warning !== undefined) result.warnings.push(warning);
  }
  result.writes = writer.records;
  return result;
}

export interface DetachReferenceOptions extends TargetSelector {
  dryRun?: boolean;
  signal?: AbortSignal | undefined;
  access?: OpenOptions;
  opener?: StoreOpener;
}

/** Detaches compatibilities from the tag `reference` names (registry, `oci:`, `oci-archive:`). */
export async function detachReference(
  reference: string,
  options: DetachReferenceOptions = {},
): Promise<DetachResult> {
  const ref = parseReference(reference);
  const { tag, expect } = tagOf(ref, reference);
  const { access = {}, opener: given, ...rest } = options;
  const opener = given ?? createStoreOpener(access);
  try {
    const { store } = await opener.open(ref);
    return await detach(store, tag, { ...rest, ...(expect === undefined ? {} : { expect }) });
  } finally {
    if (given === undefined) await opener.close();
  }
}
