// The content-addressed cache on disk. Manifests, configs and compatibilities blobs are named by
// their digest, so once fetched they can be read back with no request at all (DESIGN §5: a warm
// `select` costs only the tag resolution). Layers never come here: entries are capped at 4 MiB.
//
// Layout: `<dir>/blobs/<algorithm>/<hex>`, read-only once in place, and `<dir>/tmp/` for writes in
// flight. Least recently used entries go first: a read sets the entry's mtime (no rewrite), and
// eviction removes the oldest mtimes until the total fits.
//
// Several processes may share one directory, and no lock is needed, because:
// - an entry's name is its content's digest, so every writer of one name writes the same bytes;
// - a writer fills a private temp file and renames it into place. rename() is atomic, so a reader
//   sees no file or a whole file; when two writers race, the second rename replaces equal bytes;
// - every read is verified against the digest, so even a torn entry (a crash before the data reached
//   the disk: writes are not fsynced, on purpose) or a hand-edited file is a miss, never content;
// - eviction is unlink(): a reader holding the file open keeps reading the old inode, a later one
//   gets ENOENT, which is a miss. Prune skips files that vanish under it and ignores new ones.
// The worst a race can do is cost a refetch or leave the total briefly off budget.
//
// A broken cache must not break a check: I/O failures never throw from get/put/has/prune/stats.
// They degrade to a miss or a no-op and are recorded as diagnostics (and passed to `onWarning`).
//
// Entry names and the default directory are in cache-dir.ts, the scan and eviction in
// eviction.ts, the diagnostics in warnings.ts.
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { computeDigest, verifyContent } from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";
import { defaultCacheDir, locate, type Located } from "./cache-dir.js";
import { evictOldest, scanEntries } from "./eviction.js";
import { CacheWarnings, errnoOf, type CacheWarning } from "./warnings.js";

export const DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_CACHE_MAX_ENTRY_BYTES = 4 * 1024 * 1024;

/** An opportunistic prune goes below the budget, so that the next few writes don't prune again. */
const PRUNE_LOW_WATER = 0.9;
/** Errors that will recur on every write: after one, this cache stops trying to write. */
const PERSISTENT_WRITE_ERRORS = new Set([
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOTDIR",
  "ENOSPC",
  "EDQUOT",
]);

export interface CacheOptions {
  /** Defaults to {@link defaultCacheDir}. */
  dir?: string;
  /** The total the cache is pruned down to; default 256 MiB. */
  maxBytes?: number;
  /** Larger content is never cached; default 4 MiB. */
  maxEntryBytes?: number;
  /** Called once per new diagnostic. It must not throw (if it does, the error is ignored). */
  onWarning?: (warning: CacheWarning) => void;
}

export interface PruneResult {
  removed: number;
  bytes: number;
}

export interface CacheStats {
  entries: number;
  bytes: number;
}

export interface ContentCache {
  readonly dir: string;
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  /**
   * The content named by `digest`, verified: a corrupt or truncated entry is deleted and reported
   * as a miss. A digest the cache cannot verify (malformed, or an unsupported algorithm) is a miss.
   */
  get(digest: string): Promise<Uint8Array | undefined>;
  /** Whether an entry exists (a cheap hint: only `get` verifies). */
  has(digest: string): Promise<boolean>;
  /**
   * Stores `bytes` under `digest`, atomically. Throws DIGEST_MISMATCH (or INVALID_DIGEST,
   * UNSUPPORTED) when `bytes` is not the content `digest` names; silently stores nothing when
   * `bytes` is larger than `maxEntryBytes` or the file system refuses (see `diagnostics()`).
   */
  put(digest: string, bytes: Uint8Array): Promise<void>;
  /** Removes least recently used entries until the total is at most `maxBytes`. */
  prune(): Promise<PruneResult>;
  stats(): Promise<CacheStats>;
  /** What went wrong so far, oldest first (the most recent 100). */
  diagnostics(): readonly CacheWarning[];
}

export function openCache(options: CacheOptions = {}): ContentCache {
  return new DiskCache(options);
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new OcicompatError("USAGE", `cache ${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

class DiskCache implements ContentCache {
  readonly dir: string;
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  readonly #warnings: CacheWarnings;
  #writable = true;
  /**
   * The running estimate of the total size. It starts from a scan on this process's first write
   * (reads never need it, so a warm run never scans), then adds what this process writes; other
   * processes' writes are caught by the next scan, which every prune does.
   */
  #estimate: number | undefined;
  #scanning: Promise<void> | undefined;
  #pruning: Promise<PruneResult> | undefined;

  constructor(options: CacheOptions) {
    this.dir = options.dir ?? defaultCacheDir();
    this.maxBytes = checkLimit("maxBytes", options.maxBytes, DEFAULT_CACHE_MAX_BYTES);
    this.maxEntryBytes = checkLimit(
      "maxEntryBytes",
      options.maxEntryBytes,
      DEFAULT_CACHE_MAX_ENTRY_BYTES,
    );
    this.#warnings = new CacheWarnings(options.onWarning);
  }

  diagnostics(): readonly CacheWarning[] {
    return this.#warnings.diagnostics();
  }

  async get(digest: string): Promise<Uint8Array | undefined> {
    const located = locate(digest);
    if (!located) return undefined;
    const path = this.#pathOf(located);
    let bytes: Uint8Array;
    try {
      const handle = await open(path, "r");
      try {
        const info = await handle.stat();
        // Larger than this cache's limit: another configuration wrote it. Not corrupt; prune ages it.
        if (!info.isFile() || info.size > this.maxEntryBytes) return undefined;
        bytes = await handle.readFile();
      } finally {
        await handle.close().catch(() => undefined);
      }
    } catch (err) {
      if (errnoOf(err) !== "ENOENT") this.#warnings.ioWarning("get", err, path, digest);
      return undefined;
    }
    const actual = computeDigest(bytes, located.algorithm);
    if (actual !== digest) {
      this.#warnings.warn({
        kind: "corrupt",
        operation: "get",
        message: `cache entry ${digest} is corrupt (its ${bytes.byteLength} bytes have digest ${actual}); removed it`,
        path,
        digest,
      });
      await this.#remove(path, digest);
      return undefined;
    }
    await this.#touch(path, digest);
    return bytes;
  }

  async has(digest: string): Promise<boolean> {
    const located = locate(digest);
    if (!located) return false;
    const path = this.#pathOf(located);
    try {
      const info = await stat(path);
      return info.isFile() && info.size <= this.maxEntryBytes;
    } catch (err) {
      if (errnoOf(err) !== "ENOENT") this.#warnings.ioWarning("has", err, path, digest);
      return false;
    }
  }

  async put(digest: string, bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength > this.maxEntryBytes) return;
    verifyContent(bytes, { digest });
    const located = locate(digest);
    if (!located || !this.#writable) return;
    const path = this.#pathOf(located);
    if (await this.#present(path, bytes.byteLength)) {
      await this.#touch(path, digest);
      return;
    }
    const tmpDir = join(this.dir, "tmp");
    const temp = join(
      tmpDir,
      `${located.algorithm}-${located.hex.slice(0, 16)}-${process.pid}-${randomBytes(6).toString("hex")}`,
    );
    try {
      // Mode 0444 from the start: the open descriptor may still write, nobody else ever can.
      await afterMkdir(tmpDir, () => writeFile(temp, bytes, { flag: "wx", mode: 0o444 }));
      try {
        await afterMkdir(join(this.dir, "blobs", located.algorithm), () => rename(temp, path));
      } catch (err) {
        // Where rename cannot replace a file (Windows), an entry in place means another writer won.
        if (!(await this.#present(path, bytes.byteLength))) throw err;
        await unlink(temp).catch(() => undefined);
      }
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      const code = errnoOf(err);
      if (code !== undefined && PERSISTENT_WRITE_ERRORS.has(code)) this.#writable = false;
      this.#warnings.ioWarning(
        "put",
        err,
        path,
        digest,
        this.#writable ? "" : "; not writing to it again",
      );
      return;
    }
    await this.#account(bytes.byteLength);
  }

  async prune(): Promise<PruneResult> {
    return this.#pruneTo(this.maxBytes);
  }

  async stats(): Promise<CacheStats> {
    const entries = await scanEntries(this.dir, "stats", this.#warnings);
    const bytes = entries.reduce((sum, e) => sum + e.size, 0);
    this.#estimate = bytes;
    return { entries: entries.length, bytes };
  }

  #pathOf(located: Located): string {
    return join(this.dir, "blobs", located.algorithm, located.hex);
  }

  async #present(path: string, size: number): Promise<boolean> {
    try {
      const info = await stat(path);
      return info.isFile() && info.size === size;
    } catch {
      return false;
    }
  }

  /** Marks an entry as just used, for LRU. A hint: failure (a read-only cache) only warns once. */
  async #touch(path: string, digest: string): Promise<void> {
    const now = new Date();
    try {
      await utimes(path, now, now);
    } catch (err) {
      if (errnoOf(err) !== "ENOENT") this.#warnings.ioWarning("touch", err, path, digest);
    }
  }

  async #remove(path: string, digest: string): Promise<void> {
    try {
      await unlink(path);
    } catch (err) {
      if (errnoOf(err) !== "ENOENT") this.#warnings.ioWarning("remove", err, path, digest);
    }
  }

  async #account(written: number): Promise<void> {
    if (this.#estimate === undefined) {
      // The scan sees this write (and maybe some concurrent ones): nothing to add afterwards.
      this.#scanning ??= scanEntries(this.dir, "put", this.#warnings).then((entries) => {
        this.#estimate = entries.reduce((sum, e) => sum + e.size, 0);
      });
      await this.#scanning;
    } else {
      this.#estimate += written;
    }
    if ((this.#estimate ?? 0) > this.maxBytes && this.#pruning === undefined) {
      await this.#pruneTo(Math.floor(this.maxBytes * PRUNE_LOW_WATER));
    }
  }

  async #pruneTo(target: number): Promise<PruneResult> {
    // One prune at a time per cache object; a caller arriving meanwhile shares its result.
    if (this.#pruning) return this.#pruning;
    this.#pruning = this.#evict(target).finally(() => {
      this.#pruning = undefined;
    });
    return this.#pruning;
  }

  async #evict(target: number): Promise<PruneResult> {
    const { removed, bytes, total } = await evictOldest(this.dir, target, this.#warnings);
    this.#estimate = total;
    return { removed, bytes };
  }
}

/** Runs `action`; if it fails because a directory is missing, creates `dir` and runs it once more. */
async function afterMkdir<T>(dir: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (errnoOf(err) !== "ENOENT") throw err;
    await mkdir(dir, { recursive: true });
    return action();
  }
}
