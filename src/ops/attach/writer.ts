// Writing for attach and detach, over any store: blobs, manifests by digest, tags. A registry
// store writes a manifest with one PUT and says whether the registry indexed its subject (the
// `OCI-Subject` answer of a registry with the referrers API); a layout, archive or memory store
// stores the manifest as a blob and tags by editing its index. Every write is recorded, in order,
// for the report. A writer made with a signal passes it to every store call, and checks it before
// each write, so an abort stops the sequence between two writes at the latest.
import { OcicompatError } from "../../oci/errors.js";
import { throwIfCancelled } from "../../content/cancel.js";
import { createLimit, settleAll, type Limit } from "../../content/limit.js";
import {
  canTagComplete,
  isManifestPusher,
  type CallOptions,
  type ContentDescriptor,
  type Store,
} from "../../content/store.js";

export type WriteAction = "blob" | "manifest" | "tag";

/** What a write was for, in the words of the report. */
export type WriteRole =
  | "empty"
  | "config"
  | "compat-blob"
  | "compat-manifest"
  | "keeper"
  | "compat-tag"
  | "keep-tag"
  | "referrers-tag"
  | "index";

export interface WriteRecord {
  action: WriteAction;
  role: WriteRole;
  descriptor: ContentDescriptor;
  /** For tags: the tag written. */
  tag?: string;
  /** The content was already there and was not sent again. */
  skipped?: boolean;
  /** Manifests with a subject: whether the store indexed it (referrers API). */
  subjectAccepted?: boolean;
}

/** Jobs of `ContentWriter.each` in flight at once, unless told otherwise. */
const DEFAULT_WRITE_CONCURRENCY = 8;

/** `concurrency`, or the default when undefined; a USAGE error unless an integer of at least 1. */
export function checkConcurrency(concurrency = DEFAULT_WRITE_CONCURRENCY): number {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new OcicompatError(
      "USAGE",
      `concurrency must be an integer of at least 1, not ${String(concurrency)}`,
    );
  }
  return concurrency;
}

export class ContentWriter {
  /** "registry" when manifests go to a registry's manifest endpoint, else "layout". */
  readonly kind: "registry" | "layout";
  readonly records: WriteRecord[] = [];
  /** What every store call of this writer is given: the caller's signal. */
  readonly callOptions: CallOptions;
  /** The bound `each` runs its jobs under, shared with every branch. */
  readonly #limit: Limit;
  /** A branch's: the records of the writer it came from, as they were when it branched off. */
  readonly #before: readonly WriteRecord[] | undefined;

  constructor(
    readonly store: Store,
    options: CallOptions & { concurrency?: number } = {},
    branchOf?: { limit: Limit; before: readonly WriteRecord[] },
  ) {
    this.kind = isManifestPusher(store) ? "registry" : "layout";
    this.callOptions = options.signal === undefined ? {} : { signal: options.signal };
    const concurrency = checkConcurrency(options.concurrency);
    this.#limit = branchOf?.limit ?? createLimit(concurrency);
    this.#before = branchOf?.before;
  }

  /**
   * Runs `job` for every item at once, at most the writer's concurrency in flight, each with a
   * writer of its own (a branch). The branches' records join this writer's in the items' order,
   * whatever order the writes finish in, so a report reads the same from run to run. After a
   * failure no further job starts; once every job already started has ended (no write outlives
   * the call), the failure of the lowest item is thrown.
   */
  async each<I, T>(
    items: readonly I[],
    job: (writer: ContentWriter, item: I) => Promise<T>,
  ): Promise<T[]> {
    if (this.#before !== undefined) {
      // A job holds a slot of the shared bound; waiting for more slots inside it could wait forever.
      throw new OcicompatError("INTERNAL", "ContentWriter.each was called from inside a job");
    }
    const branchOf = { limit: this.#limit, before: [...this.records] };
    const branches = items.map(() => new ContentWriter(this.store, this.callOptions, branchOf));
    let failed = false;
    const values = await settleAll(
      items.map((item, i) =>
        this.#limit(async () => {
          if (failed) throw new OcicompatError("CANCELLED", "not started: another write failed");
          try {
            return await job(branches[i] as ContentWriter, item);
          } catch (err) {
            failed = true;
            throw err;
          }
        }),
      ),
    );
    for (const branch of branches) this.records.push(...branch.records);
    return values;
  }

  private checkSignal(): void {
    throwIfCancelled(this.callOptions.signal);
  }

  /**
   * A blob; not sent again when the store already has it. A layout is still asked to store it:
   * that makes a reused blob young again, so a concurrent `ocicompat gc` spares it.
   */
  async blob(role: WriteRole, desc: ContentDescriptor, bytes: Uint8Array): Promise<void> {
    this.checkSignal();
    const present = await this.store.exists(desc, this.callOptions);
    if (!present || this.kind === "layout") await this.store.push(desc, bytes, this.callOptions);
    this.records.push({
      action: "blob",
      role,
      descriptor: desc,
      ...(present ? { skipped: true } : {}),
    });
  }

  /** A manifest by digest; whether the store indexed its subject. */
  async manifest(role: WriteRole, desc: ContentDescriptor, bytes: Uint8Array): Promise<boolean> {
    this.checkSignal();
    let subjectAccepted = false;
    if (isManifestPusher(this.store)) {
      subjectAccepted = (await this.store.pushManifest(desc, bytes, undefined, this.callOptions))
        .subjectAccepted;
    } else {
      await this.store.push(desc, bytes, this.callOptions);
    }
    this.records.push({ action: "manifest", role, descriptor: desc, subjectAccepted });
    return subjectAccepted;
  }

  /**
   * Points `tag` at a manifest. A registry gets the bytes under the tag (one PUT, which also
   * stores them); other stores need the content stored first, then edit their index.
   */
  async tag(
    role: WriteRole,
    desc: ContentDescriptor,
    bytes: Uint8Array,
    tag: string,
    /** The digest the tag must still name (an index being replaced): checked atomically where the store can. */
    replacing?: string,
  ): Promise<void> {
    this.checkSignal();
    if (isManifestPusher(this.store)) {
      await this.store.pushManifest(desc, bytes, tag, this.callOptions);
    } else {
      await this.store.push(desc, bytes, this.callOptions); // a layout skips (and touches) what it has
      if (canTagComplete(this.store)) {
        // Under the lock a gc holds: what this writer stored must still be there. Only that:
        // an index may be sparse on purpose, and its other children are not ours to demand.
        const written = [...(this.#before ?? []), ...this.records]
          .filter((r) => r.action !== "tag")
          .map((r) => r.descriptor);
        await this.store.tagComplete(desc, tag, {
          only: written,
          ...(replacing === undefined ? {} : { replacing }),
          ...this.callOptions,
        });
      } else {
        await this.store.tag(desc, tag, this.callOptions);
      }
    }
    this.records.push({ action: "tag", role, descriptor: desc, tag });
  }
}
