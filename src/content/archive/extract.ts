// Reads an OCI archive (a tar of an image layout) into a directory, refusing anything that is not
// part of a layout: only `oci-layout`, `index.json`, `blobs/`, `blobs/ALG/` and `blobs/ALG/ENCODED`
// may appear, as regular files and directories. Path traversal, absolute paths, links, devices
// and any other file are refused with an error naming the entry, before anything is written for
// it. Blobs are written as they are and verified when read, as in any layout.
import { createReadStream } from "node:fs";
import { mkdir, open, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import * as tar from "tar-stream";
import { digestProblem } from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";
import { BLOBS_DIR, INDEX_FILE, LAYOUT_FILE } from "../layout/skeleton.js";
import { readAll } from "../store.js";

export interface ExtractOptions {
  /** Name of the archive in messages, e.g. `oci-archive:./image.tar`. */
  name: string;
  maxIndexBytes: number;
}

const MAX_LAYOUT_FILE_BYTES = 64 * 1024;
const ALGORITHM = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*$/;

type Planned =
  | { kind: "dir"; path: string }
  | { kind: "small"; path: string; max: number }
  | { kind: "blob"; path: string };

/** Extracts `file` into `into` (an empty private directory). */
export async function extractArchive(
  file: string,
  into: string,
  options: ExtractOptions,
): Promise<void> {
  await mkdir(into, { recursive: true });
  const source = createReadStream(file);
  const extract = tar.extract();
  source.on("error", (err) => extract.destroy(err));
  source.pipe(extract);
  const seen = new Set<string>();
  try {
    for await (const entry of extract) {
      const plan = planEntry(entry.header, options);
      if (plan.kind !== "dir" && seen.has(plan.path))
        throw refuse(options, entry.header.name, "it appears twice");
      seen.add(plan.path);
      await store(entry, plan, into, options);
    }
  } catch (err) {
    if (err instanceof OcicompatError) throw err;
    throw new OcicompatError(
      "IO",
      `${options.name} could not be read as a tar archive: ${(err as Error).message}`,
      { subject: file, cause: err },
    );
  } finally {
    source.destroy();
    extract.destroy();
  }
  for (const required of [LAYOUT_FILE, INDEX_FILE]) {
    if (!seen.has(required)) {
      throw new OcicompatError(
        "NOT_FOUND",
        `${options.name} is not an OCI archive: it has no ${required}`,
        { subject: file },
      );
    }
  }
}

function refuse(options: ExtractOptions, entryName: string, why: string): OcicompatError {
  return new OcicompatError(
    "UNSUPPORTED",
    `${options.name}: entry ${JSON.stringify(entryName)} is refused: ${why}`,
    { subject: entryName },
  );
}

/** Decides what an entry is, or refuses it. Runs before any byte of the entry is written. */
function planEntry(header: tar.Headers, options: ExtractOptions): Planned {
  const raw = header.name;
  if (raw.startsWith("/")) throw refuse(options, raw, "absolute paths are not allowed");
  // Windows-style separators or drive letters would mean something else to other tools.
  if (raw.includes("\\") || /^[A-Za-z]:/.test(raw)) {
    throw refuse(options, raw, "backslashes and drive letters are not allowed");
  }
  if (raw.includes("\0")) throw refuse(options, raw, "NUL in a name is not allowed");
  const parts = raw.split("/");
  if (parts.includes("..")) throw refuse(options, raw, "path traversal (..) is not allowed");
  // "./index.json", "blobs/sha256/" and "./" are fine; drop the "." and empty parts they make.
  while (parts[0] === ".") parts.shift();
  if (parts.at(-1) === "" && header.type === "directory") parts.pop();
  if (parts.some((p) => p === "" || p === ".")) {
    throw refuse(options, raw, "empty or '.' path components are not allowed");
  }
  const type = header.type ?? "file";
  if (type === "directory") {
    const [top, algorithm, ...rest] = parts;
    const ok =
      parts.length === 0 ||
      (top === BLOBS_DIR &&
        rest.length === 0 &&
        (algorithm === undefined || ALGORITHM.test(algorithm)));
    if (!ok) {
      throw refuse(
        options,
        raw,
        "only blobs/ and blobs/ALGORITHM/ directories belong in an OCI archive",
      );
    }
    return { kind: "dir", path: parts.join("/") };
  }
  if (type !== "file") {
    const what: Record<string, string> = {
      symlink: "symbolic links",
      link: "hard links",
      "character-device": "device files",
      "block-device": "device files",
      fifo: "FIFOs",
      "contiguous-file": "contiguous files",
    };
    throw refuse(
      options,
      raw,
      `${what[type] ?? `entries of type ${type}`} are not allowed in an OCI archive`,
    );
  }
  const path = parts.join("/");
  if (path === LAYOUT_FILE) return { kind: "small", path, max: MAX_LAYOUT_FILE_BYTES };
  if (path === INDEX_FILE) {
    const size = header.size ?? 0;
    if (size > options.maxIndexBytes) {
      throw new OcicompatError(
        "TOO_LARGE",
        `${options.name}: index.json is ${size} bytes; the limit is ${options.maxIndexBytes}`,
        { subject: raw },
      );
    }
    return { kind: "small", path, max: options.maxIndexBytes };
  }
  const [top, algorithm, encoded, ...rest] = parts;
  if (
    top === BLOBS_DIR &&
    algorithm !== undefined &&
    encoded !== undefined &&
    rest.length === 0 &&
    digestProblem(`${algorithm}:${encoded}`) === undefined
  ) {
    return { kind: "blob", path };
  }
  throw refuse(
    options,
    raw,
    "an OCI archive holds only oci-layout, index.json and blobs/ALGORITHM/ENCODED files",
  );
}

async function store(
  entry: AsyncIterable<Uint8Array> & { resume(): unknown },
  plan: Planned,
  into: string,
  options: ExtractOptions,
): Promise<void> {
  const target = join(into, ...plan.path.split("/").filter((p) => p !== ""));
  switch (plan.kind) {
    case "dir":
      entry.resume();
      await mkdir(target, { recursive: true });
      return;
    case "small": {
      let bytes: Uint8Array;
      try {
        bytes = await readAll(entry, plan.max, plan.path);
      } catch (err) {
        if (err instanceof OcicompatError && err.code === "TOO_LARGE") {
          throw new OcicompatError(
            "TOO_LARGE",
            `${options.name}: ${plan.path} is larger than ${plan.max} bytes`,
            {
              subject: plan.path,
            },
          );
        }
        throw err;
      }
      await writeFile(target, bytes, { flag: "wx", mode: 0o644 });
      return;
    }
    case "blob":
      await mkdir(dirname(target), { recursive: true });
      await writeChunks(entry, target);
      return;
  }
}

async function writeChunks(source: AsyncIterable<Uint8Array>, path: string): Promise<void> {
  const handle = await open(path, "wx", 0o644);
  try {
    for await (const chunk of source) {
      let offset = 0;
      while (offset < chunk.byteLength) {
        offset += (await handle.write(chunk, offset)).bytesWritten;
      }
    }
  } finally {
    await handle.close();
  }
}
