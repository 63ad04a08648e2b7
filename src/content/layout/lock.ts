// A lock file around index.json updates, shared by every process that uses ocicompat on the layout.
//
//   index.json.lock   created with O_EXCL; holds "PID\nHOSTNAME\nMACHINE\nTOKEN\n" of the holder.
//
// Who holds it is judged without trusting a PID alone: containers with separate PID namespaces
// (and the same hostname) can share one layout, and there PID 1 is everybody's init. So:
// - the holder keeps a lease: it refreshes the file's mtime every `leaseMs / 5` while it holds
//   the lock. A lock whose mtime is older than `leaseMs` (default 15 s) is stale, whoever wrote it.
// - MACHINE is the kernel's boot id and the holder's PID namespace. Only a waiter with the same
//   MACHINE may judge by PID, and then a holder that is not alive is stale at once.
// - TOKEN is random per acquisition: a holder removes the file at release only if it still holds
//   its token (a holder stopped for longer than the lease may have lost the lock meanwhile).
// Lock files of older versions (PID and hostname only) are judged by the lease alone.
//
// Breaking is itself serialised by a short-lived `index.json.lock.break` file: a breaker re-reads
// the lock under it and removes the file only if it is still the same stale one, so two waiters
// that both saw the stale lock can never remove a fresh lock that a third process took in between.
// Within one process, callers queue on a promise chain first, so they do not poll against each
// other.
import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { open, readFile, stat, unlink, utimes } from "node:fs/promises";
import { OcicompatError } from "../../oci/errors.js";
import { throwIfCancelled } from "../cancel.js";
import { errnoOf } from "./files.js";

export interface LockOptions {
  /** How long to wait for another holder, in milliseconds; default 30 000. */
  timeoutMs?: number;
  /** For messages: what the lock protects. */
  what?: string;
  /** A lock not refreshed for this long is stale; default 15 000 ms. */
  leaseMs?: number;
  /** Stops waiting for the lock (the call rejects with the signal's reason). */
  signal?: AbortSignal | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_LEASE_MS = 15_000;
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
    const token = await acquire(lockPath, options);
    const beat = heartbeat(lockPath, token, options.leaseMs ?? DEFAULT_LEASE_MS);
    try {
      return await fn();
    } finally {
      clearInterval(beat);
      if ((await readHolder(lockPath).catch(() => undefined))?.token === token)
        await unlink(lockPath).catch(() => undefined);
    }
  });
}

/** Refreshes the lock's mtime while it is held, so that waiters see a live lease. */
function heartbeat(lockPath: string, token: string, leaseMs: number): NodeJS.Timeout {
  const beat = setInterval(
    () => {
      void (async () => {
        const holder = await readHolder(lockPath).catch(() => undefined);
        if (holder?.token !== token) return; // lost (the holder stalled past its lease)
        const now = new Date();
        await utimes(lockPath, now, now).catch(() => undefined);
      })();
    },
    Math.max(10, Math.floor(leaseMs / 5)),
  );
  beat.unref();
  return beat;
}

/**
 * This kernel and PID namespace: PIDs in lock files written with the same value can be checked
 * here. Undefined where /proc does not say (then PIDs are never trusted).
 */
export const machineId: string | undefined = (() => {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const pidNamespace = readlinkSync("/proc/self/ns/pid");
    return boot === "" ? undefined : `${boot}/${pidNamespace}`;
  } catch {
    return undefined;
  }
})();

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
  machine: string | undefined;
  token: string | undefined;
  raw: string;
  ino: number;
  mtimeMs: number;
}

/** Takes the lock; returns this acquisition's token. */
async function acquire(lockPath: string, options: LockOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const deadline = Date.now() + timeoutMs;
  const token = randomBytes(12).toString("hex");
  let delay = 2;
  for (;;) {
    throwIfCancelled(options.signal);
    if (await tryCreate(lockPath, token)) return token;
    const holder = await readHolder(lockPath);
    if (holder === undefined) continue; // released meanwhile: try again at once
    const stale = isStale(holder, leaseMs);
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

async function tryCreate(lockPath: string, token: string): Promise<boolean> {
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
    await handle.writeFile(`${process.pid}\n${hostname()}\n${machineId ?? "-"}\n${token}\n`);
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
    const [pidLine, hostLine, machineLine, tokenLine] = raw.split("\n");
    const pid = /^[1-9][0-9]*$/.test(pidLine ?? "") ? Number(pidLine) : undefined;
    const field = (line: string | undefined): string | undefined =>
      line === undefined || line === "" || line === "-" ? undefined : line;
    return {
      pid,
      host: field(hostLine),
      machine: field(machineLine),
      token: field(tokenLine),
      raw,
      ino: info.ino,
      mtimeMs: info.mtimeMs,
    };
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return undefined;
    throw new OcicompatError("IO", `cannot read lock file: ${(err as Error).message}`, {
      subject: lockPath,
      cause: err,
    });
  }
}

function isStale(holder: Holder, leaseMs: number): boolean {
  const age = Date.now() - holder.mtimeMs;
  if (holder.pid === undefined) return age > Math.min(UNREADABLE_GRACE_MS, leaseMs);
  if (age > leaseMs) return true; // nobody refreshed it: the holder is gone, wherever it ran
  // A PID means something only in the kernel and PID namespace that wrote it.
  if (machineId === undefined || holder.machine !== machineId) return false;
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
    if (
      now !== undefined &&
      now.ino === seen.ino &&
      now.raw === seen.raw &&
      now.mtimeMs === seen.mtimeMs
    ) {
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
