// An OCI archive (a tar of an image layout, as skopeo's `oci-archive:` writes) as a Store.
//
// Opening extracts the archive once into a private temp directory, refusing anything that is not
// part of a layout, and serves every read from a LayoutStore over it. Pushes and tags go to that
// layout; `commit()` (and `close()`, when something changed) writes a deterministic tar next to
// the file and renames it over the file, so the file is always either the old or the new archive.
// `close()` always removes the temp directory: call it in a `finally`.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OcicompatError } from "../oci/errors.js";
import { DEFAULT_MAX_BYTES } from "../oci/ijson.js";
import { extractArchive } from "./archive/extract.js";
import { packLayout } from "./archive/pack.js";
import { errnoOf, ioError } from "./layout/files.js";
import { withLock } from "./layout/lock.js";
import { openLayout, type LayoutStore } from "./layout.js";
import type { Descriptor, IndexEntry } from "../oci/schema.js";
import type { Abandonable } from "./abandon.js";
import type { Body, CallOptions, ContentDescriptor, Store, TagCompleteOptions } from "./store.js";

/** Something holding resources (temp files, connections) until it is closed. */
export interface Closable {
  close(): Promise<void>;
}

export function isClosable(value: unknown): value is Closable {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Partial<Closable>).close === "function"
  );
}

export interface ArchiveOptions {
  /** Start an empty archive when `file` does not exist; it is written on `close()`. */
  create?: boolean;
  /** Where the private working directory goes; default the OS temp directory. */
  tmpDir?: string;
  /** Largest index.json accepted; default 4 MiB. */
  maxIndexBytes?: number;
}

export class ArchiveStore implements Store, Closable, Abandonable {
  readonly name: string;
  readonly local = true;
  /** The archive file, as given. */
  readonly file: string;
  readonly #layout: LayoutStore;
  readonly #workDir: string;
  #dirty: boolean;
  #closed = false;
  /** Whether this store is making the file (it did not exist), and whether content arrived. */
  readonly #creating: boolean;
  #received = false;
  /** The file as it was read (undefined: there was none), to notice another writer's change. */
  #version: FileVersion | undefined;

  constructor(
    file: string,
    layout: LayoutStore,
    workDir: string,
    dirty: boolean,
    version: FileVersion | undefined,
  ) {
    this.file = file;
    this.name = `oci-archive:${file}`;
    this.#layout = layout;
    this.#workDir = workDir;
    this.#dirty = dirty;
    this.#creating = version === undefined;
    this.#version = version;
  }

  /** Whether the archive has changes that `commit()` would write. */
  get dirty(): boolean {
    return this.#dirty;
  }

  #open(): LayoutStore {
    if (this.#closed) {
      throw new OcicompatError("INTERNAL", `${this.name} is closed`, { subject: this.file });
    }
    return this.#layout;
  }

  // Reads and writes go to the extracted layout, which honours the call's signal.
  async resolve(reference: string, options?: CallOptions): Promise<ContentDescriptor> {
    return this.#open().resolve(reference, options);
  }

  async fetch(desc: ContentDescriptor, options?: CallOptions): Promise<AsyncIterable<Uint8Array>> {
    return this.#open().fetch(desc, options);
  }

  async exists(desc: ContentDescriptor, options?: CallOptions): Promise<boolean> {
    return this.#open().exists(desc, options);
  }

  async push(desc: ContentDescriptor, body: Body, options?: CallOptions): Promise<void> {
    const layout = this.#open();
    const had = await layout.exists(desc, options);
    await layout.push(desc, body, options);
    if (!had) {
      this.#dirty = true;
      this.#received = true;
    }
  }

  async tag(desc: ContentDescriptor, tag: string, options?: CallOptions): Promise<void> {
    if (await this.#open().updateTag(desc, tag, undefined, options?.signal)) this.#dirty = true;
  }

  async tagComplete(
    desc: ContentDescriptor,
    tag: string,
    options?: TagCompleteOptions & CallOptions,
  ): Promise<boolean> {
    const changed = await this.#open().tagComplete(desc, tag, options);
    if (changed) this.#dirty = true;
    return changed;
  }

  async listTags(options?: CallOptions): Promise<string[]> {
    return this.#open().listTags(options);
  }

  async referrers(
    subject: ContentDescriptor,
    artifactType?: string,
    options?: CallOptions,
  ): Promise<Descriptor[]> {
    return this.#open().referrers(subject, artifactType, options);
  }

  /** The index.json entries of the archive. */
  async roots(): Promise<IndexEntry[]> {
    return this.#open().roots();
  }

  /**
   * Writes the archive now (atomically), even if nothing changed. Refused with CONFLICT when the
   * file changed since it was read: writing would silently drop the other writer's work.
   */
  async commit(): Promise<void> {
    const layout = this.#open();
    await withLock(
      `${this.file}.lock`,
      async () => {
        const now = await versionOf(this.file);
        if (!sameVersion(now, this.#version)) {
          throw new OcicompatError(
            "CONFLICT",
            `${this.name} changed since it was read (another writer?): nothing was written, the file is as the other writer left it; run again`,
            { subject: this.file },
          );
        }
        try {
          await packLayout(layout, this.file);
        } catch (err) {
          throw ioError(err, `write ${this.name}`, this.file);
        }
        this.#version = await versionOf(this.file);
      },
      { what: this.name },
    );
    this.#dirty = false;
  }

  /** Writes the archive if anything changed, then removes the working directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#dirty) await this.commit();
    } finally {
      this.#closed = true;
      await rm(this.#workDir, { recursive: true, force: true });
    }
  }

  /**
   * After a failed write: a new archive that received nothing is not written at all. One that
   * received content is still written on close (untagged content a re-run reuses).
   */
  async abandon(): Promise<boolean> {
    if (!this.#creating || this.#received) return false;
    await this.discard();
    return true;
  }

  /** Removes the working directory without writing anything: the file stays as it was. */
  async discard(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await rm(this.#workDir, { recursive: true, force: true });
  }
}

/** Opens (or with `create`, starts) an OCI archive. Close it to write changes and clean up. */
export async function openArchive(
  file: string,
  options: ArchiveOptions = {},
): Promise<ArchiveStore> {
  const name = `oci-archive:${file}`;
  const maxIndexBytes = options.maxIndexBytes ?? DEFAULT_MAX_BYTES;
  const present = await fileExists(file);
  if (!present && !options.create) {
    throw new OcicompatError("NOT_FOUND", `${name} does not exist`, { subject: file });
  }
  const workDir = await mkdtemp(join(options.tmpDir ?? tmpdir(), "ocicompat-archive-")).catch(
    (err: unknown) => {
      throw ioError(err, "create a working directory", options.tmpDir ?? tmpdir());
    },
  );
  try {
    const layoutDir = join(workDir, "layout");
    const version = present ? await versionOf(file) : undefined;
    if (present) {
      await extractArchive(file, layoutDir, { name, maxIndexBytes });
    }
    // A working copy, deleted at close: its writes need no fsync, the tar gets one (pack.ts).
    const layout = await openLayout(layoutDir, {
      create: !present,
      maxIndexBytes,
      name,
      durable: false,
    });
    return new ArchiveStore(file, layout, workDir, !present, version);
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
}

/** Enough to tell that a file was replaced or rewritten: a rename gives a new inode. */
interface FileVersion {
  ino: number;
  size: number;
  mtimeMs: number;
}

async function versionOf(file: string): Promise<FileVersion | undefined> {
  try {
    const info = await stat(file);
    return { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs };
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return undefined;
    throw ioError(err, "read the archive's state", file);
  }
}

function sameVersion(a: FileVersion | undefined, b: FileVersion | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

async function fileExists(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      throw new OcicompatError("IO", `oci-archive:${file} is not a regular file`, {
        subject: file,
      });
    }
    return true;
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return false;
    throw ioError(err, "open the archive", file);
  }
}
