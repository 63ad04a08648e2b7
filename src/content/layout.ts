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
//
// This class keeps the Store interface and the store's state; the work is beside it in layout/:
// the oci-layout frame (skeleton.ts), blob files (blob-files.ts), resolve.ts, tags.ts,
// tag-complete.ts, referrers.ts, and index.json's text and lock (index-json.ts, lock.ts).
import { createReadStream } from "node:fs";
import { rmdir, utimes } from "node:fs/promises";
import { join, relative, resolve as resolvePath } from "node:path";
import { parseDigest, registeredAlgorithmOf } from "../oci/digest.js";
import { OcicompatError } from "../oci/errors.js";
import { DEFAULT_MAX_BYTES } from "../oci/ijson.js";
import { referenceProblem } from "../oci/reference.js";
import type { Descriptor, IndexEntry } from "../oci/schema.js";
import type { Abandonable } from "./abandon.js";
import { cancellable, throwIfCancelled } from "./cancel.js";
import { blobSize, listBlobs, writeBlob, type LayoutBlob } from "./layout/blob-files.js";
import { errnoOf, ioError, writeFileAtomic } from "./layout/files.js";
import { parseIndexJson, type IndexJson } from "./layout/index-json.js";
import { withLock } from "./layout/lock.js";
import {
  layoutReferrers,
  referrersAmongRoots,
  type ReferrersBySubject,
} from "./layout/referrers.js";
import { resolveReference } from "./layout/resolve.js";
import {
  BLOBS_DIR,
  checkLayoutFile,
  createSkeleton,
  INDEX_FILE,
  LAYOUT_FILE,
  readLimited,
  removeEmptySkeleton,
} from "./layout/skeleton.js";
import { checkTagComplete } from "./layout/tag-complete.js";
import { retag, uniqueTags } from "./layout/tags.js";
import {
  release,
  verifying,
  type Body,
  type CallOptions,
  type ContentDescriptor,
  type Store,
  type TagCompleteOptions,
} from "./store.js";

export { REF_NAME } from "./layout/index-json.js";

export interface LayoutOptions {
  /** Make the directory, `oci-layout`, an empty `index.json` and `blobs/` when missing. */
  create?: boolean;
  /** How long `tag` waits for another process holding index.json.lock; default 30 s. */
  lockTimeoutMs?: number;
  /** Largest index.json accepted; default 4 MiB, the limit for any index. */
  maxIndexBytes?: number;
  /** The store's name in messages; default `oci:DIR`. */
  name?: string;
  /**
   * fsync blob files, index.json and their directories before a write counts as done; default
   * true. false only for a scratch layout that is deleted after use (an archive's working copy,
   * whose tar is fsynced on its own): a crash loses such a layout either way.
   */
  durable?: boolean;
}

export class LayoutStore implements Store, Abandonable {
  readonly name: string;
  readonly local = true;
  /** Absolute path of the layout directory. */
  readonly dir: string;
  readonly #lockTimeoutMs: number | undefined;
  readonly #maxIndexBytes: number;
  readonly #durable: boolean;
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
    this.#durable = options.durable ?? true;
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
    return resolveReference(this, reference);
  }

  async fetch(desc: ContentDescriptor, options?: CallOptions): Promise<AsyncIterable<Uint8Array>> {
    throwIfCancelled(options?.signal);
    registeredAlgorithmOf(desc.digest);
    const path = this.blobPath(desc.digest);
    const size = await blobSize(path);
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
    return (await blobSize(this.blobPath(desc.digest))) === desc.size;
  }

  async push(desc: ContentDescriptor, body: Body, options?: CallOptions): Promise<void> {
    throwIfCancelled(options?.signal);
    registeredAlgorithmOf(desc.digest);
    const path = this.blobPath(desc.digest);
    if ((await blobSize(path)) === desc.size) {
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
    await writeBlob(path, desc, body, options, this.#durable);
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
      () => checkTagComplete(this, desc, tag, only, replacing),
      signal,
    );
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
        const durable = this.#durable;
        await writeFileAtomic(this.indexPath, Buffer.from(next), { durable }).catch(
          (err: unknown) => {
            throw ioError(err, "write index.json", this.indexPath);
          },
        );
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
    const removed = await removeEmptySkeleton(this);
    // The lock file is gone now; the directory goes only if it is empty and was made here.
    if (removed && this.#created === "directory") await rmdir(this.dir).catch(() => undefined);
    this.#created = undefined;
    return removed;
  }

  /** Every blob file in the layout, skipping temp files and names that are not digests. */
  async blobs(): Promise<LayoutBlob[]> {
    return listBlobs(join(this.dir, BLOBS_DIR));
  }
}

/** Opens (or with `create`, makes) an OCI image layout directory. */
export async function openLayout(dir: string, options: LayoutOptions = {}): Promise<LayoutStore> {
  const store = new LayoutStore(dir, options);
  const layoutPath = join(store.dir, LAYOUT_FILE);
  if (options.create) await createSkeleton(store, layoutPath, options.durable ?? true);
  await checkLayoutFile(store, layoutPath);
  await store.readIndex();
  return store;
}

/** The index.json entries of the layout at `dir` (the roots a garbage collection keeps). */
export async function layoutRoots(dir: string): Promise<IndexEntry[]> {
  return (await openLayout(dir)).roots();
}
