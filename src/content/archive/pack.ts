// Writes an image layout directory as a deterministic tar: entries sorted by name, mtime 0,
// uid/gid 0, no user or group names, modes 0644/0755. Identical content gives identical bytes.
// The tar goes to `<file>.tmp-<pid>`, is fsynced, and is renamed over `file`, so the final name
// only ever holds a complete archive.
import { createReadStream, createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tar from "tar-stream";
import { syncDir } from "../layout/files.js";
import { BLOBS_DIR, INDEX_FILE, LAYOUT_FILE, type LayoutStore } from "../layout.js";

const EPOCH = new Date(0);
// Blobs are read, and the tar written, in 1 MiB pieces: the default 64 KiB made packing a 256 MiB
// layout take twice as long (700 vs 350 ms), most of it per-chunk stream overhead.
const READ_CHUNK = 1024 * 1024;

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
    const feeding = feed(pack, entries, stop.signal).catch(fail);
    const writing = pipeline(
      Readable.from(pack),
      createWriteStream(temp, { mode: 0o644, highWaterMark: READ_CHUNK }),
    ).catch(fail);
    await Promise.all([feeding, writing]);
    if (failure !== undefined) throw failure.error;
    const handle = await open(temp, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    done = true;
  } finally {
    if (!done) await rm(temp, { force: true });
  }
  await syncDir(dirname(file));
}

async function feed(
  pack: tar.Pack,
  entries: readonly PlannedEntry[],
  stopped: AbortSignal,
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
      const blob = createReadStream(entry.source.path, { highWaterMark: READ_CHUNK });
      try {
        // Leaving this loop early (stopped) destroys the blob's read stream...
        for await (const chunk of blob) {
          if (!sink.write(chunk))
            await Promise.race([new Promise<void>((r) => sink.once("drain", r)), aborted]);
        }
      } finally {
        // ...and its file is closed before the pack's outcome is reported.
        if (!blob.closed) await new Promise<void>((r) => blob.once("close", () => r()));
      }
      sink.end();
    }
    await Promise.race([finished, aborted]);
  }
  pack.finalize();
}
