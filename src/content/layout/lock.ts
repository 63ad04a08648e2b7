// A lock file around index.json updates, shared by every process that uses ocicompat on the layout.
//
//   index.json.lock   created with O_EXCL; holds "PID\nHOSTNAME\n" of the holder.
//
// A lock whose holder is gone (same host, PID not alive) is stale and is broken. Breaking is
// itself serialised by a short-lived `index.json.lock.break` file: a breaker re-reads the lock under
// it and removes the file only if it is still the same stale one, so two waiters that both saw the
// stale lock can never remove a fresh lock that a third process took in between. Within one
// process, callers queue on a promise chain first, so they do not poll against each other.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { open, readFile, stat, unlink } from "node:fs/promises";
import { OcicompatError } from "../../oci/errors.js";
import { errnoOf } from "./files.js";

export interface LockOptions {
  /** How long to wait for another holder, in milliseconds; default 30 000. */
  timeoutMs?: number;
  /** For messages: what the lock protects. */
  what?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** A lock file without a readable PID this old is a holder that died between create and write. */
const UNREADABLE_GRACE_MS = 5_000;
/** A break file this old belongs to a breaker that died (breaking takes microseconds). */
const BREAK_FILE_STALE_MS = 10_000;

const queues = new Map<string, Promise<void>>();

/** Runs `fn` while holding the lock file at `lockPath`. */
export async function withLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  return inProcessQueue(lockPath, async () => {
    await acquire(lockPath, options);
    try {
      return await fn();
    } finally {
      await unlink(lockPath).catch(() => undefined);
    }
  });
}

async function inProcessQueue<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  let release = (): void => undefined;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  queues.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (queues.get(key) === tail) queues.delete(key);
  }
}

interface Holder {
  pid: number | undefined;
  host: string | undefined;
  raw: string;
  ino: number;
  mtimeMs: number;
}

async function acquire(lockPath: string, options: LockOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    if (await tryCreate(lockPath)) return;
    const holder = await readHolder(lockPath);
    if (holder === undefined) continue; // released meanwhile: try again at once
    const stale = isStale(holder);
    if (stale) await breakStale(lockPath, holder);
    if (Date.now() >= deadline) throw lockedError(lockPath, holder, timeoutMs, options.what);
    if (!stale) {
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 100);
    }
  }
}

function lockedError(
  lockPath: string,
  holder: Holder,
  timeoutMs: number,
  what = "the file",
): OcicompatError {
  const elsewhere = holder.host !== undefined && holder.host !== hostname();
  const who =
    holder.pid === undefined
      ? "a process that left no PID"
      : `process ${holder.pid}${elsewhere ? ` on ${holder.host}` : ""}`;
  return new OcicompatError(
    "IO",
    `${what} is locked by ${who}; gave up after ${timeoutMs} ms. If no ocicompat process is using it, remove ${lockPath}`,
    { subject: lockPath },
  );
}

async function tryCreate(lockPath: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, "wx", 0o644);
  } catch (err) {
    if (errnoOf(err) === "EEXIST") return false;
    throw new OcicompatError("IO", `cannot create lock file: ${(err as Error).message}`, {
      subject: lockPath,
      cause: err,
    });
  }
  try {
    await handle.writeFile(`${process.pid}\n${hostname()}\n`);
    await handle.close();
    return true;
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(lockPath).catch(() => undefined);
    throw new OcicompatError("IO", `cannot write lock file: ${(err as Error).message}`, {
      subject: lockPath,
      cause: err,
    });
  }
}

async function readHolder(lockPath: string): Promise<Holder | undefined> {
  try {
    const info = await stat(lockPath);
    const raw = await readFile(lockPath, "utf8");
    const [pidLine, hostLine] = raw.split("\n");
    const pid = /^[1-9][0-9]*$/.test(pidLine ?? "") ? Number(pidLine) : undefined;
    const host = hostLine === undefined || hostLine === "" ? undefined : hostLine;
    return { pid, host, raw, ino: info.ino, mtimeMs: info.mtimeMs };
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return undefined;
    throw new OcicompatError("IO", `cannot read lock file: ${(err as Error).message}`, {
      subject: lockPath,
      cause: err,
    });
  }
}

function isStale(holder: Holder): boolean {
  if (holder.pid === undefined) return Date.now() - holder.mtimeMs > UNREADABLE_GRACE_MS;
  // A PID on another host (a shared filesystem) cannot be checked from here.
  if (holder.host !== undefined && holder.host !== hostname()) return false;
  return !processAlive(holder.pid);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return errnoOf(err) === "EPERM";
  }
}

async function breakStale(lockPath: string, seen: Holder): Promise<void> {
  const breakPath = `${lockPath}.break`;
  const token = `${process.pid} ${randomBytes(6).toString("hex")}\n`;
  let handle;
  try {
    handle = await open(breakPath, "wx", 0o644);
  } catch (err) {
    if (errnoOf(err) !== "EEXIST") throw err;
    // Another process is breaking the lock; or a breaker died, which leaves this file behind.
    try {
      const info = await stat(breakPath);
      if (Date.now() - info.mtimeMs > BREAK_FILE_STALE_MS) await unlink(breakPath);
    } catch {
      // gone already
    }
    await sleep(5);
    return;
  }
  try {
    await handle.writeFile(token);
    await handle.close();
    handle = undefined;
    const now = await readHolder(lockPath);
    if (now !== undefined && now.ino === seen.ino && now.raw === seen.raw) {
      await unlink(lockPath).catch(() => undefined);
    }
  } finally {
    await handle?.close().catch(() => undefined);
    await unlink(breakPath).catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
