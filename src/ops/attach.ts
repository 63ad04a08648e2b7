// `ocicompat attach`: give index entries compatibilities without touching the images.
//
// The compat content is written first and the index last, so the tag never names an index with
// a dangling descriptor:
//   1. blobs: the empty blob `{}` when referenced, the Proposal I config (or the Proposal J blob);
//   2. the compatibilities manifest (or the Proposal J blob's keeper manifest);
//   3. its GC anchors (see anchors.ts);
//   4. the new index, under the tag.
// The index is edited byte for byte (compat/index-edit.ts): only the targeted entries'
// `platform.compatibilities` change, so every image manifest digest stays the same.
import {
  editCompatibilities,
  type CompatibilitiesEdit,
  type EntryPlatform,
} from "../compat/index-edit.js";
import { createStoreOpener, type OpenOptions, type StoreOpener } from "../content/open.js";
import type { CallOptions, ContentDescriptor, Store } from "../content/store.js";
import { OcicompatError, type ValidationIssue } from "../oci/errors.js";
import { parseReference } from "../oci/reference.js";
import type { Descriptor } from "../oci/schema.js";
import { chooseAnchors } from "./anchors.js";
import { writeAnchors } from "./attach/anchor-step.js";
import { readCompatFile } from "./attach/compat-file.js";
import { defaultCreated } from "./attach/created.js";
import { dryRunWrites, keepTagsPlanned } from "./attach/dry-run.js";
import type { AttachOptions } from "./attach/options.js";
import { planEntry, platformOfEntry, unique, type PlannedEntry } from "./attach/plan.js";
import type { AttachedEntry, AttachResult } from "./attach/result.js";
import { readTagSource, platformOfManifest } from "./attach/source.js";
import { selectTargets } from "./attach/targets.js";
import { checkUnmoved, tagOf } from "./attach/tag.js";
import { checkConcurrency, ContentWriter } from "./attach/writer.js";
import { loadCatalog } from "./load-catalog.js";

export { AnchorPolicies, type AnchorPolicy } from "./anchors.js";
export type { TargetSelector } from "./attach/targets.js";
export type { WriteRecord, WriteRole } from "./attach/writer.js";

/**
 * Attaches compatibilities to entries of the index `tag` names in `store` (wrapping a single
 * manifest into an index first), and moves the tag to the new index. See the file comment for
 * the order of writes.
 */
export async function attach(
  store: Store,
  tag: string,
  options: AttachOptions,
): Promise<AttachResult> {
  const format = options.format ?? "manifest";
  const anchor = options.anchor ?? "auto";
  const created = options.created ?? defaultCreated();
  if (options.sets.length === 0 && options.setsFor === undefined) {
    throw new OcicompatError("USAGE", "there are no compatibility sets to attach");
  }
  // Before any request: a bad bound is the caller's mistake, found without the network.
  checkConcurrency(options.concurrency);
  const call: CallOptions = options.signal === undefined ? {} : { signal: options.signal };
  const source = await readTagSource(store, tag, {
    ...(options.expect === undefined ? {} : { expect: options.expect }),
    ...call,
  });
  const targets = selectTargets(source.index, options);
  const writer = new ContentWriter(store, {
    ...call,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  // Entries without a platform get it from their image's config: read at once (no write).
  const platforms = await writer.each(
    targets,
    async (_, target) =>
      platformOfEntry(target) ??
      (await platformOfManifest(store, target.descriptor, undefined, call)),
  );
  const planned: PlannedEntry[] = [];
  for (const [i, target] of targets.entries()) {
    const platform = platforms[i] as EntryPlatform;
    const sets = options.setsFor
      ? await options.setsFor({ manifest: { ...target.descriptor }, platform }, options.sets)
      : options.sets;
    if (sets.length === 0) {
      throw new OcicompatError("USAGE", "there are no compatibility sets to attach", {
        subject: target.descriptor.digest,
      });
    }
    planned.push({
      ...planEntry(target, platform, sets, options, created),
      ...(options.setsFor ? { ownSets: sets } : {}),
    });
  }
  const edits: CompatibilitiesEdit[] = planned.map((p) => ({
    entry: p.target.position,
    compatibilities: p.compatibilities as Descriptor,
    ...(options.field === undefined ? {} : { field: options.field }),
    ...(p.target.platform === undefined ? { platform: p.platform } : {}),
  }));
  const edited = editCompatibilities(source.indexBytes, edits, `${store.name}:${tag}`);
  const newIndex: ContentDescriptor = { ...edited.descriptor };
  // A layout's index.json entry keeps its annotations (registries report none).
  if (source.current.annotations !== undefined)
    newIndex.annotations = { ...source.current.annotations };

  const result: AttachResult = {
    store: store.name,
    tag,
    format,
    anchor,
    created,
    dryRun: options.dryRun === true,
    oldIndex: source.current,
    wrapped: source.wrapped,
    newIndex,
    entries: planned.map((p) => ({
      position: p.target.position,
      platform:
        p.target.platformText === "(no platform)"
          ? formatEntryPlatform(p.platform)
          : p.target.platformText,
      manifest: p.subject,
      compatibilities: p.compatibilities,
      compatManifest: p.manifest.content.descriptor,
      replaced: edited.previous.get(p.target.position) ?? [],
      anchors: {},
      ...(p.ownSets === undefined ? {} : { sets: p.ownSets }),
    })),
    writes: [],
    warnings: [],
  };
  if (source.wrapped) {
    result.warnings.push(
      `${tag} named a single manifest; it now names a one-entry index around it (platform ${result.entries[0]?.platform ?? "?"})`,
    );
  }
  if (anchor === "none") {
    result.warnings.push(
      "--anchor none: nothing protects the compat content from a registry garbage collection that deletes untagged manifests",
    );
  }

  const blobs = unique(
    planned.flatMap((p) => p.blobs),
    (b) => b.content.descriptor.digest,
  );
  const manifests = unique(
    planned.map((p) => p.manifest),
    (m) => m.content.descriptor.digest,
  );

  if (options.dryRun) {
    result.writes = dryRunWrites(
      writer.kind,
      anchor,
      blobs,
      manifests,
      planned,
      result,
      newIndex,
      tag,
      await keepTagsPlanned(writer, anchor, planned, result.entries),
    );
    return result;
  }

  // Each step's writes go at once, and each step starts when the one before has ended.
  // 1. blobs, 2. compat manifests (or keepers)
  await writer.each(blobs, (w, b) => w.blob(b.role, b.content.descriptor, b.content.bytes));
  const answers = await writer.each(manifests, (w, m) =>
    w.manifest(m.role, m.content.descriptor, m.content.bytes),
  );
  const accepted = new Map(manifests.map((m, i) => [m.content.descriptor.digest, answers[i]]));
  // 3. anchors
  const anchoring = planned.map((p, i) => {
    const subjectAccepted = accepted.get(p.manifest.content.descriptor.digest) ?? false;
    const entry = result.entries[i] as AttachedEntry;
    entry.anchors.subjectAccepted = subjectAccepted;
    return { planned: p, entry, choice: chooseAnchors(anchor, writer.kind, subjectAccepted) };
  });
  await writeAnchors(writer, anchoring, created);
  for (const { planned: p, entry } of anchoring) {
    if (
      anchor === "referrers" &&
      entry.anchors.subjectAccepted !== true &&
      writer.kind === "registry"
    ) {
      result.warnings.push(
        `${store.name} did not answer OCI-Subject for ${p.manifest.content.descriptor.digest} (no referrers API): with --anchor referrers nothing keeps it from a garbage collection that deletes untagged manifests`,
      );
    }
  }
  // 4. the index, last, if the tag still names what was read
  await checkUnmoved(store, tag, source, call);
  await writer.tag("index", newIndex, edited.bytes, tag, source.current.digest);
  result.writes = writer.records;
  return result;
}

function formatEntryPlatform(p: EntryPlatform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== "").join("/");
}

// ---- one call for library users -----------------------------------------------------------------

export interface AttachFileOptions extends Omit<
  AttachOptions,
  "sets" | "expect" | "blobAnnotations"
> {
  /** Label packs (besides those in the config directory) for the file's validation. */
  labels?: readonly string[];
  /** How to reach registries; ignored when `opener` is given. */
  access?: OpenOptions;
  /** An opener to use (and leave open); by default one is made and closed. */
  opener?: StoreOpener;
}

/**
 * Validates `file` and attaches it to the tag `reference` names: a registry reference, an
 * `oci:DIR:TAG` layout or an `oci-archive:FILE:TAG`. Warnings of the file's validation come back
 * in `result.warnings`.
 */
export async function attachFile(
  reference: string,
  file: string,
  options: AttachFileOptions = {},
): Promise<AttachResult & { fileWarnings: ValidationIssue[] }> {
  const ref = parseReference(reference);
  const { tag, expect } = tagOf(ref, reference);
  const { labels = [], access = {}, opener: given, ...rest } = options;
  const compat = await readCompatFile(file, await loadCatalog(labels));
  const opener = given ?? createStoreOpener(access);
  try {
    const { store } = await opener.open(ref);
    const result = await attach(store, tag, {
      ...rest,
      sets: compat.sets,
      ...(expect === undefined ? {} : { expect }),
      ...(compat.annotations === undefined ? {} : { blobAnnotations: compat.annotations }),
    });
    return { ...result, fileWarnings: compat.warnings };
  } finally {
    if (given === undefined) await opener.close();
  }
}
