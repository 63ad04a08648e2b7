// Filesystem helpers for the OCI layout: atomic replacement (temp file + fsync + rename), exclusive
// creation, directory fsync, and mapping of Node's errno errors to OcicompatError.
import { randomBytes } from "node:crypto";
import { link, open, readdir, rename, rm, stat, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { OcicompatError, errorMessage } from "../../oci/errors.js";

export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A name for a temporary file next to `path` (same directory, so same filesystem). */
export function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
}

/** `.NAME.tmp-…`: a writer's temp file (tempPathFor). */
export const TEMP_NAME = /^\..+\.tmp-/;

/**
 * A temp file whose mtime is older than this belongs to a writer that is gone: live writers
 * refresh theirs every TEMP_HEARTBEAT_MS (keepFresh), even while their source is silent. Judged by
 * time, not PID, so it holds across PID namespaces and hosts (clocks within a few seconds).
 */
export const TEMP_LEASE_MS = 30_000;
const TEMP_HEARTBEAT_MS = 5_000;

const fresh = new Set<FileHandle>();
let beat: NodeJS.Timeout | undefined;

/** Keeps the temp file behind `handle` young until the returned function is called. */
export function keepFresh(handle: FileHandle): () => void {
  fresh.add(handle);
  beat ??= setInterval(() => {
    const now = new Date();
    for (const h of fresh) h.utimes(now, now).catch(() => undefined);
  }, TEMP_HEARTBEAT_MS).unref();
  return () => {
    fresh.delete(handle);
    if (fresh.size === 0 && beat !== undefined) {
      clearInterval(beat);
      beat = undefined;
    }
  };
}

/** Temp files in `dir` (of `path` only, when given) whose writers are gone: older than `before`. */
export async function staleTempFiles(
  dir: string,
  before: number,
  path?: string,
): Promise<{ path: string; size: number }[]> {
  const prefix = path === undefined ? undefined : `.${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errnoOf(err) === "ENOENT" || errnoOf(err) === "ENOTDIR") return [];
    throw ioError(err, "list directory", dir);
  }
  const found: { path: string; size: number }[] = [];
  for (const name of names) {
    if (!TEMP_NAME.test(name) || (prefix !== undefined && !name.startsWith(prefix))) continue;
    const file = join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() && info.mtimeMs < before) found.push({ path: file, size: info.size });
  }
  return found;
}

/** Flushes a directory entry change (a rename or a new file) to disk; best effort. */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Writes `bytes` to a temp file beside `path`, synced if `durable`; the caller renames or links it. */
async function writeTemp(
  path: string,
  bytes: Uint8Array,
  mode = 0o644,
  durable = true,
): Promise<string> {
  const temp = tempPathFor(path);
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(bytes);
    if (durable) await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  return temp;
}

/**
 * Replaces `path` with `bytes` atomically: readers see the old or the new file, never a mix.
 * `mode` is the new file's (default 0644); `durable: false` skips the fsyncs (a scratch layout).
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  options: { mode?: number; durable?: boolean } = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const temp = await writeTemp(path, bytes, options.mode, durable);
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  if (durable) await syncDir(dirname(path));
}

/**
 * Creates `path` with `bytes` unless it exists, atomically: link(2) never replaces a file, so a
 * concurrent creator's file is kept. Returns false when the file was already there.
 */
export async function createFileExclusive(
  path: string,
  bytes: Uint8Array,
  options: { durable?: boolean } = {},
): Promise<boolean> {
  const durable = options.durable ?? true;
  const temp = await writeTemp(path, bytes, undefined, durable);
  try {
    await link(temp, path);
    if (durable) await syncDir(dirname(path));
    return true;
  } catch (err) {
    const code = errnoOf(err);
    if (code === "EEXIST") return false;
    // Filesystems without hard links (some FUSE and SMB mounts): exclusive create, then write.
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
      return createDirectly(path, bytes, durable);
    }
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Wraps a filesystem error as an OcicompatError IO (or NOT_FOUND) naming the file. */
export function ioError(err: unknown, action: string, path: string): OcicompatError {
  if (err instanceof OcicompatError) return err;
  const code = errnoOf(err);
  const reason = errorMessage(err);
  return new OcicompatError(code === "ENOENT" ? "NOT_FOUND" : "IO", `cannot ${action}: ${reason}`, {
    subject: path,
    cause: err,
  });
}

async function createDirectly(path: string, bytes: Uint8Array, durable: boolean): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, "wx", 0o644);
  } catch (err) {
    if (errnoOf(err) === "EEXIST") return false;
    throw err;
  }
  try {
    await handle.writeFile(bytes);
    if (durable) await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
  await handle.close();
  if (durable) await syncDir(dirname(path));
  return true;
}
