// An OCI image layout directory as a Store (image-spec image-layout.md):
//
//   DIR/oci-layout              {"imageLayoutVersion": "1.0.0"}
//   DIR/index.json              an image index; entries named by org.opencontainers.image.ref.name
//   DIR/blobs/ALG/ENCODED       content, named by its digest
//
// Reads verify content against the descriptor while streaming. Writes never leave partial
// content under a final name: blobs go to a temp file in blobs/ALG/ (same filesystem), are verified
// and fsynced, then renamed into place. index.json is replaced the same way, under a lock file
// shared by every ocicompat process, and edits keep the bytes of every entry they do not change.
//
// Decisions:
// - resolve(TAG) is the index.json entry whose ref.name is TAG; two entries with it is an error.
// - resolve(DIGEST) is the first index.json entry with that digest (its mediaType and
//   annotations); otherwise a blob with that digest whose JSON says it is a manifest or an index
//   (its mediaType field, or its shape when the field is absent). Other blobs are not resolvable.
// - tag() replaces the entry that carries the tag in place (skopeo instead keeps the old entry
//   untagged); later entries with the same ref.name only lose the annotation. Tagging what the
//   tag already names writes nothing.
// - A blob of the right size under its digest counts as present (push skips it); its bytes are
//   checked when read.
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, utimes } from "node:fs/promises";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import { digestProblem, isDigest, parseDigest, registeredAlgorithmOf } from "../oci/digest.js";
import { OcicompatError } from "../oci/errors.js";
import { DEFAULT_MAX_BYTES, parseIJson } from "../oci/ijson.js";
import { IndexMediaTypes, ManifestMediaTypes, MediaType } from "../oci/media-types.js";
import { referenceProblem } from "../oci/reference.js";
import type { Descriptor, IndexEntry } from "../oci/schema.js";
import { validateOciDocument } from "../oci/validate.js";
import type { Abandonable } from "./abandon.js";
import { cancellable, throwIfCancelled } from "./cancel.js";
import {
  createFileExclusive,
  errnoOf,
  ioError,
  keepFresh,
  staleTempFiles,
  syncDir,
  TEMP_LEASE_MS,
  tempPathFor,
  writeFileAtomic,
} from "./layout/files.js";
import {
  EMPTY_INDEX_JSON,
  editIndexJson,
  parseIndexJson,
  REF_NAME,
  refNameOf,
  type EntryEdit,
  type IndexJson,
} from "./layout/index-json.js";
import { withLock } from "./layout/lock.js";
import {
  layoutReferrers,
  referrersAmongRoots,
  type ReferrersBySubject,
} from "./layout/referrers.js";
import { successors } from "./graph.js";
import {
  chunksOf,
  fetchBytes,
  isManifestType,
  carryVerification,
  readAll,
  release,
  verifying,
  type Body,
  type CallOptions,
  type ContentDescriptor,
  type Store,
  type TagCompleteOptions,
} from "./store.js";

export { REF_NAME } from "./layout/index-json.js";

export const LAYOUT_FILE = "oci-layout";
export const INDEX_FILE = "index.json";
export const BLOBS_DIR = "blobs";
export const IMAGE_LAYOUT_VERSION = "1.0.0";
const LAYOUT_HEADER = `{"imageLayoutVersion":"${IMAGE_LAYOUT_VERSION}"}`;
/** oci-layout is a one-field JSON object; anything large is not one. */
const MAX_LAYOUT_FILE_BYTES = 64 * 1024;
/** Untagged content is only resolved when it looks like a manifest: manifests are ≤ 4 MiB. */
const MAX_SNIFF_BYTES = DEFAULT_MAX_BYTES;

export interface LayoutOptions {
  /** Make the directory, `oci-layout`, an empty `index.json` and `blobs/` when missing. */
  create?: boolean;
  /** How long `tag` waits for another process holding index.json.lock; default 30 s. */
  lockTimeoutMs?: number;
  /** Largest index.json accepted; default 4 MiB, the limit for any index. */
  maxIndexBytes?: number;
  /** The store's name in messages; default `oci:DIR`. */
  name?: string;
}

/** One blob file present in the layout. */
export interface LayoutBlob {
  digest: string;
  size: number;
  path: string;
}

export class LayoutStore implements Store, Abandonable {
  readonly name: string;
  /** Absolute path of the layout directory. */
  readonly dir: string;
  readonly #lockTimeoutMs: number | undefined;
  readonly #maxIndexBytes: number;
  /**
   * index.json entries that name a subject, for the index.json text they were read from. The
   * promise is kept, so that concurrent callers share one scan.
   */
  #referrerScan: { text: string; bySubject: Promise<ReferrersBySubject> } | undefined;
  /** What openLayout made for this store: the directory itself, or only the layout files. */
  #created: "directory" | "files" | undefined;

  constructor(dir: string, options: LayoutOptions = {}) {
    this.dir = resolvePath(dir);
    this.name = options.name ?? `oci:${dir}`;
    this.#lockTimeoutMs = options.lockTimeoutMs;
    this.#maxIndexBytes = options.maxIndexBytes ?? DEFAULT_MAX_BYTES;
  }

  get indexPath(): string {
    return join(this.dir, INDEX_FILE);
  }

  /** `blobs/ALG/ENCODED` for a digest; refuses digests that are not valid file names. */
  blobPath(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.dir, BLOBS_DIR, algorithm, encoded);
  }

  /** index.json, parsed and validated; read afresh each time, as other processes may write it. */
  async readIndex(): Promise<IndexJson> {
    const path = this.indexPath;
    let bytes: Uint8Array;
    try {
      bytes = await readLimited(path, this.#maxIndexBytes);
    } catch (err) {
      if (errnoOf(err) === "ENOENT") {
        throw new OcicompatError("NOT_FOUND", `${this.name} has no index.json`, { subject: path });
      }
      throw ioError(err, "read index.json", path);
    }
    return parseIndexJson(bytes, path, this.#maxIndexBytes);
  }

  /** The index.json entries: what the layout keeps alive (the roots for garbage collection). */
  async roots(): Promise<IndexEntry[]> {
    return (await this.readIndex()).index.manifests;
  }

  /**
   * Manifests whose `subject` is `subject`: those in its fallback index (`<alg>-<hex>` tag) and
   * index.json entries naming it (layout/referrers.ts). Entries are read once per index.json.
   */
  async referrers(
    subject: ContentDescriptor,
    artifactType?: string,
    options?: CallOptions,
  ): Promise<Descriptor[]> {
    throwIfCancelled(options?.signal);
    const { text, index } = await this.readIndex();
    if (this.#referrerScan?.text !== text) {
      const bySubject = referrersAmongRoots(this, index.manifests);
      this.#referrerScan = { text, bySubject };
      // A failed scan is not kept: the next call reads again.
      bySubject.catch(() => {
        if (this.#referrerScan?.bySubject === bySubject) this.#referrerScan = undefined;
      });
    }
    return layoutReferrers(
      this,
      index.manifests,
      await this.#referrerScan.bySubject,
      subject.digest,
      artifactType,
    );
  }

  async resolve(reference: string, options?: CallOptions): Promise<ContentDescriptor> {
    throwIfCancelled(options?.signal);
    const { index } = await this.readIndex();
    if (isDigest(reference)) {
      const entry = index.manifests.find((e) => e.digest === reference);
      if (entry) return descriptorOf(entry);
      return this.#resolveBlob(reference);
    }
    const matches = index.manifests
      .map((entry, at) => ({ entry, at }))
      .filter(({ entry }) => refNameOf(entry) === reference);
    const [first, ...others] = matches;
    if (first === undefined) {
      const tags = uniqueTags(index.manifests);
      const available = tags.length === 0 ? "it has no tags" : `its tags: ${tags.join(", ")}`;
      throw new OcicompatError(
        "NOT_FOUND",
        `tag "${reference}" is not in ${this.name}; ${available}`,
        {
          subject: reference,
        },
      );
    }
    if (others.length > 0) {
      const listed = matches.map(({ entry, at }) => `manifests[${at}] ${entry.digest}`).join(", ");
      throw new OcicompatError(
        "VALIDATION",
        `tag "${reference}" names ${matches.length} entries of ${this.name}'s index.json: ${listed}; re-tag to say which one is meant`,
        { subject: this.indexPath },
      );
    }
    return descriptorOf(first.entry);
  }

  /**
   * Untagged content by digest: the media type is what the document says it is (its mediaType
   * field, or the shape of an index or a manifest when the field is absent).
   */
  async #resolveBlob(digest: string): Promise<ContentDescriptor> {
    const path = this.blobPath(digest);
    const size = await this.#blobSize(path);
    if (size === undefined) {
      throw new OcicompatError("NOT_FOUND", `${digest} is not in ${this.name}`, {
        subject: digest,
      });
    }
    if (size > MAX_SNIFF_BYTES) {
      throw new OcicompatError(
        "UNSUPPORTED",
        `${digest} in ${this.name} is ${size} bytes: too large for a manifest or an index`,
        { subject: digest },
      );
    }
    const probe = { mediaType: "application/octet-stream", digest, size };
    const bytes = await readAll(await this.fetch(probe), size, digest);
    const mediaType = sniffMediaType(bytes);
    if (mediaType === undefined) {
      throw new OcicompatError(
        "UNSUPPORTED",
        `${digest} in ${this.name} is not a manifest or an index, so it cannot be resolved; fetch it by descriptor instead`,
        { subject: digest },
      );
    }
    return { mediaType, digest, size };
  }

  async #blobSize(path: string): Promise<number | undefined> {
    try {
      const info = await stat(path);
      return info.isFile() ? info.size : undefined;
    } catch (err) {
      if (errnoOf(err) === "ENOENT" || errnoOf(err) === "ENOTDIR") return undefined;
      throw ioError(err, "read blob", path);
    }
  }

  async fetch(desc: ContentDescriptor, options?: CallOptions): Promise<AsyncIterable<Uint8Array>> {
    throwIfCancelled(options?.signal);
    registeredAlgorithmOf(desc.digest);
    const path = this.blobPath(desc.digest);
    const size = await this.#blobSize(path);
    if (size === undefined) throw this.#missing(desc, path);
    if (size !== desc.size) {
      throw new OcicompatError(
        "SIZE_MISMATCH",
        `blob ${desc.digest} in ${this.name} is ${size} bytes, the descriptor says ${desc.size}`,
        { subject: desc.digest },
      );
    }
    const chunks = this.#readChunks(desc, path);
    return verifying(options?.signal ? cancellable(chunks, options.signal) : chunks, desc);
  }

  async *#readChunks(desc: ContentDescriptor, path: string): AsyncIterable<Uint8Array> {
    try {
      yield* createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>;
    } catch (err) {
      if (errnoOf(err) === "ENOENT") throw this.#missing(desc, path);
      throw ioError(err, `read blob ${desc.digest}`, path);
    }
  }

  #missing(desc: ContentDescriptor, path: string): OcicompatError {
    return new OcicompatError(
      "NOT_FOUND",
      `blob ${desc.digest} is not in ${this.name} (no file ${relative(this.dir, path)})`,
      { subject: desc.digest },
    );
  }

  async exists(desc: ContentDescriptor, options?: CallOptions): Promise<boolean> {
    throwIfCancelled(options?.signal);
    return (await this.#blobSize(this.blobPath(desc.digest))) === desc.size;
  }

  async push(desc: ContentDescriptor, body: Body, options?: CallOptions): Promise<void> {
    throwIfCancelled(options?.signal);
    registeredAlgorithmOf(desc.digest);
    const path = this.blobPath(desc.digest);
    if ((await this.#blobSize(path)) === desc.size) {
      // Content-addressed: a blob of the right size under its digest is this content (fetch
      // verifies it). The body is not needed; let its producer release what it holds.
      await release(body);
      // Reused now, so young again: `ocicompat gc` spares unreachable blobs changed within its
      // grace period, and this writer may be about to tag what references it.
      const now = new Date();
      await utimes(path, now, now).catch((err: unknown) => {
        throw ioError(err, `touch blob ${desc.digest}`, path);
      });
      return;
    }
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
      await handle.sync();
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
    await syncDir(dir);
  }

  async tag(desc: ContentDescriptor, tag: string, options?: CallOptions): Promise<void> {
    await this.updateTag(desc, tag, undefined, options?.signal);
  }

  /**
   * Points `tag` at `desc` only if everything below it is present and intact, checked while
   * index.json's lock is held. `ocicompat gc` holds the same lock while it collects, so nothing can
   * be collected between the check and the tag. Throws INCOMPLETE, naming what is missing.
   * `only` narrows the check to `desc` and those descriptors: what the caller itself wrote, when
   * the rest of the graph may be legitimately absent (an index kept sparse on purpose).
   * `replacing` is the digest the tag must still name (CONFLICT otherwise), checked under the
   * same lock, so no other writer's tag is overwritten unseen.
   */
  async tagComplete(
    desc: ContentDescriptor,
    tag: string,
    options: TagCompleteOptions & CallOptions = {},
  ): Promise<boolean> {
    const { only, replacing, signal } = options;
    return this.updateTag(
      desc,
      tag,
      async () => {
        if (replacing !== undefined) {
          const now = (await this.readIndex()).index.manifests.find((e) => refNameOf(e) === tag);
          if (now?.digest !== replacing) {
            throw new OcicompatError(
              "CONFLICT",
              `${tag} moved from ${replacing} to ${now?.digest ?? "nothing"} while ocicompat was writing; the tag was left as it is, run the command again`,
              { subject: `${this.name}:${tag}` },
            );
          }
        }
        const missing =
          only === undefined ? await this.#missingBelow(desc) : await this.#absent([desc, ...only]);
        if (missing.length === 0) return;
        const shown = missing.slice(0, 5).map((d) => `${d.mediaType} ${d.digest}`);
        const more =
          missing.length > shown.length ? `, and ${missing.length - shown.length} more` : "";
        throw new OcicompatError(
          "INCOMPLETE",
          `cannot tag ${desc.digest} as "${tag}" in ${this.name}: ${missing.length} descriptor${missing.length === 1 ? "" : "s"} below it ${missing.length === 1 ? "is" : "are"} missing (${shown.join(", ")}${more}); something removed ${missing.length === 1 ? "it" : "them"} after ${missing.length === 1 ? "it was" : "they were"} written`,
          { subject: desc.digest },
        );
      },
      signal,
    );
  }

  async #absent(descs: readonly ContentDescriptor[]): Promise<ContentDescriptor[]> {
    const missing: ContentDescriptor[] = [];
    for (const d of descs) if (!(await this.exists(d))) missing.push(d);
    return missing;
  }

  /** Descriptors under `root` (itself included) whose blobs are absent; manifests are verified. */
  async #missingBelow(root: ContentDescriptor): Promise<ContentDescriptor[]> {
    const missing: ContentDescriptor[] = [];
    const seen = new Set<string>();
    const pending = [root];
    for (let desc = pending.pop(); desc !== undefined; desc = pending.pop()) {
      // Walked as a document even if a descriptor named the same digest as a plain blob first.
      const document = isManifestType(desc.mediaType);
      const key = `${document ? "document" : "blob"} ${desc.digest}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!(await this.exists(desc))) {
        missing.push(desc);
        continue;
      }
      if (document) {
        pending.push(...successors(desc, await fetchBytes(this, desc)).children);
      }
    }
    return missing;
  }

  /**
   * Points `tag` at `desc` in index.json; returns whether index.json changed. The entry that
   * carries the tag is replaced in place; other entries keep their bytes and their order.
   * `check` runs first, under the lock.
   */
  async updateTag(
    desc: ContentDescriptor,
    tag: string,
    check?: () => Promise<void>,
    signal?: AbortSignal,
  ): Promise<boolean> {
    throwIfCancelled(signal);
    const problem = referenceProblem(`oci:layout:${tag}`);
    if (problem !== undefined) {
      throw new OcicompatError("INVALID_REFERENCE", `cannot tag ${this.name}: ${problem}`, {
        subject: tag,
      });
    }
    if (!(await this.exists(desc))) {
      throw new OcicompatError(
        "NOT_FOUND",
        `cannot tag ${desc.digest} as "${tag}": it is not in ${this.name} (push it first)`,
        { subject: desc.digest },
      );
    }
    const lockPath = `${this.indexPath}.lock`;
    const lockOptions = {
      what: `index.json of ${this.name}`,
      signal,
      ...(this.#lockTimeoutMs === undefined ? {} : { timeoutMs: this.#lockTimeoutMs }),
    };
    return withLock(
      lockPath,
      async () => {
        await check?.();
        const current = await this.readIndex();
        const next = retag(current, desc, tag);
        if (next === current.text) return false;
        // Never write an index.json this store could not read back.
        parseIndexJson(Buffer.from(next), this.indexPath, this.#maxIndexBytes);
        await writeFileAtomic(this.indexPath, Buffer.from(next)).catch((err: unknown) => {
          throw ioError(err, "write index.json", this.indexPath);
        });
        return true;
      },
      lockOptions,
    );
  }

  async listTags(options?: CallOptions): Promise<string[]> {
    throwIfCancelled(options?.signal);
    return uniqueTags((await this.readIndex()).index.manifests);
  }

  /** Records what openLayout made (for abandon). */
  markCreated(what: "directory" | "files"): void {
    this.#created = what;
  }

  /**
   * Removes a layout that openLayout created for this store and that is still empty: index.json
   * lists nothing and `blobs/` holds no file. A layout holding content stays: a re-run reuses it.
   * Checked and removed under index.json's lock, so no tag lands meanwhile; rmdir(2) refuses a
   * directory that another writer has put a blob or a temp file into, and then the layout stays.
   */
  async abandon(): Promise<boolean> {
    if (this.#created === undefined) return false;
    const blobsDir = join(this.dir, BLOBS_DIR);
    const removed = await withLock(
      `${this.indexPath}.lock`,
      async () => {
        if ((await this.readIndex()).index.manifests.length > 0) return false;
        for (const entry of await listDir(blobsDir)) {
          if (entry.isDirectory()) await rmdir(join(blobsDir, entry.name)).catch(() => undefined);
        }
        if (
          !(await rmdir(blobsDir).then(
            () => true,
            () => false,
          ))
        )
          return false;
        await rm(this.indexPath, { force: true });
        await rm(join(this.dir, LAYOUT_FILE), { force: true });
        return true;
      },
      { what: `index.json of ${this.name}` },
    );
    // The lock file is gone now; the directory goes only if it is empty and was made here.
    if (removed && this.#created === "directory") await rmdir(this.dir).catch(() => undefined);
    this.#created = undefined;
    return removed;
  }

  /** Every blob file in the layout, skipping temp files and names that are not digests. */
  async blobs(): Promise<LayoutBlob[]> {
    const root = join(this.dir, BLOBS_DIR);
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
}

/** Opens (or with `create`, makes) an OCI image layout directory. */
export async function openLayout(dir: string, options: LayoutOptions = {}): Promise<LayoutStore> {
  const store = new LayoutStore(dir, options);
  const root = store.dir;
  const layoutPath = join(root, LAYOUT_FILE);
  if (options.create) {
    const madeDir = await pathExists(root).then((there) => !there);
    await mkdir(join(root, BLOBS_DIR), { recursive: true }).catch((err: unknown) => {
      throw ioError(err, "create the layout directory", root);
    });
    const madeLayout = await createFileExclusive(layoutPath, Buffer.from(LAYOUT_HEADER)).catch(
      (err: unknown) => {
        throw ioError(err, "create oci-layout", layoutPath);
      },
    );
    if (madeLayout) store.markCreated(madeDir ? "directory" : "files");
    await createFileExclusive(store.indexPath, Buffer.from(EMPTY_INDEX_JSON)).catch(
      (err: unknown) => {
        throw ioError(err, "create index.json", store.indexPath);
      },
    );
  }
  await checkLayoutFile(store, layoutPath);
  await store.readIndex();
  return store;
}

/** The index.json entries of the layout at `dir` (the roots a garbage collection keeps). */
export async function layoutRoots(dir: string): Promise<IndexEntry[]> {
  return (await openLayout(dir)).roots();
}

async function checkLayoutFile(store: LayoutStore, path: string): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await readLimited(path, MAX_LAYOUT_FILE_BYTES);
  } catch (err) {
    if (errnoOf(err) === "ENOENT" || errnoOf(err) === "ENOTDIR") {
      const missing = (await pathExists(store.dir))
        ? "it has no oci-layout file"
        : "it does not exist";
      throw new OcicompatError(
        "NOT_FOUND",
        `${store.name} is not an OCI image layout: ${missing}`,
        {
          subject: store.dir,
        },
      );
    }
    throw ioError(err, "read oci-layout", path);
  }
  let value: unknown;
  try {
    value = parseIJson(bytes, { maxBytes: MAX_LAYOUT_FILE_BYTES }).value;
  } catch (err) {
    throw new OcicompatError(
      "INVALID_JSON",
      `oci-layout of ${store.name}: ${(err as Error).message}`,
      { subject: path, cause: err },
    );
  }
  const version =
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)["imageLayoutVersion"]
      : undefined;
  if (typeof version === "string" && version !== IMAGE_LAYOUT_VERSION) {
    throw new OcicompatError(
      "UNSUPPORTED",
      `${store.name} has imageLayoutVersion "${version}"; ocicompat reads ${IMAGE_LAYOUT_VERSION}`,
      { subject: path },
    );
  }
  const report = validateOciDocument("layout", value);
  if (report.errors.length > 0) {
    const first = report.errors[0];
    throw new OcicompatError(
      "VALIDATION",
      `oci-layout of ${store.name} is invalid: ${first?.path}: ${first?.message}`,
      { subject: path },
    );
  }
}

async function readLimited(path: string, maxBytes: number): Promise<Uint8Array> {
  const info = await stat(path);
  if (info.size > maxBytes) {
    throw new OcicompatError(
      "TOO_LARGE",
      `file is ${info.size} bytes; the limit is ${maxBytes} bytes`,
      { subject: path },
    );
  }
  return readFile(path);
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function listDir(path: string) {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return [];
    throw ioError(err, "list directory", path);
  }
}

/** The descriptor a store reports for an index.json entry: the content's fields, no platform. */
function descriptorOf(entry: IndexEntry): ContentDescriptor {
  const desc: ContentDescriptor = {
    mediaType: entry.mediaType,
    digest: entry.digest,
    size: entry.size,
  };
  if (entry.annotations !== undefined) desc.annotations = { ...entry.annotations };
  if (entry.artifactType !== undefined) desc.artifactType = entry.artifactType;
  if (entry.urls !== undefined) desc.urls = [...entry.urls];
  return desc;
}

function uniqueTags(entries: readonly IndexEntry[]): string[] {
  const tags = new Set<string>();
  for (const entry of entries) {
    const name = refNameOf(entry);
    if (name !== undefined) tags.add(name);
  }
  return [...tags];
}

/**
 * The index.json text with `tag` on `desc`. The first entry carrying the tag is replaced in place
 * (or a new entry is appended); later entries that also carry it keep their place and lose only
 * the annotation, as containers/image does, so no content stops being a root.
 */
function retag(current: IndexJson, desc: ContentDescriptor, tag: string): string {
  const entries = current.index.manifests;
  const holders = entries.map((e, at) => ({ e, at })).filter(({ e }) => refNameOf(e) === tag);
  const wanted = entryFor(desc, tag);
  const edits: EntryEdit[] = [];
  const [first, ...others] = holders;
  if (first === undefined) {
    edits.push({ kind: "append", entry: wanted });
  } else if (!sameTarget(first.e, desc)) {
    edits.push({ kind: "replace", at: first.at, entry: wanted });
  }
  for (const { e, at } of others) {
    const annotations = { ...e.annotations };
    delete annotations[REF_NAME];
    const stripped: IndexEntry = { ...e, annotations };
    if (Object.keys(annotations).length === 0) delete stripped.annotations;
    edits.push({ kind: "replace", at, entry: stripped });
  }
  return edits.length === 0 ? current.text : editIndexJson(current.text, edits);
}

function sameTarget(entry: IndexEntry, desc: ContentDescriptor): boolean {
  return (
    entry.digest === desc.digest && entry.size === desc.size && entry.mediaType === desc.mediaType
  );
}

function entryFor(desc: ContentDescriptor, tag: string): IndexEntry {
  const entry: IndexEntry = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  if (desc.artifactType !== undefined) entry.artifactType = desc.artifactType;
  const annotations = { ...desc.annotations };
  delete annotations[REF_NAME];
  entry.annotations = { ...annotations, [REF_NAME]: tag };
  return entry;
}

/** The media type a manifest or an index declares, or implies by its shape. */
export function sniffMediaType(bytes: Uint8Array): string | undefined {
  let value: unknown;
  try {
    value = parseIJson(bytes).value;
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const doc = value as Record<string, unknown>;
  const declared = doc["mediaType"];
  if (typeof declared === "string") {
    return ManifestMediaTypes.has(declared) || IndexMediaTypes.has(declared) ? declared : undefined;
  }
  if (doc["schemaVersion"] !== 2) return undefined;
  if (Array.isArray(doc["manifests"])) return MediaType.ImageIndex;
  if (doc["config"] !== undefined && Array.isArray(doc["layers"])) return MediaType.ImageManifest;
  return undefined;
}
