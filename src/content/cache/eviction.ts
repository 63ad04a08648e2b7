// Least recently used eviction of the on-disk cache, and the directory scan it rests on (stats and
// the size estimate use the same scan). Files vanishing under a scan or an eviction are another
// process's eviction, not a failure; other file system errors only warn.
import { readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { RegisteredAlgorithms, type RegisteredAlgorithm } from "../../oci/digest.js";
import { errnoOf, type CacheWarning, type CacheWarnings } from "./warnings.js";

/** Temp files older than this belong to a writer that died; prune removes them. */
const STALE_TEMP_MS = 60 * 60 * 1000;
const STAT_CONCURRENCY = 32;

export interface Entry {
  path: string;
  size: number;
  mtimeMs: number;
}

/** What an eviction removed, and the total it left. */
export interface Eviction {
  removed: number;
  bytes: number;
  total: number;
}

/** Removes the entries of the cache at `dir` with the oldest mtimes until the total is `target`. */
export async function evictOldest(
  dir: string,
  target: number,
  warnings: CacheWarnings,
): Promise<Eviction> {
  const entries = await scanEntries(dir, "prune", warnings);
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  // Oldest first; equal times by name, so that the order is deterministic.
  entries.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let removed = 0;
  let bytes = 0;
  for (const entry of entries) {
    if (total <= target) break;
    try {
      await unlink(entry.path);
      removed += 1;
      bytes += entry.size;
    } catch (err) {
      // ENOENT: another process evicted it first; it is gone either way.
      if (errnoOf(err) !== "ENOENT") {
        warnings.ioWarning("prune", err, entry.path);
        continue;
      }
    }
    total -= entry.size;
  }
  await removeStaleTemps(dir, warnings);
  return { removed, bytes, total };
}

async function removeStaleTemps(dir: string, warnings: CacheWarnings): Promise<void> {
  const tmpDir = join(dir, "tmp");
  const names = await listNames(tmpDir, "prune", warnings);
  const cutoff = Date.now() - STALE_TEMP_MS;
  await forEachLimited(names, STAT_CONCURRENCY, async (name) => {
    const path = join(tmpDir, name);
    try {
      if ((await stat(path)).mtimeMs < cutoff) await unlink(path);
    } catch (err) {
      if (errnoOf(err) !== "ENOENT") warnings.ioWarning("prune", err, path);
    }
  });
}

/** Every entry with its size and time. Files vanishing meanwhile are skipped; junk is ignored. */
export async function scanEntries(
  cacheDir: string,
  operation: CacheWarning["operation"],
  warnings: CacheWarnings,
): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const algorithm of Object.keys(RegisteredAlgorithms) as RegisteredAlgorithm[]) {
    const dir = join(cacheDir, "blobs", algorithm);
    const names = (await listNames(dir, operation, warnings)).filter((n) =>
      RegisteredAlgorithms[algorithm].test(n),
    );
    await forEachLimited(names, STAT_CONCURRENCY, async (name) => {
      const path = join(dir, name);
      try {
        const info = await stat(path);
        if (info.isFile()) entries.push({ path, size: info.size, mtimeMs: info.mtimeMs });
      } catch (err) {
        if (errnoOf(err) !== "ENOENT") warnings.ioWarning(operation, err, path);
      }
    });
  }
  return entries;
}

async function listNames(
  dir: string,
  operation: CacheWarning["operation"],
  warnings: CacheWarnings,
): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (errnoOf(err) !== "ENOENT") warnings.ioWarning(operation, err, dir);
    return [];
  }
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  action: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await action(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
