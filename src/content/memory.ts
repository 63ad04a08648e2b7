// A Store in memory: content by digest, tags by name. Verifies on push and on fetch like the
// others, and honours a call's AbortSignal like them (checked before each call and each chunk), so
// tests that use it exercise the same contract as the real stores.
import { isDigest, registeredAlgorithmOf } from "../oci/digest.js";
import { cancellable, throwIfCancelled } from "./cancel.js";
import { OcicompatError } from "../oci/errors.js";
import {
  chunksOf,
  readAll,
  verifying,
  type Body,
  type CallOptions,
  type ContentDescriptor,
  type Store,
} from "./store.js";

/** Chunk size of `fetch`, so consumers see a stream even for content held in one piece. */
const CHUNK_BYTES = 64 * 1024;

interface Stored {
  desc: ContentDescriptor;
  bytes: Uint8Array;
}

export class MemoryStore implements Store {
  readonly name: string;
  readonly local = true;
  readonly #content = new Map<string, Stored>();
  readonly #tags = new Map<string, ContentDescriptor>();

  constructor(name = "memory") {
    this.name = name;
  }

  async resolve(reference: string, options?: CallOptions): Promise<ContentDescriptor> {
    throwIfCancelled(options?.signal);
    if (isDigest(reference)) {
      const stored = this.#content.get(reference);
      if (stored) return { ...stored.desc };
      throw new OcicompatError("NOT_FOUND", `${reference} is not in ${this.name}`, {
        subject: reference,
      });
    }
    const tagged = this.#tags.get(reference);
    if (tagged) return { ...tagged };
    const tags = [...this.#tags.keys()];
    const available = tags.length === 0 ? "it has no tags" : `its tags: ${tags.join(", ")}`;
    throw new OcicompatError(
      "NOT_FOUND",
      `tag "${reference}" is not in ${this.name}; ${available}`,
      {
        subject: reference,
      },
    );
  }

  async fetch(desc: ContentDescriptor, options?: CallOptions): Promise<AsyncIterable<Uint8Array>> {
    throwIfCancelled(options?.signal);
    registeredAlgorithmOf(desc.digest);
    const stored = this.#content.get(desc.digest);
    if (!stored) {
      throw new OcicompatError("NOT_FOUND", `blob ${desc.digest} is not in ${this.name}`, {
        subject: desc.digest,
      });
    }
    return cancellable(verifying(slices(stored.bytes), desc), options?.signal);
  }

  async exists(desc: ContentDescriptor, options?: CallOptions): Promise<boolean> {
    throwIfCancelled(options?.signal);
    return this.#content.get(desc.digest)?.bytes.byteLength === desc.size;
  }

  async push(desc: ContentDescriptor, body: Body, options?: CallOptions): Promise<void> {
    const signal = options?.signal;
    throwIfCancelled(signal);
    registeredAlgorithmOf(desc.digest);
    if (await this.exists(desc)) return;
    // readAll copies, so later changes to the caller's buffers cannot reach the store.
    const bytes = await readAll(
      cancellable(verifying(chunksOf(body), desc), signal),
      desc.size,
      desc.digest,
    );
    // Cancelled while the body was read: nothing is stored.
    throwIfCancelled(signal);
    this.#content.set(desc.digest, { desc: plain(desc), bytes });
  }

  async tag(desc: ContentDescriptor, tag: string, options?: CallOptions): Promise<void> {
    throwIfCancelled(options?.signal);
    if (tag === "" || /[\s@]/.test(tag)) {
      throw new OcicompatError(
        "INVALID_REFERENCE",
        `cannot tag ${this.name}: "${tag}" is not a tag`,
        {
          subject: tag,
        },
      );
    }
    if (!(await this.exists(desc))) {
      throw new OcicompatError(
        "NOT_FOUND",
        `cannot tag ${desc.digest} as "${tag}": it is not in ${this.name} (push it first)`,
        { subject: desc.digest },
      );
    }
    this.#tags.set(tag, plain(desc));
  }

  async listTags(options?: CallOptions): Promise<string[]> {
    throwIfCancelled(options?.signal);
    return [...this.#tags.keys()];
  }

  /** Digests of everything stored, sorted. */
  digests(): string[] {
    return [...this.#content.keys()].sort();
  }
}

export function createMemoryStore(name?: string): MemoryStore {
  return new MemoryStore(name);
}

function plain(desc: ContentDescriptor): ContentDescriptor {
  const copy: ContentDescriptor = {
    mediaType: desc.mediaType,
    digest: desc.digest,
    size: desc.size,
  };
  if (desc.annotations !== undefined) copy.annotations = { ...desc.annotations };
  if (desc.artifactType !== undefined) copy.artifactType = desc.artifactType;
  return copy;
}

async function* slices(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += CHUNK_BYTES) {
    yield bytes.slice(at, at + CHUNK_BYTES);
  }
}
