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
  ctimeMs: number;
}

/**
 * A piece as a memory holds it. `text` is its JSON as this process last read or wrote it, which
 * the memory's part equals until it learns something of that piece; `identity` is the file the
 * text was read from (undefined when there was none, and after a write, since another process
 * may replace the file at once); `bad` when the file was there but held no memory.
 */
interface LoadedPiece {
  identity: FileIdentity | undefined;
  text: string | undefined;
  bad: boolean;
}

/** The pieces a memory loaded from a directory has read so far. */
const loadedPieces = new WeakMap<
  BlobLocations,
  { dir: string; pieces: Map<string, LoadedPiece> }
>();

function identityOf(stats: Stats): FileIdentity {
  return {
    dev: stats.dev,
    ino: stats.ino,
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    ctimeMs: stats.ctimeMs,
  };
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
    now.mtimeMs === was.mtimeMs &&
    now.ctimeMs === was.ctimeMs
  );
}

function piecePath(dir: string, name: string): string {
  return join(dir, BLOB_LOCATIONS_DIR, `${name}.json`);
}

/** What was wrong with a piece: a read that failed (`code`), or a file that is not a memory. */
interface PieceProblem {
  code?: string;
  message: string;
}

/** A piece from disk: empty when there is none, or when it is bad (`problem` says how). */
function readPiece(path: string): LoadedPiece & { memory: BlobLocations; problem?: PieceProblem } {
  const none = { memory: createBlobLocations(), identity: undefined, text: undefined, bad: false };
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
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    if (code === "ENOENT") return none;
    return { ...none, problem: { code, message: `cannot read ${path} (${code}); ignored` } };
  }
  const bad = (message: string) => ({ ...none, identity, bad: true, problem: { message } });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return bad(`${path} is not JSON; ignored, and replaced at the end of this run`);
  }
  const memory = blobLocationsFromJson(data);
  if ("problem" in memory) {
    return bad(`${path} is not a blob location memory (${memory.problem}); ignored, and replaced`);
  }
  return { memory, identity, text, bad: false };
}

/** The JSON a piece is written as. */
function textOf(piece: BlobLocations): string {
  return `${JSON.stringify(blobLocationsToJson(piece))}\n`;
}

/**
 * The memory kept in `dir`. Nothing is read yet: each piece is read when a digest of it is first
 * looked up or recorded, a bad one ignored with a warning then (a directory that cannot be read
 * is said once, not once per piece).
 */
export async function loadBlobLocations(
  dir: string,
  onWarning?: BlobLocationsWarning,
): Promise<BlobLocations> {
  const pieces = new Map<string, LoadedPiece>();
  const saidCodes = new Set<string>();
  const memory: BlobLocations = {
    seen: new Map(),
    gone: new Map(),
    changed: false,
    before(digest) {
      const name = pieceOf(digest);
      if (pieces.has(name)) return;
      const { memory: read, problem, ...piece } = readPiece(piecePath(dir, name));
      pieces.set(name, piece);
      if (problem !== undefined && !(problem.code !== undefined && saidCodes.has(problem.code))) {
        if (problem.code !== undefined) saidCodes.add(problem.code);
        onWarning?.(problem.message);
      }
      // No digest of this piece is in the memory yet: each was read in before it was touched.
      for (const [d, places] of read.seen) memory.seen.set(d, places);
    },
  };
  loadedPieces.set(memory, { dir, pieces });
  return memory;
}

/**
 * Writes what `learnt` learnt, piece by piece: a piece with news is merged into what its file
 * holds now (read again only when another process has replaced it since) and replaced atomically
 * (temp file and rename); a piece only looked up is left alone, and a bad piece that was read is
 * replaced. Does nothing when nothing was learnt. A failure to write is swallowed: the memory only
 * saves uploads. The file of earlier versions goes.
 */
export async function saveBlobLocations(dir: string, learnt: BlobLocations): Promise<void> {
  if (!learnt.changed) return;
  const loaded = loadedPieces.get(learnt);
  const pieces = loaded?.dir === dir ? loaded.pieces : new Map<string, LoadedPiece>();
  const parts = splitBlobLocations(learnt, pieceOf);
  for (const [name, piece] of pieces) {
    if (piece.bad && !parts.has(name)) parts.set(name, createBlobLocations());
  }
  let saved = true;
  for (const [name, mine] of parts) {
    const piece = pieces.get(name);
    const ours = boundBlobLocations(mine, BLOB_LOCATIONS_PER_PIECE);
    const oursText = textOf(ours);
    if (piece !== undefined && !piece.bad && oursText === piece.text) continue; // no news
    const path = piecePath(dir, name);
    const now = piece !== undefined && unchanged(path, piece) ? undefined : readPiece(path);
    const merged =
      now === undefined ? ours : mergeBlobLocations(now.memory, mine, BLOB_LOCATIONS_PER_PIECE);
    const text = now === undefined ? oursText : textOf(merged);
    const replacesBad = now === undefined ? piece?.bad === true : now.bad;
    const current = now === undefined ? piece?.text : now.text;
    if (!replacesBad && (text === current || (current === undefined && merged.seen.size === 0))) {
      continue;
    }
    // Repository names are the user's business: readable by the user only.
    if (!(await writeMemoFile(join(dir, BLOB_LOCATIONS_DIR), `${name}.json`, text, 0o600))) {
      saved = false;
      continue;
    }
    // The memory now holds what the piece does, what others saved included, and a later save
    // compares with that.
    for (const digest of mine.seen.keys()) if (!merged.seen.has(digest)) learnt.seen.delete(digest);
    for (const [digest, places] of merged.seen) learnt.seen.set(digest, places);
    for (const key of mine.gone.keys()) learnt.gone.delete(key);
    pieces.set(name, { identity: undefined, text, bad: false });
  }
  try {
    unlinkSync(join(dir, LEGACY_BLOB_LOCATIONS_FILE));
  } catch {
    // none, or not ours to remove
  }
  if (saved) learnt.changed = false;
}
