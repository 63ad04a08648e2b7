// One layer, streamed once: each regular file's first bytes are looked at (ELF files keep their
// facts), links and whiteouts are recorded, and everything else is skipped as it streams by.
// Nothing is extracted to disk, and memory is bounded by the flags (head bytes per file, the
// number of ELF files), never by the layer's size.
import * as tar from "tar-stream";
import { glibcReleaseIn, isElf, readElfFacts } from "../../compat/infer/elf.js";
import {
  emptyChanges,
  normalizePath,
  type FileView,
  type LayerChanges,
} from "../../compat/infer/file-view.js";
import { decompressed, layerError, type LayerCompression } from "./decompress.js";

export interface ScanBounds {
  /** Bytes of each file read for its ELF header and notes. */
  headBytes: number;
  /** Bytes of a libc.so.6 read for its release banner. */
  libcBytes: number;
  /** ELF files recorded per entry; later ones are skipped (and reported). */
  maxFiles: number;
  /** Uncompressed bytes read per entry; the scan stops there (and says so). */
  maxBytes: number;
}

export const DEFAULT_BOUNDS: ScanBounds = {
  headBytes: 64 * 1024,
  libcBytes: 4 * 1024 * 1024,
  maxFiles: 50_000,
  maxBytes: 64 * 1024 * 1024 * 1024,
};

/** Counters shared by the layers of one entry. */
export interface ScanProgress {
  elfFiles: number;
  bytes: number;
  /** ELF files not recorded because maxFiles was reached. */
  skippedElf: number;
  /** Files whose notes lie beyond headBytes. */
  notesBeyondHead: string[];
  stoppedAtBytes: boolean;
}

export function newProgress(): ScanProgress {
  return { elfFiles: 0, bytes: 0, skippedElf: 0, notesBeyondHead: [], stoppedAtBytes: false };
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The first `limit` bytes of an entry; the rest streams by unread. */
async function headOf(
  entry: AsyncIterable<Buffer>,
  limit: number,
  progress: ScanProgress,
  bounds: ScanBounds,
): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let kept = 0;
  for await (const chunk of entry) {
    progress.bytes += chunk.length;
    if (kept < limit) {
      const take = Math.min(chunk.length, limit - kept);
      parts.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      kept += take;
    }
    if (progress.bytes > bounds.maxBytes) return undefined;
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, kept);
}

/**
 * Reads the tar stream of one layer and returns what it changes. `view` (the layers beneath) is
 * only consulted, to know which plain files hide something recorded.
 */
export async function scanLayer(
  source: AsyncIterable<Uint8Array>,
  compression: LayerCompression,
  layer: string,
  view: FileView,
  bounds: ScanBounds,
  progress: ScanProgress,
): Promise<LayerChanges> {
  const changes = emptyChanges();
  const stream = decompressed(source, compression);
  const extract = tar.extract();
  stream.on("error", (err) => extract.destroy(err));
  stream.pipe(extract);
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const path = normalizePath(header.name);
      const base = baseOf(path);
      if (base.startsWith(WHITEOUT)) {
        if (base === OPAQUE) changes.opaque.push(dirOf(path));
        else changes.removed.push(normalizePath(`${dirOf(path)}/${base.slice(WHITEOUT.length)}`));
        entry.resume();
        continue;
      }
      if (header.type === "symlink" && header.linkname) {
        changes.links.set(path, header.linkname);
        entry.resume();
        continue;
      }
      if (header.type === "link" && header.linkname) {
        const target = normalizePath(header.linkname);
        const file = changes.files.get(target) ?? view.files.get(target);
        if (file) changes.files.set(path, { ...file, path });
        else if (view.files.has(path) || view.links.has(path)) changes.others.add(path);
        entry.resume();
        continue;
      }
      if (header.type !== "file" && header.type !== "contiguous-file") {
        if (view.files.has(path) || view.links.has(path)) changes.others.add(path);
        entry.resume();
        continue;
      }
      const limit =
        base === "libc.so.6" ? Math.max(bounds.headBytes, bounds.libcBytes) : bounds.headBytes;
      const head = await headOf(entry, limit, progress, bounds);
      if (head === undefined) {
        progress.stoppedAtBytes = true;
        break;
      }
      if (!isElf(head)) {
        if (view.files.has(path) || view.links.has(path)) changes.others.add(path);
        continue;
      }
      const facts = readElfFacts(head);
      if (facts === undefined) continue;
      if (progress.elfFiles >= bounds.maxFiles) {
        progress.skippedElf++;
        continue;
      }
      progress.elfFiles++;
      if (facts.unread > 0 && progress.notesBeyondHead.length < 20)
        progress.notesBeyondHead.push(`/${path}`);
      const release = base === "libc.so.6" ? glibcReleaseIn(head) : undefined;
      changes.files.set(path, {
        path,
        layer,
        facts,
        ...(release === undefined ? {} : { glibcRelease: release }),
      });
    }
  } catch (err) {
    throw layerError(err, compression, layer);
  } finally {
    stream.destroy();
    extract.destroy();
  }
  return changes;
}
