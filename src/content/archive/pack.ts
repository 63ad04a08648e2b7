// Writes an image layout directory as a deterministic tar: entries sorted by name, mtime 0,
// uid/gid 0, no user or group names, modes 0644/0755. Identical content gives identical bytes.
// The tar goes to `<file>.tmp-<pid>`, is fsynced, and is renamed over `file`, so the final name
// only ever holds a complete archive.
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import type { Writable } from "node:stream";
import * as tar from "tar-stream";
import { syncDir } from "../layout/files.js";
import type { LayoutStore } from "../layout.js";
import { BLOBS_DIR, INDEX_FILE, LAYOUT_FILE } from "../layout/skeleton.js";

const EPOCH = new Date(0);
// Blobs are read, and the tar written, in 1 MiB pieces: the default 64 KiB made packing a 256 MiB
// layout take twice as long (700 vs 350 ms), most of it per-chunk stream overhead.
const READ_CHUNK = 1024 * 1024;
// Tar headers and padding are written in batches of about this much.
const SMALL_WRITES = 64 * 1024;
// Read buffers kept for reuse; the tar stream holds about two pieces at a time.
const SPARE_BUFFERS = 4;

/**
 * The pieces blobs are read into, reused once the tar's file write of a piece has completed. A
 * fresh 1 MiB buffer per read is garbage V8 collects only late (docs/design.md, "Memory of
 * transfers"): packing a 256 MiB layout raised the copy's peak RSS by ~6 MiB. A buffer is taken
 * back only when the piece written is exactly the view handed out (tar-stream passes file data
 * through unchanged); anything else is left to the collector, and a read with no spare buffer
 * gets a fresh one, so reuse is never a reason to wait or to overwrite bytes not yet written.
 */
export interface ReadBuffers {
  take(): Buffer;
  /** A taken buffer that was not lent (the read found the end). */
  putBack(buffer: Buffer): void;
  /** `piece` as read into a taken buffer (a prefix of it); the same view comes back to giveBack. */
  lend(buffer: Buffer, length: number): Buffer;
  /** After `piece` is on disk: its buffer is free again if `piece` is a view lend() made. */
  giveBack(piece: Uint8Array): void;
}

export function readBuffers(size: number, spare: number): ReadBuffers {
  const free: Buffer[] = [];
  // Weak: a piece that never comes back (not a view lend() made) leaves nothing behind.
  const lent = new WeakMap<ArrayBufferLike, { buffer: Buffer; view: Buffer }>();
  const keep = (buffer: Buffer): void => {
    if (free.length < spare) free.push(buffer);
  };
  return {
    take: () => free.pop() ?? Buffer.allocUnsafeSlow(size),
    putBack: keep,
    lend(buffer, length) {
      const view = buffer.subarray(0, length);
      lent.set(buffer.buffer, { buffer, view });
      return view;
    },
    giveBack(piece) {
      const loan = lent.get(piece.buffer);
      if (loan === undefined || loan.view !== piece) return;
      lent.delete(piece.buffer);
      keep(loan.buffer);
    },
  };
}

interface PlannedEntry {
  name: string;
  /** Absent for directories. */
  source?: { path: string; size: number };
}

/** The entries of a layout's tar, sorted by name. */
async function planEntries(layout: LayoutStore): Promise<PlannedEntry[]> {
  const blobs = await layout.blobs();
  const entries: PlannedEntry[] = [{ name: `${BLOBS_DIR}/` }];
  const algorithms = new Set(blobs.map((b) => b.digest.slice(0, b.digest.indexOf(":"))));
  for (const algorithm of algorithms) entries.push({ name: `${BLOBS_DIR}/${algorithm}/` });
  for (const blob of blobs) {
    const [algorithm, encoded] = blob.digest.split(":");
    entries.push({
      name: `${BLOBS_DIR}/${algorithm}/${encoded}`,
      source: { path: blob.path, size: blob.size },
    });
  }
  for (const name of [INDEX_FILE, LAYOUT_FILE]) {
    const path = `${layout.dir}/${name}`;
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      entries.push({ name, source: { path, size } });
    } finally {
      await handle.close();
    }
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function header(entry: PlannedEntry): tar.Headers {
  const common = { mtime: EPOCH, uid: 0, gid: 0, uname: "", gname: "" };
  return entry.source === undefined
    ? { ...common, name: entry.name, type: "directory", mode: 0o755 }
    : { ...common, name: entry.name, type: "file", mode: 0o644, size: entry.source.size };
}

/** Writes `layout` as a tar to `file`, atomically. */
export async function packLayout(layout: LayoutStore, file: string): Promise<void> {
  const entries = await planEntries(layout);
  const temp = `${file}.tmp-${process.pid}`;
  const pack = tar.pack();
  const buffers = readBuffers(READ_CHUNK, SPARE_BUFFERS);
  // Whichever side fails first stops the other, and both have ended (no open blob, no pending
  // wait for `drain`) before the error is reported.
  const stop = new AbortController();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    failure ??= { error };
    stop.abort();
    pack.destroy(error as Error);
  };
  let done = false;
  try {
    const out = await open(temp, "w", 0o644);
    try {
      const feeding = feed(pack, entries, stop.signal, buffers).catch(fail);
      const writing = writeTar(pack, out, buffers).catch(fail);
      await Promise.all([feeding, writing]);
      if (failure !== undefined) throw failure.error;
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(temp, file);
    done = true;
  } finally {
    if (!done) await rm(temp, { force: true });
  }
  await syncDir(dirname(file));
}

/**
 * The tar's bytes to `out`, in order: a blob's pieces one by one (each buffer is free again once
 * its write completes), headers and padding gathered into larger writes.
 */
async function writeTar(pack: tar.Pack, out: FileHandle, buffers: ReadBuffers): Promise<void> {
  let small: Uint8Array[] = [];
  let smallBytes = 0;
  const flushSmall = async (): Promise<void> => {
    if (small.length === 0) return;
    const [batch, bytes] = [small, smallBytes];
    [small, smallBytes] = [[], 0];
    await writeFully(out, Buffer.concat(batch, bytes));
    for (const piece of batch) buffers.giveBack(piece);
  };
  for await (const piece of pack as AsyncIterable<Uint8Array>) {
    if (piece.byteLength < SMALL_WRITES) {
      small.push(piece);
      smallBytes += piece.byteLength;
      if (smallBytes >= SMALL_WRITES) await flushSmall();
      continue;
    }
    await flushSmall();
    await writeFully(out, piece);
    buffers.giveBack(piece);
  }
  await flushSmall();
}

/** A write can be short; the rest follows. */
async function writeFully(out: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) {
    const { bytesWritten } = await out.write(bytes, offset, bytes.byteLength - offset, null);
    offset += bytesWritten;
  }
}

async function feed(
  pack: tar.Pack,
  entries: readonly PlannedEntry[],
  stopped: AbortSignal,
  buffers: ReadBuffers,
): Promise<void> {
  const aborted = new Promise<never>((_, reject) =>
    stopped.addEventListener("abort", () => reject(new Error("the archive write stopped")), {
      once: true,
    }),
  );
  aborted.catch(() => undefined);
  for (const entry of entries) {
    stopped.throwIfAborted();
    let settle: (err?: unknown) => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err as Error) : resolve());
    });
    // If the source fails, the pack is destroyed, and `finished` and the entry's stream fail too;
    // the source's error is the one reported.
    finished.catch(() => undefined);
    const sink: Writable = pack.entry(header(entry), settle);
    sink.on("error", () => undefined);
    if (entry.source !== undefined) {
      const blob = await open(entry.source.path, "r");
      try {
        for (;;) {
          stopped.throwIfAborted();
          const buffer = buffers.take();
          const { bytesRead } = await blob.read(buffer, 0, buffer.byteLength, null);
          if (bytesRead === 0) {
            buffers.putBack(buffer);
            break;
          }
          if (!sink.write(buffers.lend(buffer, bytesRead)))
            await Promise.race([new Promise<void>((r) => sink.once("drain", r)), aborted]);
        }
      } finally {
        // The blob's file is closed before the pack's outcome is reported.
        await blob.close();
      }
      sink.end();
    }
    await Promise.race([finished, aborted]);
  }
  pack.finalize();
}
