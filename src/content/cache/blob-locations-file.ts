// The blob location memory (blob-locations.ts) on disk: `blob-locations.json` in the cache
// directory, beside the referrers memo. Several processes may copy at once: each reads the file
// when it starts, and when it ends reads it again, merges what it learnt and replaces it with an
// atomic rename. Two processes ending together may lose each other's news (only a missed mount
// later), never corrupt the file. A file that is not a memory is ignored with a warning and
// replaced at the next save.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  blobLocationsFromJson,
  blobLocationsToJson,
  createBlobLocations,
  mergeBlobLocations,
  type BlobLocations,
} from "./blob-locations.js";
import { writeMemoFile } from "./memo-file.js";

export const BLOB_LOCATIONS_FILE = "blob-locations.json";

/** Why a memory file was ignored; the caller decides how to say it. */
export type BlobLocationsWarning = (message: string) => void;

/** The memory in `dir`; empty when there is none, or (with a warning) when the file is bad. */
export async function loadBlobLocations(
  dir: string,
  onWarning?: BlobLocationsWarning,
): Promise<BlobLocations> {
  const path = join(dir, BLOB_LOCATIONS_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") onWarning?.(`cannot read ${path} (${code ?? String(err)}); ignored`);
    return createBlobLocations();
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    onWarning?.(`${path} is not JSON; ignored, and replaced at the end of this run`);
    return createBlobLocations();
  }
  const memory = blobLocationsFromJson(data);
  if ("problem" in memory) {
    onWarning?.(`${path} is not a blob location memory (${memory.problem}); ignored`);
    return createBlobLocations();
  }
  return memory;
}

/**
 * Merges `learnt` into the file as it is now and writes the result atomically (temp file and
 * rename). Does nothing when nothing was learnt. A failure to write is swallowed: the memory only
 * saves uploads.
 */
export async function saveBlobLocations(dir: string, learnt: BlobLocations): Promise<void> {
  if (!learnt.changed) return;
  const stored = await loadBlobLocations(dir);
  const merged = mergeBlobLocations(stored, learnt);
  // Repository names are the user's business: readable by the user only.
  const text = `${JSON.stringify(blobLocationsToJson(merged))}\n`;
  if (await writeMemoFile(dir, BLOB_LOCATIONS_FILE, text, 0o600)) learnt.changed = false;
}
