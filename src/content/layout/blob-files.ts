// Blob files under blobs/ALG/ENCODED: their size on disk, the write that never leaves partial
// content under a digest (a temp file beside it, verified while written, fsynced and renamed),
// and the listing of what is there. The store decides when; this module only does the file work.
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { digestProblem } from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";
import { cancellable } from "../cancel.js";
import {
  carryVerification,
  chunksOf,
  verifying,
  type Body,
  type CallOptions,
  type ContentDescriptor,
} from "../store.js";
import {
  errnoOf,
  ioError,
  keepFresh,
  staleTempFiles,
  syncDir,
  TEMP_LEASE_MS,
  tempPathFor,
} from "./files.js";

/** One blob file present in the layout. */
export interface LayoutBlob {
  digest: string;
  size: number;
  path: string;
}

/** The size of the blob file at `path`; undefined when there is none. */
export async function blobSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (err) {
    if (errnoOf(err) === "ENOENT" || errnoOf(err) === "ENOTDIR") return undefined;
    throw ioError(err, "read blob", path);
  }
}

/**
 * Writes `body` as the blob file `path` of `desc`, verified; nothing stays under `path` if it
 * fails. `durable: false` skips the fsyncs, for a scratch layout a crash would lose anyway.
 */
export async function writeBlob(
  path: string,
  desc: ContentDescriptor,
  body: Body,
  options?: CallOptions,
  durable = true,
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw ioError(err, "create blob directory", dir);
  });
  // Leftovers of earlier writers of this blob that were killed: this write replaces them.
  for (const old of await staleTempFiles(dir, Date.now() - TEMP_LEASE_MS, path))
    await rm(old.path, { force: true });
  const temp = tempPathFor(path);
  const handle = await open(temp, "wx", 0o644).catch((err: unknown) => {
    throw ioError(err, "create temp file", temp);
  });
  // A live writer's temp file stays young, however slow its source: gc and later writers
  // remove only temp files nobody refreshes (layout/files.ts).
  const stopRefreshing = keepFresh(handle);
  let closed = false;
  let stored = false;
  try {
    const chunks = chunksOf(body);
    const source = options?.signal
      ? carryVerification(chunks, cancellable(chunks, options.signal))
      : chunks;
    for await (const chunk of verifying(source, desc)) {
      let offset = 0;
      while (offset < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, offset);
        offset += bytesWritten;
      }
    }
    if (durable) await handle.sync();
    await handle.close();
    closed = true;
    await rename(temp, path);
    stored = true;
  } catch (err) {
    throw err instanceof OcicompatError ? err : ioError(err, `write blob ${desc.digest}`, path);
  } finally {
    stopRefreshing();
    if (!closed) await handle.close().catch(() => undefined);
    if (!stored) await rm(temp, { force: true });
  }
  if (durable) await syncDir(dir);
}

/** Every blob file under `root` (a layout's blobs/), skipping temp files and names that are not digests. */
export async function listBlobs(root: string): Promise<LayoutBlob[]> {
  const found: LayoutBlob[] = [];
  for (const algorithm of await listDir(root)) {
    if (!algorithm.isDirectory()) continue;
    for (const file of await listDir(join(root, algorithm.name))) {
      const digest = `${algorithm.name}:${file.name}`;
      if (!file.isFile() || digestProblem(digest) !== undefined) continue;
      const path = join(root, algorithm.name, file.name);
      found.push({ digest, size: (await stat(path)).size, path });
    }
  }
  return found.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
}

export async function listDir(path: string) {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return [];
    throw ioError(err, "list directory", path);
  }
}
