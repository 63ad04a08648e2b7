// A Store over one repository of an OCI distribution registry. The work is done by one module
// per concern, over the RepositoryContext this class holds:
//
// * fetch.ts: tags resolve with one HEAD (Accept: the four manifest and index types), reading
//   Docker-Content-Digest, Content-Type and Content-Length; a GET (digest computed from the
//   bytes) when the HEAD does not say enough, or to learn why a HEAD said 404. Manifests are
//   refused above 4 MiB before their body is read, and verified against the digest asked for or
//   the one the registry announced. Recently seen manifest bytes are kept, so tagging something
//   just pushed or fetched costs one request. Blobs stream through `verifying()`; a download
//   that breaks off resumes with `Range` when the server offers ranges.
// * upload.ts: small blobs go up monolithically (POST, PUT ?digest= with the bytes), larger ones
//   streamed in that PUT (POST, PUT ?digest=), or in PATCH chunks of `chunkSize` when that is set.
//   `Location` is used exactly as returned. A failed upload cancels its session and, when the
//   body can be replayed, starts a new one. Cross-repository mounts.
// * tags.ts: manifest writes, tags, deletes, tag listing.
// * referrers.ts: the referrers API, or the `sha256-<hex>` tag when the API answers 404.
import { OcicompatError } from "../../oci/errors.js";
import { referenceProblem } from "../../oci/reference.js";
import type { Descriptor } from "../../oci/schema.js";
import {
  chunksOf,
  isManifestType,
  readAll,
  type Body,
  type CallOptions,
  type ContentDescriptor,
  type ManifestGetCapable,
  type MountCapable,
  type ReferrersCapable,
  type Store,
  type TagPeekCapable,
} from "../store.js";
import { cancellable } from "../cancel.js";
import { RegistryClient, type RegistryClientOptions } from "./client.js";
import {
  exists,
  fetchContent,
  getManifest,
  resolve,
  taggedDigest,
  type FetchedManifest,
} from "./fetch.js";
import { createManifestMemo } from "./manifest-memo.js";
import { referrers } from "./referrers.js";
import { checkManifestSize, type RepositoryContext } from "./repository.js";
import { deleteContent, listTags, pushManifest, tag, type ManifestPushResult } from "./tags.js";
import { pushBlob } from "./upload.js";
import { closeUploadSession, mount, openUploadSession } from "./upload-session.js";
import { blobLocationsOn, isBlobLocation, type BlobLocations } from "../cache/blob-locations.js";

export { MANIFEST_ACCEPT } from "./repository.js";
export type { FetchedManifest } from "./fetch.js";
export type { ManifestPushResult } from "./tags.js";

export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const STORE_ONLY_OPTIONS = [
  "registry",
  "repository",
  "client",
  "chunkSize",
  "tagPageSize",
  "maxManifestBytes",
  "blobLocations",
] as const;
/** Remembered repositories a copy tries to mount a blob from, at most: each refusal costs a request. */
const MOUNT_CANDIDATES = 3;

export interface RegistryStoreOptions extends Omit<RegistryClientOptions, "registry"> {
  /** `host[:port]`; may be left out when `client` is given. */
  registry?: string;
  /** `team/app` */
  repository: string;
  /** A client shared by every store of the host; without one, the store makes (and owns) one. */
  client?: RegistryClient;
  /**
   * For registries or proxies that limit the size of a request: blobs up to this size go up in
   * one request, larger ones in PATCH chunks of it (each held in memory while it is sent).
   * Default: none; blobs up to `DEFAULT_MONOLITHIC_SIZE` go up in one request from memory,
   * larger ones are streamed in the closing `PUT ?digest=`, as containerd pushes them.
   */
  chunkSize?: number;
  /** `n` for tag listing pages; default: the registry's own page size. */
  tagPageSize?: number;
  /** 4 MiB. */
  maxManifestBytes?: number;
  /**
   * Where blobs were seen (content/cache/blob-locations.ts): the store records what it learns
   * there, and offers it as mount candidates. Shared by the stores of a run; none by default.
   */
  blobLocations?: BlobLocations;
}

export function createRegistryStore(options: RegistryStoreOptions): RegistryStore {
  return new RegistryStore(options);
}

export class RegistryStore
  implements Store, ReferrersCapable, MountCapable, TagPeekCapable, ManifestGetCapable
{
  readonly name: string;
  readonly registry: string;
  readonly repository: string;
  readonly client: RegistryClient;
  private readonly ownsClient: boolean;
  private readonly ctx: RepositoryContext;

  constructor(options: RegistryStoreOptions) {
    const registry = options.registry ?? options.client?.registry;
    if (registry === undefined) {
      throw new OcicompatError("USAGE", "a registry store needs a registry or a client");
    }
    if (options.client !== undefined && options.client.registry !== registry) {
      throw new OcicompatError(
        "USAGE",
        `the client is for ${options.client.registry}, not ${registry}`,
      );
    }
    const problem = referenceProblem(`${registry}/${options.repository}`);
    if (problem !== undefined) {
      throw new OcicompatError("INVALID_REFERENCE", problem, {
        subject: `${registry}/${options.repository}`,
      });
    }
    this.registry = registry;
    this.repository = options.repository;
    this.name = `${registry}/${options.repository}`;
    if (options.client !== undefined) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const clientOptions: Record<string, unknown> = { ...options };
      for (const own of STORE_ONLY_OPTIONS) delete clientOptions[own];
      this.client = new RegistryClient({
        ...(clientOptions as Omit<RegistryClientOptions, "registry">),
        registry,
      });
      this.ownsClient = true;
    }
    this.ctx = {
      name: this.name,
      registry: this.registry,
      repository: this.repository,
      client: this.client,
      chunkSize: options.chunkSize === undefined ? undefined : Math.max(1, options.chunkSize),
      tagPageSize: options.tagPageSize,
      maxManifestBytes: options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES,
      manifests: createManifestMemo(),
      pendingUploads: new Map(),
      blobLocations: options.blobLocations,
    };
  }

  /** Closes the client if this store made it. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  resolve(reference: string, options?: CallOptions): Promise<ContentDescriptor> {
    return resolve(this.ctx, reference, options);
  }

  /** What `tag` names, from one HEAD: null when absent, undefined when the answer does not say. */
  taggedDigest(tag: string, options?: CallOptions): Promise<string | null | undefined> {
    return taggedDigest(this.ctx, tag, options);
  }

  /** A manifest or index by tag or digest, in one GET, verified. */
  getManifest(reference: string, options?: CallOptions): Promise<FetchedManifest> {
    return getManifest(this.ctx, reference, options);
  }

  fetch(desc: ContentDescriptor, options?: CallOptions): Promise<AsyncIterable<Uint8Array>> {
    return fetchContent(this.ctx, desc, options);
  }

  exists(desc: ContentDescriptor, options?: CallOptions): Promise<boolean> {
    return exists(this.ctx, desc, options);
  }

  async push(desc: ContentDescriptor, body: Body, options?: CallOptions): Promise<void> {
    const signal = options?.signal;
    if (isManifestType(desc.mediaType)) {
      checkManifestSize(this.ctx, desc.size, desc.digest);
      const bytes =
        body instanceof Uint8Array
          ? body
          : await readAll(
              cancellable(chunksOf(body), signal),
              this.ctx.maxManifestBytes,
              desc.digest,
            );
      await pushManifest(this.ctx, desc, bytes, undefined, options);
      return;
    }
    await pushBlob(this.ctx, desc, body, signal);
  }

  /**
   * Puts a manifest or index under its digest, or under `tag`. The bytes must match `desc`
   * (checked before sending); Content-Type is the descriptor's media type.
   */
  pushManifest(
    desc: ContentDescriptor,
    bytes: Uint8Array,
    tag?: string,
    options?: CallOptions,
  ): Promise<ManifestPushResult> {
    return pushManifest(this.ctx, desc, bytes, tag, options);
  }

  tag(desc: ContentDescriptor, name: string, options?: CallOptions): Promise<void> {
    return tag(this.ctx, desc, name, options);
  }

  /** Deletes a manifest (by digest) or a blob. Registries may refuse (405 UNSUPPORTED). */
  delete(desc: ContentDescriptor, options?: CallOptions): Promise<void> {
    return deleteContent(this.ctx, desc, options);
  }

  listTags(options?: CallOptions): Promise<string[]> {
    return listTags(this.ctx, options);
  }

  referrers(
    subject: ContentDescriptor,
    artifactType?: string,
    options?: CallOptions,
  ): Promise<Descriptor[]> {
    return referrers(this.ctx, subject, artifactType, options);
  }

  /** Whether the referrers API is known to work here: true, false, or undefined (not tried). */
  get referrersApi(): boolean | undefined {
    return this.client.referrersApi.get(this.repository);
  }

  /**
   * Links a blob from another repository of this registry. A refused mount (false) leaves an
   * upload session open, which the next push of the blob uses; without one, call
   * {@link closeUploadSession}.
   */
  mount(desc: ContentDescriptor, fromRepository: string, options?: CallOptions): Promise<boolean> {
    return mount(this.ctx, desc, fromRepository, options);
  }

  /**
   * Opens the upload session the next push of `desc` uses (a POST), unless a refused mount left
   * one; without a push, call {@link closeUploadSession}.
   */
  openUploadSession(desc: ContentDescriptor, options?: CallOptions): Promise<void> {
    return openUploadSession(this.ctx, desc, options?.signal);
  }

  /** Closes the upload session opened for `desc` before its push, if no push used it. */
  closeUploadSession(desc: ContentDescriptor, options?: CallOptions): Promise<void> {
    return closeUploadSession(this.ctx, desc, options?.signal);
  }

  /** Other repositories of this registry where the memory saw `desc`, most recent first. */
  mountCandidates(desc: ContentDescriptor): string[] {
    if (this.ctx.blobLocations === undefined) return [];
    return blobLocationsOn(this.ctx.blobLocations, desc.digest, this.registry, {
      except: this.repository,
      limit: MOUNT_CANDIDATES,
    });
  }

  /** Whether the memory saw `desc` in this repository; undefined without a memory. */
  seenHere(desc: ContentDescriptor): boolean | undefined {
    if (this.ctx.blobLocations === undefined) return undefined;
    return isBlobLocation(this.ctx.blobLocations, desc.digest, this.registry, this.repository);
  }
}
