// The blob location memory (blob-locations.ts) on disk, in pieces: `blob-locations/XX.json` in the
// cache directory, beside the referrers memo, where XX is the first two hex digits of the
// digest's value (256 pieces). A copy reads the piece of a digest when it first looks that digest
// up or records it, and writes back only the pieces it changed: one file of the whole memory cost
// a small copy ~90 ms once it was full (10,000 locations: read, checked and parsed at the start,
// merged and written at the end), where a few pieces of ~40 locations cost well under 1 ms.
//
// Several processes may copy at once: each reads a piece when it first needs it and, when it
// ends, reads the piece again if another process has replaced it since, merges what it learnt,
// and replaces it with an atomic rename. Two processes ending together may lose each other's news
// (only a missed mount later), never corrupt a piece. A piece that is not a memory is ignored with
// a warning and replaced at the next save. Read and written at once (memo-file.ts says why).
import {
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  type Stats,
} from "node:fs";
import { join } from "node:path";
import {
  BLOB_LOCATIONS_MAX,
  blobLocationsFromJson,
  blobLocationsToJson,
  boundBlobLocations,
  createBlobLocations,
  mergeBlobLocations,
  splitBlobLocations,
  type BlobLocations,
} from "./blob-locations.js";
import { writeMemoFile } from "./memo-file.js";

/** The directory of the pieces, in the cache directory. */
export const BLOB_LOCATIONS_DIR = "blob-locations";
/** The one file earlier versions kept the whole memory in; removed at the first save. */
export const LEGACY_BLOB_LOCATIONS_FILE = "blob-locations.json";
const PIECES = 256;
/** Locations kept per piece: the memory's bound, spread over its pieces. */
export const BLOB_LOCATIONS_PER_PIECE = Math.ceil(BLOB_LOCATIONS_MAX / PIECES);

/** Why a piece was ignored; the caller decides how to say it. */
export type BlobLocationsWarning = (message: string) => void;

/** The piece a digest's locations are kept in: the first two hex digits of its value. */
export function pieceOf(digest: string): string {
  const value = digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 3).toLowerCase();
  return /^[0-9a-f]{2}$/.test(value) ? value : "other";
}

/** Which file a piece was read from. */
interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

/**
 * A piece as this process read it: `identity` and `text` undefined when there was no file, or once
 * this process has written it (a later save then reads it again).
 */
interface LoadedPiece {
  identity: FileIdentity | undefined;
  text: string | undefined;
}

/** The pieces a memory loaded from a directory has read so far. */
const loadedPieces = new WeakMap<
  BlobLocations,
  { dir: string; pieces: Map<string, LoadedPiece> }
>();

function identityOf(stats: Stats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
}

// A piece is only ever replaced, by a rename, never written in place: while its identity is the
// one it was read with (or there is still no file), it holds exactly what was read.
function unchanged(path: string, piece: LoadedPiece): boolean {
  let now: FileIdentity;
  try {
    now = identityOf(statSync(path));
  } catch (err) {
    return piece.identity === undefined && (err as NodeJS.ErrnoException).code === "ENOENT";
  }
  const was = piece.identity;
  return (
    was !== undefined &&
    now.dev === was.dev &&
    now.ino === was.ino &&
    now.size === was.size &&
    now.mtimeMs === was.mtimeMs
  );
}

function piecePath(dir: string, name: string): string {
  return join(dir, BLOB_LOCATIONS_DIR, `${name}.json`);
}

/** A piece from disk, empty when there is none or (with a warning) when it is bad. */
function readPiece(
  path: string,
  onWarning?: BlobLocationsWarning,
): LoadedPiece & { memory: BlobLocations } {
  const empty = { memory: createBlobLocations(), identity: undefined, text: undefined };
  let text: string;
  let identity: FileIdentity;
  try {
    // Through one descriptor, so that the identity is the file the text came from.
    const fd = openSync(path, "r");
    try {
      identity = identityOf(fstatSync(fd));
      text = readFileSync(fd, "utf8");
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") onWarning?.(`cannot read ${path} (${code ?? String(err)}); ignored`);
    return empty;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    onWarning?.(`${path} is not JSON; ignored, and replaced at the end of this run`);
    return empty;
  }
  const memory = blobLocationsFromJson(data);
  if ("problem" in memory) {
    onWarning?.(`${path} is not a blob location memory (${memory.problem}); ignored`);
    return empty;
  }
  return { memory, identity, text };
}

/**
 * The memory kept in `dir`. Nothing is read yet: each piece is read when a digest of it is first
 * looked up or recorded. A bad piece is ignored with a warning then.
 */
export async function loadBlobLocations(
  dir: string,
  onWarning?: BlobLocationsWarning,
): Promise<BlobLocations> {
  const pieces = new Map<string, LoadedPiece>();
  const memory: BlobLocations = {
    seen: new Map(),
    gone: new Map(),
    changed: false,
    before(digest) {
      const name = pieceOf(digest);
      if (pieces.has(name)) return;
      const read = readPiece(piecePath(dir, name), onWarning);
      pieces.set(name, { identity: read.identity, text: read.text });
      // No digest of this piece is in the memory yet: each was read in before it was touched.
      for (const [d, places] of read.memory.seen) memory.seen.set(d, places);
    },
  };
  loadedPieces.set(memory, { dir, pieces });
  return memory;
}

/**
 * Writes what `learnt` holds, piece by piece, each merged into what the file holds now and
 * replaced atomically (temp file and rename). Only pieces with news are written, and a piece read
 * in and not replaced since is not read again. Does nothing when nothing was learnt. A failure
 * to write is swallowed: the memory only saves uploads. The file of earlier versions goes.
 */
export async function saveBlobLocations(dir: string, learnt: BlobLocations): Promise<void> {
  if (!learnt.changed) return;
  const loaded = loadedPieces.get(learnt);
  const read = loaded?.dir === dir ? loaded.pieces : new Map<string, LoadedPiece>();
  let saved = true;
  for (const [name, mine] of splitBlobLocations(learnt, pieceOf)) {
    const path = piecePath(dir, name);
    const piece = read.get(name);
    const before = piece !== undefined && unchanged(path, piece) ? undefined : readPiece(path);
    const merged =
      before === undefined
        ? boundBlobLocations(mine, BLOB_LOCATIONS_PER_PIECE)
        : mergeBlobLocations(before.memory, mine, BLOB_LOCATIONS_PER_PIECE);
    // Repository names are the user's business: readable by the user only.
    const text = `${JSON.stringify(blobLocationsToJson(merged))}\n`;
    // A piece only looked up, or read and changed back, is what the file holds already.
    const current = before === undefined ? piece?.text : before.text;
    if (text === current || (current === undefined && merged.seen.size === 0)) continue;
    if (await writeMemoFile(join(dir, BLOB_LOCATIONS_DIR), `${name}.json`, text, 0o600)) {
      // The piece now holds what others had saved too, which `learnt` may lack: a later save
      // reads it again (no identity), while lookups keep what this memory holds.
      read.set(name, { identity: undefined, text: undefined });
    } else {
      saved = false;
    }
  }
  try {
    unlinkSync(join(dir, LEGACY_BLOB_LOCATIONS_FILE));
  } catch {
    // none, or not ours to remove
  }
  if (saved) learnt.changed = false;
}
