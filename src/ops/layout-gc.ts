// `ocifit gc oci:DIR`: removes the blobs of an OCI layout that nothing reachable from index.json
// references. Reachability follows ocifit's successors (content/graph.ts), so each index entry's
// `platform.compatibilities`/`compat` content is kept, which a GC that only reads `manifests[]`,
// `config` and `layers` would delete. Referrers are kept when index.json lists them (ocifit's
// `.compat` tags and oras-style layouts do); a manifest only reachable through its `subject` is
// not a root.
//
// index.json's lock is held while the roots are read and the graph is walked, and while blobs are
// deleted, so no ocifit tag can land in between. Temp files (`.NAME.tmp-…`) older than an hour are
// leftovers of killed writers and go too.
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { successors } from "../content/graph.js";
import { BLOBS_DIR, openLayout, type LayoutStore } from "../content/layout.js";
import { errnoOf, ioError } from "../content/layout/files.js";
import { withLock } from "../content/layout/lock.js";
import { fetchBytes, isManifestType, type ContentDescriptor } from "../content/store.js";
import { OcifitError, isOcifitError } from "../oci/errors.js";

export interface LayoutGcOptions {
  dryRun?: boolean;
  /** Temp files older than this are removed; default one hour. */
  tempAgeMs?: number;
  /** How long to wait for index.json's lock; default 30 s. */
  lockTimeoutMs?: number;
  /** For tests: the current time. */
  now?: number;
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
  removed: RemovedFile[];
  temps: RemovedFile[];
  /** Bytes freed (or, in a dry run, that would be). */
  bytes: number;
  /** Reachable descriptors with no blob: the layout dangles there. */
  missing: string[];
  warnings: string[];
}

const HOUR_MS = 60 * 60 * 1000;
const TEMP_NAME = /^\..+\.tmp-/;

/** Collects garbage in the layout at `dir`. */
export async function layoutGc(
  dir: string,
  options: LayoutGcOptions = {},
): Promise<LayoutGcResult> {
  const store = await openLayout(dir);
  const lockOptions = {
    what: `index.json of ${store.name}`,
    ...(options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs }),
  };
  return withLock(`${store.indexPath}.lock`, () => collect(store, options), lockOptions);
}

async function collect(store: LayoutStore, options: LayoutGcOptions): Promise<LayoutGcResult> {
  const dryRun = options.dryRun === true;
  const roots = await store.roots();
  const result: LayoutGcResult = {
    layout: store.name,
    dryRun,
    roots: roots.length,
    kept: 0,
    removed: [],
    temps: [],
    bytes: 0,
    missing: [],
    warnings: [],
  };
  const reachable = new Set<string>();
  const pending: ContentDescriptor[] = roots.map((r) => ({
    mediaType: r.mediaType,
    digest: r.digest,
    size: r.size,
  }));
  while (pending.length > 0) {
    const desc = pending.pop() as ContentDescriptor;
    if (reachable.has(desc.digest)) continue;
    reachable.add(desc.digest);
    if (!isManifestType(desc.mediaType)) continue;
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(store, desc);
    } catch (err) {
      if (!isOcifitError(err)) throw err;
      if (err.code !== "NOT_FOUND") throw unreadable(store, desc, err.message);
      result.missing.push(desc.digest);
      continue;
    }
    try {
      pending.push(...successors(desc, bytes).children);
    } catch (err) {
      throw unreadable(store, desc, isOcifitError(err) ? err.message : String(err));
    }
  }
  for (const blob of await store.blobs()) {
    if (reachable.has(blob.digest)) {
      result.kept++;
      continue;
    }
    result.removed.push({ digest: blob.digest, path: blob.path, size: blob.size });
  }
  result.temps = await staleTemps(
    store,
    (options.now ?? Date.now()) - (options.tempAgeMs ?? HOUR_MS),
  );
  for (const file of [...result.removed, ...result.temps]) {
    result.bytes += file.size;
    if (dryRun) continue;
    await rm(file.path, { force: true }).catch((err: unknown) => {
      throw ioError(err, "remove", file.path);
    });
  }
  return result;
}

/** What it references is unknown, so nothing can be called garbage: refuse rather than guess. */
function unreadable(store: LayoutStore, desc: ContentDescriptor, why: string): OcifitError {
  return new OcifitError(
    "VALIDATION",
    `cannot read ${desc.digest} (${why}); nothing was removed from ${store.name}`,
    { subject: desc.digest },
  );
}

/** Temp files of writers (`.NAME.tmp-PID-HEX`) last changed before `before`. */
async function staleTemps(store: LayoutStore, before: number): Promise<RemovedFile[]> {
  const dirs = [store.dir];
  const blobs = join(store.dir, BLOBS_DIR);
  for (const entry of await list(blobs))
    if (entry.isDirectory()) dirs.push(join(blobs, entry.name));
  const found: RemovedFile[] = [];
  for (const dir of dirs) {
    for (const entry of await list(dir)) {
      if (!entry.isFile() || !TEMP_NAME.test(entry.name)) continue;
      const path = join(dir, entry.name);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && info.mtimeMs < before) found.push({ path, size: info.size });
    }
  }
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
