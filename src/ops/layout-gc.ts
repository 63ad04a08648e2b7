// `ocicompat gc oci:DIR`: removes the blobs of an OCI layout that nothing reachable from index.json
// references. Reachability follows ocicompat's successors (content/graph.ts), so each index entry's
// `platform.compatibilities`/`compat` content is kept, which a GC that only reads `manifests[]`,
// `config` and `layers` would delete. Referrers are kept when index.json lists them (ocicompat's
// `.compat` tags and oras-style layouts do); a manifest only reachable through its `subject` is
// not a root.
//
// index.json's lock is held while the roots are read, the graph is walked and blobs are deleted,
// so no tag taken under that lock lands in between. That is not enough on its own: writers
// (ocicompat's copy and attach included) push a graph's blobs without the lock, children first, and
// tag last, so until the tag lands everything they pushed is unreachable. Hence the grace
// period: an unreachable blob whose file changed less than `graceMs` ago (default one hour) is
// kept, with everything a kept manifest or index references, and reported as recent. A layout
// push of a blob already present refreshes its time, so reuse counts as a change; and `copy`
// checks its graph under the lock before it tags (LayoutStore.tagComplete), sending again what a
// gc took meanwhile.
//
// Manifests and indexes are deleted before other blobs, and a document before the documents it
// references, so a gc killed mid-way leaves no document whose children are gone: a later copy
// that finds a document present assumes its subgraph is too. Only blobs up to 4 MiB are read to
// tell documents from layers: ocicompat parses no larger manifest, and layers can be huge.
//
// Temp files (`.NAME.tmp-…`) that nobody has refreshed for TEMP_LEASE_MS (30 s) are leftovers of
// killed writers and go too, whatever --grace says: a live writer refreshes its temp files every
// few seconds however slow its source is (content/layout/files.ts), so the age says whether the
// writer is alive, across PID namespaces and hosts, where a PID would not.
import { readFile, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { successors } from "../content/graph.js";
import { openLayout, type LayoutStore } from "../content/layout.js";
import type { LayoutBlob } from "../content/layout/blob-files.js";
import { errnoOf, ioError, staleTempFiles, TEMP_LEASE_MS } from "../content/layout/files.js";
import { withLock } from "../content/layout/lock.js";
import { BLOBS_DIR } from "../content/layout/skeleton.js";
import { sniffMediaType } from "../content/layout/sniff.js";
import { fetchBytes, isManifestType, type ContentDescriptor } from "../content/store.js";
import { OcicompatError, isOcicompatError } from "../oci/errors.js";
import { throwIfCancelled } from "../content/cancel.js";

export interface LayoutGcOptions {
  dryRun?: boolean;
  /**
   * Unreachable blobs changed less than this long ago are kept (a writer may be about to tag
   * them); default one hour. 0 removes every unreachable blob.
   */
  graceMs?: number;
  /**
   * Temp files not refreshed for this long are removed (their writer is gone); default
   * TEMP_LEASE_MS, 30 s. Live writers refresh theirs every 5 s.
   */
  tempAgeMs?: number;
  /** How long to wait for index.json's lock; default 30 s. */
  lockTimeoutMs?: number;
  /** For tests: the current time. */
  now?: number;
  /** Cancels the run: checked while waiting for the lock, per document walked and per file removed. */
  signal?: AbortSignal;
}

export interface RemovedFile {
  /** The blob's digest; undefined for temp files. */
  digest?: string;
  path: string;
  size: number;
}

export interface LayoutGcResult {
  layout: string;
  dryRun: boolean;
  roots: number;
  /** Blobs kept (reachable). */
  kept: number;
  /** The grace period applied, in milliseconds. */
  graceMs: number;
  /**
   * Unreachable blobs kept because they changed within the grace period, or a kept manifest or
   * index references them; in digest order.
   */
  recent: RemovedFile[];
  /** In deletion order: manifests and indexes, each before those it references; then the rest. */
  removed: RemovedFile[];
  temps: RemovedFile[];
  /** Bytes freed (or, in a dry run, that would be). */
  bytes: number;
  /** Reachable descriptors with no blob: the layout dangles there. */
  missing: string[];
  warnings: string[];
}

/** An unreachable blob, with what gc needs to know before deciding its fate. */
interface Unreachable extends LayoutBlob {
  mtimeMs: number;
  /** Whether it is a manifest or an index. */
  document: boolean;
  /** Digests it references, when it is a document. */
  children: string[];
}

const HOUR_MS = 60 * 60 * 1000;
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/** Collects garbage in the layout at `dir`. */
export async function layoutGc(
  dir: string,
  options: LayoutGcOptions = {},
): Promise<LayoutGcResult> {
  const store = await openLayout(dir);
  const lockOptions = {
    what: `index.json of ${store.name}`,
    signal: options.signal,
    ...(options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs }),
  };
  return withLock(`${store.indexPath}.lock`, () => collect(store, options), lockOptions);
}

async function collect(store: LayoutStore, options: LayoutGcOptions): Promise<LayoutGcResult> {
  const dryRun = options.dryRun === true;
  const now = options.now ?? Date.now();
  const graceMs = options.graceMs ?? HOUR_MS;
  const roots = await store.roots();
  const result: LayoutGcResult = {
    layout: store.name,
    dryRun,
    roots: roots.length,
    kept: 0,
    graceMs,
    recent: [],
    removed: [],
    temps: [],
    bytes: 0,
    missing: [],
    warnings: [],
  };
  const reachable = await walk(store, roots, result.missing, options.signal);
  const unreachable = new Map<string, Unreachable>();
  for (const blob of await store.blobs()) {
    if (reachable.has(blob.digest)) {
      result.kept++;
      continue;
    }
    const info = await examine(blob, result.warnings);
    if (info !== undefined) unreachable.set(blob.digest, info);
  }
  const recent = graceMs > 0 ? keptAsRecent(unreachable, now - graceMs) : new Set<string>();
  const doomed = [...unreachable.values()].filter((b) => !recent.has(b.digest));
  result.recent = [...unreachable.values()].filter((b) => recent.has(b.digest)).map(fileOf);
  result.removed = deletionOrder(doomed).map(fileOf);
  result.temps = await staleTemps(store, now - (options.tempAgeMs ?? TEMP_LEASE_MS));
  for (const file of [...result.removed, ...result.temps]) {
    result.bytes += file.size;
    if (dryRun) continue;
    // Stopping between two removals is safe: the deletion order keeps every document's children.
    throwIfCancelled(options.signal);
    await rm(file.path, { force: true }).catch((err: unknown) => {
      throw ioError(err, "remove", file.path);
    });
  }
  return result;
}

/** Digests reachable from `roots`; reachable descriptors with no blob go to `missing`. */
async function walk(
  store: LayoutStore,
  roots: readonly ContentDescriptor[],
  missing: string[],
  signal: AbortSignal | undefined,
): Promise<Set<string>> {
  const reachable = new Set<string>();
  const visited = new Set<string>();
  const pending: ContentDescriptor[] = roots.map((r) => ({
    mediaType: r.mediaType,
    digest: r.digest,
    size: r.size,
  }));
  while (pending.length > 0) {
    throwIfCancelled(signal);
    const desc = pending.pop() as ContentDescriptor;
    // Walked once as a document, even if a descriptor named it as a plain blob first.
    const document = isManifestType(desc.mediaType);
    const key = `${document ? "document" : "blob"} ${desc.digest}`;
    if (visited.has(key)) continue;
    visited.add(key);
    reachable.add(desc.digest);
    if (!document) continue;
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(store, desc);
    } catch (err) {
      if (!isOcicompatError(err)) throw err;
      if (err.code !== "NOT_FOUND") throw unreadable(store, desc, err.message);
      missing.push(desc.digest);
      continue;
    }
    try {
      pending.push(...successors(desc, bytes).children);
    } catch (err) {
      throw unreadable(store, desc, isOcicompatError(err) ? err.message : String(err));
    }
  }
  return reachable;
}

/** What it references is unknown, so nothing can be called garbage: refuse rather than guess. */
function unreadable(store: LayoutStore, desc: ContentDescriptor, why: string): OcicompatError {
  return new OcicompatError(
    "VALIDATION",
    `cannot read ${desc.digest} (${why}); nothing was removed from ${store.name}`,
    { subject: desc.digest },
  );
}

/** The blob's time and, if it is a manifest or an index, what it references. */
async function examine(blob: LayoutBlob, warnings: string[]): Promise<Unreachable | undefined> {
  const info = await stat(blob.path).catch((err: unknown) => {
    if (errnoOf(err) === "ENOENT") return undefined;
    throw ioError(err, "read blob", blob.path);
  });
  if (info === undefined) return undefined;
  const base = { ...blob, mtimeMs: info.mtimeMs, document: false, children: [] };
  if (blob.size > MAX_DOCUMENT_BYTES) return base;
  const bytes = await readFile(blob.path).catch((err: unknown) => {
    throw ioError(err, "read blob", blob.path);
  });
  const mediaType = sniffMediaType(bytes);
  if (mediaType === undefined) return base;
  try {
    const desc = { mediaType, digest: blob.digest, size: blob.size };
    return {
      ...base,
      document: true,
      children: successors(desc, bytes).children.map((c) => c.digest),
    };
  } catch (err) {
    // Its children are unknown, so they are neither ordered after it nor kept when it is recent.
    const why = isOcicompatError(err) ? err.message : String(err);
    warnings.push(`unreachable ${blob.digest} looks like a manifest but cannot be parsed (${why})`);
    return { ...base, document: true };
  }
}

/**
 * Unreachable blobs changed after `cutoff`, and what the documents among them reference: a
 * writer tagging such a document next needs all of it.
 */
function keptAsRecent(unreachable: ReadonlyMap<string, Unreachable>, cutoff: number): Set<string> {
  const kept = new Set<string>();
  const pending = [...unreachable.values()].filter((b) => b.mtimeMs > cutoff).map((b) => b.digest);
  while (pending.length > 0) {
    const digest = pending.pop() as string;
    const blob = unreachable.get(digest);
    if (blob === undefined || kept.has(digest)) continue;
    kept.add(digest);
    pending.push(...blob.children);
  }
  return kept;
}

/**
 * Documents first, each before the documents it references, then the other blobs: wherever a
 * kill stops the run, no remaining document has lost a child.
 */
function deletionOrder(doomed: readonly Unreachable[]): Unreachable[] {
  const documents = new Map(doomed.filter((b) => b.document).map((b) => [b.digest, b]));
  const parents = new Map<string, number>();
  for (const doc of documents.values())
    for (const child of new Set(doc.children))
      if (documents.has(child)) parents.set(child, (parents.get(child) ?? 0) + 1);
  const order: Unreachable[] = [];
  const ready = [...documents.values()].filter((d) => !parents.has(d.digest));
  while (ready.length > 0) {
    const doc = ready.shift() as Unreachable;
    order.push(doc);
    for (const child of new Set(doc.children)) {
      if (!documents.has(child)) continue;
      const left = (parents.get(child) ?? 0) - 1;
      parents.set(child, left);
      if (left === 0) ready.push(documents.get(child) as Unreachable);
    }
  }
  // Content addressing rules out cycles; should one appear anyway, its documents still go.
  const placed = new Set(order);
  const stuck = [...documents.values()].filter((d) => !placed.has(d));
  return [...order, ...stuck, ...doomed.filter((b) => !b.document)];
}

function fileOf(blob: Unreachable): RemovedFile {
  return { digest: blob.digest, path: blob.path, size: blob.size };
}

/** Temp files of writers (`.NAME.tmp-…`) last refreshed before `before`: their writers are gone. */
async function staleTemps(store: LayoutStore, before: number): Promise<RemovedFile[]> {
  const dirs = [store.dir];
  const blobs = join(store.dir, BLOBS_DIR);
  for (const entry of await list(blobs))
    if (entry.isDirectory()) dirs.push(join(blobs, entry.name));
  const found: RemovedFile[] = [];
  for (const dir of dirs) found.push(...(await staleTempFiles(dir, before)));
  return found;
}

async function list(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return [];
    throw ioError(err, "list directory", dir);
  }
}
