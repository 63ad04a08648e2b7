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
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import {
  computeDigest,
  digestProblem,
  RegisteredAlgorithms,
  verifyContent,
  type RegisteredAlgorithm,
} from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";

export const DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_CACHE_MAX_ENTRY_BYTES = 4 * 1024 * 1024;

/** An opportunistic prune goes below the budget, so that the next few writes don't prune again. */
const PRUNE_LOW_WATER = 0.9;
/** Temp files older than this belong to a writer that died; prune removes them. */
const STALE_TEMP_MS = 60 * 60 * 1000;
const MAX_DIAGNOSTICS = 100;
const STAT_CONCURRENCY = 32;
/** Errors that will recur on every write: after one, this cache stops trying to write. */
const PERSISTENT_WRITE_ERRORS = new Set([
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOTDIR",
  "ENOSPC",
  "EDQUOT",
]);

export interface CacheWarning {
  /** `io`: the file system refused something; `corrupt`: an entry failed verification. */
  kind: "io" | "corrupt";
  operation: "get" | "has" | "put" | "touch" | "remove" | "prune" | "stats";
  message: string;
  path?: string;
  digest?: string;
  /** The errno code (`EACCES`, `ENOSPC`, ...) of an `io` warning. */
  code?: string;
}

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

/** `$OCICOMPAT_CACHE_DIR`, else `$XDG_CACHE_HOME/ocicompat`, else `~/.cache/ocicompat`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env["OCICOMPAT_CACHE_DIR"]) return env["OCICOMPAT_CACHE_DIR"];
  // The XDG base directory spec says a relative path in these variables is invalid and ignored.
  const xdg = env["XDG_CACHE_HOME"];
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache");
  return join(base, "ocicompat");
}

/** Whether the cache can hold content with this digest: well formed, and an algorithm it can check. */
export function isCacheableDigest(digest: string): boolean {
  return locate(digest) !== undefined;
}

export function openCache(options: CacheOptions = {}): ContentCache {
  return new DiskCache(options);
}

interface Located {
  algorithm: RegisteredAlgorithm;
  hex: string;
}

function locate(digest: string): Located | undefined {
  // digestProblem holds registered algorithms to exact lowercase hex, so the name is path-safe.
  if (digestProblem(digest) !== undefined) return undefined;
  const colon = digest.indexOf(":");
  const algorithm = digest.slice(0, colon);
  if (!Object.hasOwn(RegisteredAlgorithms, algorithm)) return undefined;
  return { algorithm: algorithm as RegisteredAlgorithm, hex: digest.slice(colon + 1) };
}

interface Entry {
  path: string;
  size: number;
  mtimeMs: number;
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : undefined;
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
  readonly #onWarning: ((warning: CacheWarning) => void) | undefined;
  readonly #diagnostics: CacheWarning[] = [];
  /** `operation:code` of I/O warnings already recorded: a broken directory warns once, not per call. */
  readonly #reported = new Set<string>();
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
    this.#onWarning = options.onWarning;
  }

  diagnostics(): readonly CacheWarning[] {
    return [...this.#diagnostics];
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
      if (errnoOf(err) !== "ENOENT") this.#ioWarning("get", err, path, digest);
      return undefined;
    }
    const actual = computeDigest(bytes, located.algorithm);
    if (actual !== digest) {
      this.#warn({
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
      if (errnoOf(err) !== "ENOENT") this.#ioWarning("has", err, path, digest);
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
      this.#ioWarning("put", err, path, digest, this.#writable ? "" : "; not writing to it again");
      return;
    }
    await this.#account(bytes.byteLength);
  }

  async prune(): Promise<PruneResult> {
    return this.#pruneTo(this.maxBytes);
  }

  async stats(): Promise<CacheStats> {
    const entries = await this.#scan("stats");
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
      if (errnoOf(err) !== "ENOENT") this.#ioWarning("touch", err, path, digest);
    }
  }

  async #remove(path: string, digest: string): Promise<void> {
    try {
      await unlink(path);
    } catch (err) {
      if (errnoOf(err) !== "ENOENT") this.#ioWarning("remove", err, path, digest);
    }
  }

  async #account(written: number): Promise<void> {
    if (this.#estimate === undefined) {
      // The scan sees this write (and maybe some concurrent ones): nothing to add afterwards.
      this.#scanning ??= this.#scan("put").then((entries) => {
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
    const entries = await this.#scan("prune");
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    // Oldest first; equal times by name, so that the order is deterministic.
    entries.sort(
      (a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    );
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
          this.#ioWarning("prune", err, entry.path);
          continue;
        }
      }
      total -= entry.size;
    }
    await this.#removeStaleTemps();
    this.#estimate = total;
    return { removed, bytes };
  }

  async #removeStaleTemps(): Promise<void> {
    const tmpDir = join(this.dir, "tmp");
    const names = await this.#list(tmpDir, "prune");
    const cutoff = Date.now() - STALE_TEMP_MS;
    await forEachLimited(names, STAT_CONCURRENCY, async (name) => {
      const path = join(tmpDir, name);
      try {
        if ((await stat(path)).mtimeMs < cutoff) await unlink(path);
      } catch (err) {
        if (errnoOf(err) !== "ENOENT") this.#ioWarning("prune", err, path);
      }
    });
  }

  /** Every entry with its size and time. Files vanishing meanwhile are skipped; junk is ignored. */
  async #scan(operation: CacheWarning["operation"]): Promise<Entry[]> {
    const entries: Entry[] = [];
    for (const algorithm of Object.keys(RegisteredAlgorithms) as RegisteredAlgorithm[]) {
      const dir = join(this.dir, "blobs", algorithm);
      const names = (await this.#list(dir, operation)).filter((n) =>
        RegisteredAlgorithms[algorithm].test(n),
      );
      await forEachLimited(names, STAT_CONCURRENCY, async (name) => {
        const path = join(dir, name);
        try {
          const info = await stat(path);
          if (info.isFile()) entries.push({ path, size: info.size, mtimeMs: info.mtimeMs });
        } catch (err) {
          if (errnoOf(err) !== "ENOENT") this.#ioWarning(operation, err, path);
        }
      });
    }
    return entries;
  }

  async #list(dir: string, operation: CacheWarning["operation"]): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (err) {
      if (errnoOf(err) !== "ENOENT") this.#ioWarning(operation, err, dir);
      return [];
    }
  }

  #ioWarning(
    operation: CacheWarning["operation"],
    err: unknown,
    path: string,
    digest?: string,
    suffix = "",
  ): void {
    const code = errnoOf(err) ?? "UNKNOWN";
    const key = `${operation}:${code}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    const reason = err instanceof Error ? err.message : String(err);
    const warning: CacheWarning = {
      kind: "io",
      operation,
      message: `cache ${operation} failed, continuing without it: ${reason}${suffix}`,
      path,
      code,
    };
    if (digest !== undefined) warning.digest = digest;
    this.#warn(warning);
  }

  #warn(warning: CacheWarning): void {
    this.#diagnostics.push(warning);
    if (this.#diagnostics.length > MAX_DIAGNOSTICS) this.#diagnostics.shift();
    try {
      this.#onWarning?.(warning);
    } catch {
      // A faulty callback must not turn a cache problem into a failed check.
    }
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
