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
  buildCompatBlob,
  buildCompatConfig,
  buildCompatManifest,
  type BuiltContent,
} from "../compat/build.js";
import type { LabelCatalog } from "../compat/catalog.js";
import { detectKind, readDocumentLeniently } from "../compat/document.js";
import {
  editCompatibilities,
  type CompatField,
  type CompatibilitiesEdit,
  type EntryPlatform,
} from "../compat/index-edit.js";
import { createStoreOpener, type OpenOptions, type StoreOpener } from "../content/open.js";
import type { CallOptions, ContentDescriptor, Store } from "../content/store.js";
import { OcicompatError, ValidationError, type ValidationIssue } from "../oci/errors.js";
import { EmptyDescriptor, MediaType } from "../oci/media-types.js";
import { parseReference, type Reference } from "../oci/reference.js";
import type { Descriptor } from "../oci/schema.js";
import {
  chooseAnchors,
  compatTag,
  fallbackTag,
  keepPrevious,
  previousToKeep,
  referrerDescriptor,
  writeReferrersTag,
  type AnchorPolicy,
} from "./anchors.js";
import { readTagSource, platformOfManifest, type TagSource } from "./attach/source.js";
import { selectTargets, type TargetEntry, type TargetSelector } from "./attach/targets.js";
import { ContentWriter, type WriteRecord, type WriteRole } from "./attach/writer.js";
import { loadCatalog } from "./load-catalog.js";
import { readDocument } from "./read-document.js";

export { AnchorPolicies, type AnchorPolicy } from "./anchors.js";
export type { TargetSelector } from "./attach/targets.js";
export type { WriteRecord, WriteRole } from "./attach/writer.js";

export const AttachFormats = ["manifest", "blob"] as const;
export type AttachFormat = (typeof AttachFormats)[number];
export const LayerPolicies = ["empty", "none"] as const;
export type LayersOption = (typeof LayerPolicies)[number];

type CompatSet = Record<string, unknown>;

export interface AttachOptions extends TargetSelector {
  /** The compatibility sets, already validated (see readCompatFile). */
  sets: readonly CompatSet[];
  /** "manifest": Proposal I compat manifest (default); "blob": Proposal J blob plus keeper. */
  format?: AttachFormat;
  anchor?: AnchorPolicy;
  /** Layers of the Proposal I manifest: one empty descriptor (default) or none. */
  layers?: LayersOption;
  /** Plan only: read, but write nothing. */
  dryRun?: boolean;
  /** RFC 3339 time for `created`; default `$SOURCE_DATE_EPOCH`, else now (defaultCreated). */
  created?: string;
  /** Refuse unless the tag names this digest (`REF:tag@digest`). */
  expect?: string;
  /** Annotations of the Proposal J blob. */
  blobAnnotations?: Record<string, string>;
  /**
   * Each targeted entry's own sets, from `sets` and the entry (its image manifest and platform):
   * `attach --infer` merges rules inferred from the entry's layers here (ops/infer.ts). `sets`
   * may then be empty.
   */
  setsFor?: (
    entry: { manifest: Descriptor; platform: EntryPlatform },
    sets: readonly CompatSet[],
  ) => Promise<readonly CompatSet[]>;
  /**
   * The platform member written: `compatibilities` (default: the seed Proposal I, which the
   * first implementations read) or `compat` (Proposal J and the final Proposal I).
   */
  field?: CompatField;
  /**
   * Cancels the attach. The writes stop at once; as the index is written last, the tag keeps
   * naming the old index (what was written before it is complete but unreferenced).
   */
  signal?: AbortSignal | undefined;
}

export interface AttachedEntry {
  position: number;
  platform: string;
  /** The image manifest: the compat manifest's subject. */
  manifest: ContentDescriptor;
  /** The descriptor now in `platform.compatibilities`. */
  compatibilities: ContentDescriptor;
  /** The compat manifest, or for the blob format the keeper manifest. */
  compatManifest: ContentDescriptor;
  /** The descriptors the entry had before (`compatibilities`, `compat`). */
  replaced: ContentDescriptor[];
  /** The anchors written (or, in a dry run, planned) for it. */
  anchors: {
    compatTag?: string;
    referrersTag?: string;
    subjectAccepted?: boolean;
    /** The keep tag left on what the `.compat` tag named before (registries; see anchors.ts). */
    keptPrevious?: string;
  };
  /** The entry's own sets, when `setsFor` made them. */
  sets?: readonly CompatSet[];
}

/** One planned or performed write, in order. */
export type PlannedWrite = WriteRecord & {
  /** In a dry run: written only when the registry turns out to have no referrers API. */
  conditional?: boolean;
};

export interface AttachResult {
  store: string;
  tag: string;
  format: AttachFormat;
  anchor: AnchorPolicy;
  /** The `org.opencontainers.image.created` time written. */
  created: string;
  dryRun: boolean;
  /** What the tag named before: the index, or the single manifest that was wrapped. */
  oldIndex: ContentDescriptor;
  wrapped: boolean;
  newIndex: ContentDescriptor;
  entries: AttachedEntry[];
  /** Every write, in the order it was (or would be) made. */
  writes: PlannedWrite[];
  warnings: string[];
}

/** `2026-01-31T12:00:00Z`: RFC 3339 in UTC, whole seconds. */
export function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The `created` time written when the caller gives none: `$SOURCE_DATE_EPOCH` (seconds since
 * the epoch, the reproducible-builds convention, so that a re-run writes the same digests), else
 * now. A value that is not a whole number of seconds is an error, never silently now.
 */
export function defaultCreated(env: NodeJS.ProcessEnv = process.env): string {
  const epoch = env["SOURCE_DATE_EPOCH"];
  if (epoch === undefined || epoch === "") return nowRfc3339();
  if (!/^\d{1,12}$/.test(epoch)) {
    throw new OcicompatError(
      "USAGE",
      `SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01, not ${JSON.stringify(epoch)}`,
      { subject: "SOURCE_DATE_EPOCH" },
    );
  }
  return new Date(Number(epoch) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

interface PlannedEntry {
  target: TargetEntry;
  platform: EntryPlatform;
  /** The subject: the entry's image manifest. */
  subject: Descriptor;
  blobs: { role: WriteRole; content: BuiltContent }[];
  manifest: { role: WriteRole; content: BuiltContent };
  compatibilities: ContentDescriptor;
  /** Set when `setsFor` made this entry's sets. */
  ownSets?: readonly CompatSet[];
}

function platformOfEntry(target: TargetEntry): EntryPlatform | undefined {
  const p = target.platform;
  if (p === undefined || typeof p["os"] !== "string" || typeof p["architecture"] !== "string")
    return undefined;
  const platform: EntryPlatform = { architecture: p["architecture"], os: p["os"] };
  if (typeof p["variant"] === "string" && p["variant"] !== "") platform.variant = p["variant"];
  return platform;
}

function emptyBlob(): BuiltContent {
  return {
    descriptor: {
      mediaType: EmptyDescriptor.mediaType,
      digest: EmptyDescriptor.digest,
      size: EmptyDescriptor.size,
    },
    bytes: new TextEncoder().encode("{}"),
  };
}

function planEntry(
  target: TargetEntry,
  platform: EntryPlatform,
  sets: readonly CompatSet[],
  options: AttachOptions,
  created: string,
): PlannedEntry {
  const subject: Descriptor = { ...target.descriptor };
  if ((options.format ?? "manifest") === "blob") {
    const blob = buildCompatBlob(sets, options.blobAnnotations, created);
    const empty = emptyBlob();
    const keeper = buildCompatManifest(empty.descriptor, {
      created,
      subject,
      layers: "none",
      extraLayers: [blob.descriptor],
    });
    return {
      target,
      platform,
      subject,
      blobs: [
        { role: "empty", content: empty },
        { role: "compat-blob", content: blob },
      ],
      manifest: { role: "keeper", content: keeper },
      compatibilities: blob.descriptor,
    };
  }
  const layers = options.layers ?? "empty";
  const config = buildCompatConfig(sets, platform, created);
  const manifest = buildCompatManifest(config.descriptor, {
    created,
    subject,
    layers: layers === "empty" ? "empty-descriptor" : "none",
  });
  return {
    target,
    platform,
    subject,
    blobs: [
      ...(layers === "empty" ? [{ role: "empty" as const, content: emptyBlob() }] : []),
      { role: "config", content: config },
    ],
    manifest: { role: "compat-manifest", content: manifest },
    compatibilities: {
      mediaType: manifest.descriptor.mediaType,
      digest: manifest.descriptor.digest,
      size: manifest.descriptor.size,
    },
  };
}

/** Removes repeats of one digest, keeping the first (the same config serves equal entries). */
function unique<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => (seen.has(key(item)) ? false : (seen.add(key(item)), true)));
}

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
  const call: CallOptions = options.signal === undefined ? {} : { signal: options.signal };
  const source = await readTagSource(store, tag, {
    ...(options.expect === undefined ? {} : { expect: options.expect }),
    ...call,
  });
  const targets = selectTargets(source.index, options);
  const planned: PlannedEntry[] = [];
  for (const target of targets) {
    const platform =
      platformOfEntry(target) ??
      (await platformOfManifest(store, target.descriptor, undefined, call));
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

  const writer = new ContentWriter(store, call);
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

  // 1. blobs, 2. compat manifests (or keepers)
  for (const b of blobs) await writer.blob(b.role, b.content.descriptor, b.content.bytes);
  const accepted = new Map<string, boolean>();
  for (const m of manifests) {
    accepted.set(
      m.content.descriptor.digest,
      await writer.manifest(m.role, m.content.descriptor, m.content.bytes),
    );
  }
  // 3. anchors
  for (const [i, p] of planned.entries()) {
    const subjectAccepted = accepted.get(p.manifest.content.descriptor.digest) ?? false;
    await writeAnchors(writer, p, result.entries[i] as AttachedEntry, subjectAccepted, result);
  }
  // 4. the index, last, if the tag still names what was read
  await checkUnmoved(store, tag, source, call);
  await writer.tag("index", newIndex, edited.bytes, tag, source.current.digest);
  result.writes = writer.records;
  return result;
}

/** Step 3 for one entry: the anchors `result.anchor` asks for, given the registry's answer. */
async function writeAnchors(
  writer: ContentWriter,
  planned: PlannedEntry,
  entry: AttachedEntry,
  subjectAccepted: boolean,
  result: AttachResult,
): Promise<void> {
  const manifest = planned.manifest.content;
  const subject = planned.subject.digest;
  entry.anchors.subjectAccepted = subjectAccepted;
  const choice = chooseAnchors(result.anchor, writer.kind, subjectAccepted);
  if (choice.compatTag) {
    if (writer.kind === "registry") {
      // A layout needs none: its gc follows the compat descriptors of every tagged index.
      const kept = await keepPrevious(writer, subject, manifest.descriptor, entry.replaced);
      if (kept !== undefined) entry.anchors.keptPrevious = kept;
    }
    const tagged = { ...manifest.descriptor, artifactType: MediaType.Compatibilities };
    await writer.tag("compat-tag", tagged, manifest.bytes, compatTag(subject));
    entry.anchors.compatTag = compatTag(subject);
  }
  if (choice.referrersTag) {
    const listed = referrerDescriptor(manifest.descriptor, result.created);
    await writeReferrersTag(writer, subject, listed);
    entry.anchors.referrersTag = fallbackTag(subject);
  }
  if (result.anchor === "referrers" && !subjectAccepted && writer.kind === "registry") {
    result.warnings.push(
      `${writer.store.name} did not answer OCI-Subject for ${manifest.descriptor.digest} (no referrers API): with --anchor referrers nothing keeps it from a garbage collection that deletes untagged manifests`,
    );
  }
}

function formatEntryPlatform(p: EntryPlatform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== "").join("/");
}

/** Refuses to move a tag that changed since it was read (another writer got there first). */
export async function checkUnmoved(
  store: Store,
  tag: string,
  source: TagSource,
  options?: CallOptions,
): Promise<void> {
  const now = await store.resolve(tag, options);
  if (now.digest !== source.current.digest) {
    throw new OcicompatError(
      "CONFLICT",
      `${tag} moved from ${source.current.digest} to ${now.digest} while ocicompat was writing; the tag was left as it is, run the command again`,
      { subject: `${store.name}:${tag}` },
    );
  }
}

/**
 * Per planned entry, the keep tag a registry attach would leave on what the entry's `.compat` tag
 * names now (anchors.ts, keepPrevious), read from the registry; nothing is written. The write is
 * listed once per tag name (entries sharing a J blob share its keeper), as the attach makes it.
 */
async function keepTagsPlanned(
  writer: ContentWriter,
  anchor: AnchorPolicy,
  planned: readonly PlannedEntry[],
  entries: readonly AttachedEntry[],
): Promise<{ tag?: string; write?: PlannedWrite }[]> {
  if (writer.kind !== "registry" || !chooseAnchors(anchor, writer.kind, false).compatTag) {
    return planned.map(() => ({}));
  }
  const listed = new Set<string>();
  const plans: { tag?: string; write?: PlannedWrite }[] = [];
  for (const [i, p] of planned.entries()) {
    const next = p.manifest.content.descriptor;
    const replaced = entries[i]?.replaced ?? [];
    const plan = await previousToKeep(writer, p.subject.digest, next, replaced);
    if (plan === undefined) {
      plans.push({});
      continue;
    }
    const fresh = !plan.exists && !listed.has(plan.tag);
    listed.add(plan.tag);
    plans.push({
      tag: plan.tag,
      ...(fresh
        ? {
            write: {
              action: "tag",
              role: "keep-tag",
              descriptor: plan.previous.descriptor,
              tag: plan.tag,
            },
          }
        : {}),
    });
  }
  return plans;
}

function dryRunWrites(
  kind: "registry" | "layout",
  anchor: AnchorPolicy,
  blobs: readonly { role: WriteRole; content: BuiltContent }[],
  manifests: readonly { role: WriteRole; content: BuiltContent }[],
  planned: readonly PlannedEntry[],
  result: AttachResult,
  newIndex: ContentDescriptor,
  tag: string,
  keepTags: readonly { tag?: string; write?: PlannedWrite }[],
): PlannedWrite[] {
  const writes: PlannedWrite[] = [];
  for (const b of blobs)
    writes.push({ action: "blob", role: b.role, descriptor: b.content.descriptor });
  for (const m of manifests)
    writes.push({ action: "manifest", role: m.role, descriptor: m.content.descriptor });
  // Without the registry's answer, `auto` on a registry shows the anchors for no referrers API.
  const choice = chooseAnchors(anchor, kind, false);
  const conditional = anchor === "auto" && kind === "registry";
  for (const [i, p] of planned.entries()) {
    const entry = result.entries[i] as AttachedEntry;
    const manifest = p.manifest.content.descriptor;
    if (choice.compatTag) {
      const keep = keepTags[i];
      if (keep?.write !== undefined)
        writes.push({ ...keep.write, ...(conditional ? { conditional } : {}) });
      if (keep?.tag !== undefined) entry.anchors.keptPrevious = keep.tag;
      const name = compatTag(p.subject.digest);
      writes.push({
        action: "tag",
        role: "compat-tag",
        descriptor: manifest,
        tag: name,
        ...(conditional ? { conditional } : {}),
      });
      entry.anchors.compatTag = name;
    }
    if (choice.referrersTag) {
      const name = fallbackTag(p.subject.digest);
      writes.push({
        action: "tag",
        role: "referrers-tag",
        descriptor: manifest,
        tag: name,
        ...(conditional ? { conditional } : {}),
      });
      entry.anchors.referrersTag = name;
    }
  }
  writes.push({ action: "tag", role: "index", descriptor: newIndex, tag });
  return writes;
}

// ---- the authoring file -----------------------------------------------------------------------

export interface CompatFile {
  sets: CompatSet[];
  /** The annotations of a Proposal J blob file. */
  annotations?: Record<string, string>;
  warnings: ValidationIssue[];
}

/**
 * Reads an authoring file (YAML or JSON) or a Proposal J blob and validates it strictly: any
 * error throws a ValidationError listing every problem; warnings are returned.
 */
export async function readCompatFile(file: string, catalog?: LabelCatalog): Promise<CompatFile> {
  const { value } = await readDocument(file);
  if (detectKind(value) !== "compat") {
    throw new OcicompatError(
      "VALIDATION",
      'is not a compatibilities file: expected {"compatibilities": [ {set}, ... ]} or a Proposal J blob',
      { subject: file },
    );
  }
  // Read leniently (docs/interop.md): what is written is the normalised form.
  const read = readDocumentLeniently("compat", value, catalog === undefined ? {} : { catalog });
  const report = read.report;
  if (report.errors.length > 0) throw new ValidationError(file, report.errors);
  const doc = read.value as { compatibilities: CompatSet[]; annotations?: Record<string, string> };
  const out: CompatFile = { sets: doc.compatibilities, warnings: report.warnings };
  if (doc.annotations !== undefined) out.annotations = doc.annotations;
  return out;
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

/** The tag a reference names, and the digest it must still name when it gives both. */
export function tagOf(ref: Reference, input: string): { tag: string; expect?: string } {
  const tag = ref.tag;
  if (tag === undefined) {
    throw new OcicompatError(
      "USAGE",
      "names no tag: attach and detach move a tag to the new index (give REF:TAG)",
      { subject: input },
    );
  }
  const digest = ref.scheme === "oci-archive" ? undefined : ref.digest;
  return digest === undefined ? { tag } : { tag, expect: digest };
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
