// The blob location memory (blob-locations.ts) on disk: `blob-locations.json` in the cache
// directory, beside the referrers memo. Several processes may copy at once: each reads the file
// when it starts, and when it ends reads it again, merges what it learnt and replaces it with an
// atomic rename. Two processes ending together may lose each other's news (only a missed mount
// later), never corrupt the file. A file that is not a memory is ignored with a warning and
// replaced at the next save. Read and written at once (memo-file.ts says why).
import { closeSync, fstatSync, openSync, readFileSync, statSync, type Stats } from "node:fs";
import { join } from "node:path";
import {
  blobLocationsFromJson,
  blobLocationsToJson,
  boundBlobLocations,
  createBlobLocations,
  mergeBlobLocations,
  type BlobLocations,
} from "./blob-locations.js";
import { writeMemoFile } from "./memo-file.js";

export const BLOB_LOCATIONS_FILE = "blob-locations.json";

/** Why a memory file was ignored; the caller decides how to say it. */
export type BlobLocationsWarning = (message: string) => void;

/** Which file a memory was read from or last written as. */
interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

// A file is only ever replaced, by a rename, never written in place: while its identity is the
// one a memory was loaded from, it holds exactly what was loaded, and a save can skip reading it
// again (10,000 locations are ~1.3 MB of JSON to read, check and merge).
const loadedFrom = new WeakMap<BlobLocations, FileIdentity>();

function identityOf(stats: Stats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
}

function sameFile(path: string, identity: FileIdentity): boolean {
  try {
    const now = identityOf(statSync(path));
    return (
      now.dev === identity.dev &&
      now.ino === identity.ino &&
      now.size === identity.size &&
      now.mtimeMs === identity.mtimeMs
    );
  } catch {
    return false;
  }
}

/** The text of `path` and the identity of the file it came from (read through one descriptor). */
function readWithIdentity(path: string): { text: string; identity: FileIdentity } {
  const fd = openSync(path, "r");
  try {
    return { identity: identityOf(fstatSync(fd)), text: readFileSync(fd, "utf8") };
  } finally {
    closeSync(fd);
  }
}

/** The memory in `dir`; empty when there is none, or (with a warning) when the file is bad. */
export async function loadBlobLocations(
  dir: string,
  onWarning?: BlobLocationsWarning,
): Promise<BlobLocations> {
  const path = join(dir, BLOB_LOCATIONS_FILE);
  let read: { text: string; identity: FileIdentity };
  try {
    read = readWithIdentity(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") onWarning?.(`cannot read ${path} (${code ?? String(err)}); ignored`);
    return createBlobLocations();
  }
  let data: unknown;
  try {
    data = JSON.parse(read.text);
  } catch {
    onWarning?.(`${path} is not JSON; ignored, and replaced at the end of this run`);
    return createBlobLocations();
  }
  const memory = blobLocationsFromJson(data);
  if ("problem" in memory) {
    onWarning?.(`${path} is not a blob location memory (${memory.problem}); ignored`);
    return createBlobLocations();
  }
  loadedFrom.set(memory, read.identity);
  return memory;
}

/**
 * Merges `learnt` into the file as it is now and writes the result atomically (temp file and
 * rename). Does nothing when nothing was learnt. A failure to write is swallowed: the memory only
 * saves uploads. When `learnt` was loaded from the file and no process has replaced it since,
 * `learnt` already holds all of it, and the file is not read again.
 */
export async function saveBlobLocations(dir: string, learnt: BlobLocations): Promise<void> {
  if (!learnt.changed) return;
  const path = join(dir, BLOB_LOCATIONS_FILE);
  const loaded = loadedFrom.get(learnt);
  const merged =
    loaded !== undefined && sameFile(path, loaded)
      ? boundBlobLocations(learnt)
      : mergeBlobLocations(await loadBlobLocations(dir), learnt);
  // Repository names are the user's business: readable by the user only.
  const text = `${JSON.stringify(blobLocationsToJson(merged))}\n`;
  if (!(await writeMemoFile(dir, BLOB_LOCATIONS_FILE, text, 0o600))) return;
  learnt.changed = false;
  // The file now holds what others had saved too, which `learnt` lacks: a later save reads it.
  loadedFrom.delete(learnt);
}
