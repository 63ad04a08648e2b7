// A Store over one repository of an OCI distribution registry.
//
// * Tags resolve with one HEAD (Accept: the four manifest and index types), reading
//   Docker-Content-Digest, Content-Type and Content-Length; a GET (digest computed from the
//   bytes) when the HEAD does not say enough, or to learn why a HEAD said 404.
// * Manifests are refused above 4 MiB before their body is read, and verified against the digest
//   asked for or the one the registry announced. Recently seen manifest bytes are kept, so
//   tagging something just pushed or fetched costs one request.
// * Blobs stream through `verifying()`. A download that breaks off resumes with `Range` when the
//   server offers ranges; the digest covers all the pieces together.
// * Uploads are monolithic (POST, PUT ?digest=) up to `chunkSize`, chunked above it (POST,
//   PATCH with Content-Range, PUT ?digest=). `Location` is used exactly as returned. A failed
//   upload cancels its session and, when the body can be replayed, starts a new one.
// * Referrers come from the referrers API, or from the `sha256-<hex>` tag when the API answers
//   404; which of the two a repository has is remembered on the client.
import { computeDigest, isDigest, parseDigest, verifyContent } from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";
import { MediaType } from "../../oci/media-types.js";
import { referenceProblem } from "../../oci/reference.js";
import type { Descriptor } from "../../oci/schema.js";
import { pullScope, pushScope } from "../auth/scope.js";
import {
  chunksOf,
  isManifestType,
  readAll,
  releasing,
  verifying,
  type Body,
  type CallOptions,
  type ContentDescriptor,
  type MountCapable,
  type ReferrersCapable,
  type Store,
} from "../store.js";
import {
  RegistryClient,
  type RegistryClientOptions,
  type RegistryRequest,
  type RegistryResponse,
} from "./client.js";
import {
  errorFromNetwork,
  errorFromResponse,
  isNetworkFailure,
  isRegistryError,
  isTemporaryNetworkFailure,
  networkReason,
  parseErrorBody,
  RegistryError,
} from "./errors.js";
import {
  isManifestLike,
  isVerifiable,
  manifestMediaType,
  parseIndex,
  parseTagList,
  referrersTag,
} from "./documents.js";
import {
  bareMediaType,
  nextLink,
  numberHeader,
  rangeStart,
  readCapped,
  readText,
  withQueryParam,
} from "./http.js";
import { backoffDelay, mayRetry } from "./retry.js";
import { cancellable, cancellableSleep, throwIfCancelled } from "../cancel.js";

export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

/** The Accept header for manifests: OCI and Docker, image and index. */
export const MANIFEST_ACCEPT = [
  MediaType.ImageIndex,
  MediaType.ImageManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
].join(", ");

const TAG = /^\w[\w.-]{0,127}$/;
const STORE_ONLY_OPTIONS = [
  "registry",
  "repository",
  "client",
  "chunkSize",
  "tagPageSize",
  "maxManifestBytes",
] as const;
const MANIFEST_CACHE_ENTRIES = 128;
const MAX_PAGES = 10_000;

export interface RegistryStoreOptions extends Omit<RegistryClientOptions, "registry"> {
  /** `host[:port]`; may be left out when `client` is given. */
  registry?: string;
  /** `team/app` */
  repository: string;
  /** A client shared by every store of the host; without one, the store makes (and owns) one. */
  client?: RegistryClient;
  /** Blobs up to this size go up in one request; larger ones in PATCH chunks of it. 16 MiB. */
  chunkSize?: number;
  /** `n` for tag listing pages; default: the registry's own page size. */
  tagPageSize?: number;
  /** 4 MiB. */
  maxManifestBytes?: number;
}

export interface ManifestPushResult {
  /** The digest the registry reports (Docker-Content-Digest), else the descriptor's. */
  digest: string;
  /** The registry answered with `OCI-Subject`: it indexed the manifest's subject (referrers API). */
  subjectAccepted: boolean;
  /** The `OCI-Subject` value, when there was one. */
  subject?: string;
}

export interface FetchedManifest {
  descriptor: ContentDescriptor;
  bytes: Uint8Array;
}

export function createRegistryStore(options: RegistryStoreOptions): RegistryStore {
  return new RegistryStore(options);
}

export class RegistryStore implements Store, ReferrersCapable, MountCapable {
  readonly name: string;
  readonly registry: string;
  readonly repository: string;
  readonly client: RegistryClient;
  private readonly ownsClient: boolean;
  private readonly chunkSize: number;
  private readonly tagPageSize: number | undefined;
  private readonly maxManifestBytes: number;
  private readonly manifests = new Map<string, { mediaType: string; bytes: Uint8Array }>();
  /** Upload sessions a refused mount left open, by digest; the next push of the blob uses one. */
  private readonly pendingUploads = new Map<string, string>();

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
    this.chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
    this.tagPageSize = options.tagPageSize;
    this.maxManifestBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  }

  /** Closes the client if this store made it. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  async resolve(reference: string, options?: CallOptions): Promise<ContentDescriptor> {
    this.checkReference(reference);
    const byDigest = isDigest(reference);
    const signal = options?.signal;
    const res = await this.send({
      method: "HEAD",
      url: this.manifestPath(reference),
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [pullScope(this.repository)],
      accept: [200, 404],
      context: { reference, what: "manifest" },
      signal,
    });
    await res.body.dump().catch(() => undefined);
    if (res.status === 200) {
      const length = numberHeader(res.header("content-length"));
      if (length !== undefined) this.checkManifestSize(length, reference);
      const digest = res.header("docker-content-digest");
      const mediaType = bareMediaType(res.header("content-type"));
      if (
        digest !== undefined &&
        isDigest(digest) &&
        mediaType !== undefined &&
        isManifestLike(mediaType) &&
        length !== undefined
      ) {
        if (byDigest && digest !== reference) {
          throw new OcicompatError(
            "DIGEST_MISMATCH",
            `${this.name} answered a request for ${reference} with ${digest}`,
            { subject: reference },
          );
        }
        return { mediaType, digest, size: length };
      }
    }
    // A HEAD that says too little, or a 404 whose reason (unknown repository or manifest) only
    // a GET's body tells.
    return (await this.getManifest(reference, options)).descriptor;
  }

  /** A manifest or index by tag or digest, in one GET, verified. */
  async getManifest(reference: string, options?: CallOptions): Promise<FetchedManifest> {
    this.checkReference(reference);
    const byDigest = isDigest(reference);
    const signal = options?.signal;
    throwIfCancelled(signal);
    if (byDigest) {
      const cached = this.manifests.get(reference);
      if (cached !== undefined) {
        return {
          descriptor: {
            mediaType: cached.mediaType,
            digest: reference,
            size: cached.bytes.byteLength,
          },
          bytes: cached.bytes,
        };
      }
    }
    const { res, bytes } = await this.reading(this.manifestPath(reference), signal, async () => {
      const res = await this.send({
        method: "GET",
        url: this.manifestPath(reference),
        headers: { accept: MANIFEST_ACCEPT },
        scopes: [pullScope(this.repository)],
        context: { reference, what: "manifest" },
        signal,
      });
      const length = numberHeader(res.header("content-length"));
      if (length !== undefined) {
        try {
          this.checkManifestSize(length, reference);
        } catch (err) {
          discard(res.body);
          throw err;
        }
      }
      const bytes = await readCapped(
        res.body,
        this.maxManifestBytes,
        reference,
        `manifest ${reference} in ${this.name}`,
      );
      return { res, bytes };
    });
    const announced = res.header("docker-content-digest");
    let digest: string;
    if (byDigest) {
      this.verify(bytes, { digest: reference }, "manifest");
      digest = reference;
    } else if (announced !== undefined && isDigest(announced) && isVerifiable(announced)) {
      this.verify(bytes, { digest: announced }, "manifest");
      digest = announced;
    } else {
      digest = computeDigest(bytes);
    }
    const mediaType = manifestMediaType(
      res.header("content-type"),
      bytes,
      `${this.name}@${digest}`,
    );
    this.remember(digest, mediaType, bytes);
    return { descriptor: { mediaType, digest, size: bytes.byteLength }, bytes };
  }

  async fetch(desc: ContentDescriptor, options?: CallOptions): Promise<AsyncIterable<Uint8Array>> {
    if (isManifestType(desc.mediaType)) {
      this.checkManifestSize(desc.size, desc.digest);
      const { bytes } = await this.getManifest(desc.digest, options);
      this.verify(bytes, desc, "manifest");
      return cancellable(oneChunk(bytes), options?.signal);
    }
    return this.fetchBlob(desc, options?.signal);
  }

  async exists(desc: ContentDescriptor, options?: CallOptions): Promise<boolean> {
    const manifest = isManifestType(desc.mediaType);
    const res = await this.send({
      method: "HEAD",
      url: manifest ? this.manifestPath(desc.digest) : this.blobPath(desc.digest),
      headers: manifest ? { accept: MANIFEST_ACCEPT } : {},
      scopes: [pullScope(this.repository)],
      accept: [200, 404],
      context: { reference: desc.digest, what: manifest ? "manifest" : "blob" },
      signal: options?.signal,
    });
    await res.body.dump().catch(() => undefined);
    return res.status === 200;
  }

  async push(desc: ContentDescriptor, body: Body, options?: CallOptions): Promise<void> {
    const signal = options?.signal;
    if (isManifestType(desc.mediaType)) {
      this.checkManifestSize(desc.size, desc.digest);
      const bytes =
        body instanceof Uint8Array
          ? body
          : await readAll(cancellable(chunksOf(body), signal), this.maxManifestBytes, desc.digest);
      await this.pushManifest(desc, bytes, undefined, options);
      return;
    }
    await this.pushBlob(desc, body, signal);
  }

  /**
   * Puts a manifest or index under its digest, or under `tag`. The bytes must match `desc`
   * (checked before sending); Content-Type is the descriptor's media type.
   */
  async pushManifest(
    desc: ContentDescriptor,
    bytes: Uint8Array,
    tag?: string,
    options?: CallOptions,
  ): Promise<ManifestPushResult> {
    this.checkManifestSize(bytes.byteLength, desc.digest);
    this.verify(bytes, desc, "manifest");
    if (tag !== undefined) this.checkTag(tag);
    const reference = tag ?? desc.digest;
    const res = await this.send({
      method: "PUT",
      url: this.manifestPath(reference),
      headers: { "content-type": desc.mediaType },
      body: bytes,
      scopes: [pushScope(this.repository)],
      context: { reference, what: "manifest" },
      signal: options?.signal,
    });
    await res.body.dump().catch(() => undefined);
    const announced = res.header("docker-content-digest");
    if (
      announced !== undefined &&
      isDigest(announced) &&
      parseDigest(announced).algorithm === parseDigest(desc.digest).algorithm &&
      announced !== desc.digest
    ) {
      throw new OcicompatError(
        "DIGEST_MISMATCH",
        `${this.name} stored the manifest as ${announced}, not ${desc.digest}`,
        { subject: desc.digest },
      );
    }
    this.remember(desc.digest, desc.mediaType, bytes);
    const subject = res.header("oci-subject");
    if (subject !== undefined) this.client.referrersApi.set(this.repository, true);
    const result: ManifestPushResult = {
      digest: announced ?? desc.digest,
      subjectAccepted: subject !== undefined,
    };
    if (subject !== undefined) result.subject = subject;
    return result;
  }

  async tag(desc: ContentDescriptor, tag: string, options?: CallOptions): Promise<void> {
    this.checkTag(tag);
    if (!isManifestType(desc.mediaType)) {
      throw new OcicompatError(
        "USAGE",
        `only manifests and indexes can be tagged, not ${desc.mediaType}`,
        {
          subject: desc.digest,
        },
      );
    }
    this.checkManifestSize(desc.size, desc.digest);
    const { bytes } = await this.getManifest(desc.digest, options);
    await this.pushManifest(desc, bytes, tag, options);
  }

  /** Deletes a manifest (by digest) or a blob. Registries may refuse (405 UNSUPPORTED). */
  async delete(desc: ContentDescriptor, options?: CallOptions): Promise<void> {
    const manifest = isManifestType(desc.mediaType);
    const res = await this.send({
      method: "DELETE",
      url: manifest ? this.manifestPath(desc.digest) : this.blobPath(desc.digest),
      scopes: [`repository:${this.repository}:delete`],
      context: { reference: desc.digest, what: manifest ? "manifest" : "blob" },
      signal: options?.signal,
    });
    await res.body.dump().catch(() => undefined);
    this.manifests.delete(desc.digest);
  }

  async listTags(options?: CallOptions): Promise<string[]> {
    const signal = options?.signal;
    const tags: string[] = [];
    const seen = new Set<string>();
    const n = this.tagPageSize;
    let url: string | undefined =
      `/v2/${this.repository}/tags/list${n === undefined ? "" : `?n=${n}`}`;
    for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
      const pageUrl: string = url;
      const { res, bytes } = await this.reading(pageUrl, signal, async () => {
        const res = await this.send({
          method: "GET",
          url: pageUrl,
          scopes: [pullScope(this.repository)],
          context: { what: "tag list" },
          signal,
        });
        const bytes = await readCapped(res.body, 16 * 1024 * 1024, this.name, "a tag list page");
        return { res, bytes };
      });
      const pageTags = parseTagList(bytes, this.name);
      let fresh = 0;
      for (const tag of pageTags) {
        if (seen.has(tag)) continue;
        seen.add(tag);
        tags.push(tag);
        fresh++;
      }
      const next = nextLink(res.header("link"));
      const last = pageTags[pageTags.length - 1];
      if (next !== undefined) {
        url = new URL(next, res.url).href;
      } else if (n !== undefined && pageTags.length === n && fresh > 0 && last !== undefined) {
        // No Link header but exactly a full page: ask for what follows the last tag. (A registry
        // that ignores `n`, like distribution 2.8, sends everything at once.)
        url = `/v2/${this.repository}/tags/list?n=${n}&last=${encodeURIComponent(last)}`;
      } else {
        url = undefined;
      }
      if (fresh === 0 && pageTags.length > 0) break;
    }
    return tags;
  }

  async referrers(
    subject: ContentDescriptor,
    artifactType?: string,
    options?: CallOptions,
  ): Promise<Descriptor[]> {
    const signal = options?.signal;
    if (this.client.referrersApi.get(this.repository) !== false) {
      const listed = await this.referrersFromApi(subject, artifactType, signal);
      if (listed !== undefined) return listed;
    }
    return this.referrersFromTag(subject, artifactType, signal);
  }

  /** Whether the referrers API is known to work here: true, false, or undefined (not tried). */
  get referrersApi(): boolean | undefined {
    return this.client.referrersApi.get(this.repository);
  }

  async mount(
    desc: ContentDescriptor,
    fromRepository: string,
    options?: CallOptions,
  ): Promise<boolean> {
    const problem = referenceProblem(`${this.registry}/${fromRepository}`);
    if (problem !== undefined) {
      throw new OcicompatError("INVALID_REFERENCE", problem, { subject: fromRepository });
    }
    const res = await this.send({
      method: "POST",
      url: `/v2/${this.repository}/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(fromRepository)}`,
      scopes: [pushScope(this.repository), pullScope(fromRepository)],
      accept: [201, 202],
      retry: true,
      context: { reference: desc.digest, what: "blob mount" },
      signal: options?.signal,
    });
    await res.body.dump().catch(() => undefined);
    if (res.status === 201) return true;
    // 202: not mounted, and an upload session is open; the push that follows uses it.
    const location = res.header("location");
    if (location !== undefined)
      this.pendingUploads.set(desc.digest, new URL(location, res.url).href);
    return false;
  }

  // ---- blobs -------------------------------------------------------------------------------

  private async fetchBlob(
    desc: ContentDescriptor,
    signal: AbortSignal | undefined,
  ): Promise<AsyncIterable<Uint8Array>> {
    const path = this.blobPath(desc.digest);
    const first = await this.send({
      method: "GET",
      url: path,
      scopes: [pullScope(this.repository)],
      context: { reference: desc.digest, what: "blob" },
      signal,
    });
    const length = numberHeader(first.header("content-length"));
    if (first.status === 200 && length !== undefined && length !== desc.size) {
      discard(first.body);
      throw new OcicompatError(
        "SIZE_MISMATCH",
        `${this.name} is sending ${length} bytes for blob ${desc.digest}; the descriptor says ${desc.size}`,
        { subject: desc.digest },
      );
    }
    const ranges = first.status === 206 || /\bbytes\b/i.test(first.header("accept-ranges") ?? "");
    // Until it is read, the response holds a connection: let a caller that gives up release it.
    return releasing(
      this.inContext(verifying(this.resumable(first, desc, path, ranges, signal), desc), "blob"),
      () => discard(first.body),
    );
  }

  private async *resumable(
    first: RegistryResponse,
    desc: ContentDescriptor,
    path: string,
    ranges: boolean,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<Uint8Array> {
    let res = first;
    let received = 0;
    let skip = 0;
    let resumes = 0;
    const policy = this.client.retryPolicy;
    try {
      for (;;) {
        let failure: unknown;
        try {
          for await (const raw of res.body as AsyncIterable<Uint8Array>) {
            let chunk = raw;
            if (skip > 0) {
              if (chunk.byteLength <= skip) {
                skip -= chunk.byteLength;
                continue;
              }
              chunk = chunk.subarray(skip);
              skip = 0;
            }
            received += chunk.byteLength;
            yield chunk;
          }
        } catch (err) {
          failure = err;
        }
        if (failure === undefined && received >= desc.size) return;
        if (failure !== undefined && !isNetworkFailure(failure)) throw failure;
        const delay = backoffDelay(policy, resumes + 1, undefined);
        if (!ranges || resumes + 1 >= policy.maxAttempts) {
          // A clean but short end is reported by verifying() as a size mismatch.
          if (failure === undefined) return;
          const reason = networkReason(failure);
          throw new RegistryError({
            code: "UNREACHABLE",
            message: `the download of blob ${desc.digest} from ${this.name} broke off after ${received} of ${desc.size} bytes${ranges ? ` and ${resumes} resumptions` : " (the server does not offer ranges to resume)"}: ${reason.text}`,
            temporary: reason.temporary,
            method: "GET",
            url: res.url,
            subject: desc.digest,
            cause: failure,
          });
        }
        resumes++;
        discard(res.body);
        await cancellableSleep(delay, signal);
        res = await this.send({
          method: "GET",
          url: path,
          headers: { range: `bytes=${received}-` },
          scopes: [pullScope(this.repository)],
          accept: [200, 206],
          context: { reference: desc.digest, what: "blob" },
          signal,
        });
        if (res.status === 206) {
          const start = rangeStart(res.header("content-range"));
          if (start !== received) {
            discard(res.body);
            throw new OcicompatError(
              "REGISTRY",
              `${this.name} resumed blob ${desc.digest} at byte ${start ?? "?"} instead of ${received}`,
              { subject: desc.digest },
            );
          }
        } else {
          // The whole blob again: drop what was already passed on.
          skip = received;
        }
      }
    } finally {
      discard(res.body);
    }
  }

  private async pushBlob(
    desc: ContentDescriptor,
    body: Body,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let replayable: Uint8Array | undefined;
    if (body instanceof Uint8Array) {
      this.verify(body, desc, "blob");
      replayable = body;
    } else if (desc.size <= this.chunkSize) {
      replayable = await readAll(
        cancellable(verifying(chunksOf(body), desc), signal),
        desc.size,
        desc.digest,
      );
    }
    const upload = (session: string | undefined) =>
      replayable !== undefined && replayable.byteLength <= this.chunkSize
        ? this.monolithicUpload(desc, replayable, session, signal)
        : this.chunkedUpload(desc, replayable ?? body, session, signal);

    const pending = this.pendingUploads.get(desc.digest);
    this.pendingUploads.delete(desc.digest);
    if (pending !== undefined) {
      try {
        await upload(pending);
        return;
      } catch (err) {
        // The session a refused mount left may have expired; start afresh if the body allows.
        if (replayable === undefined || !isRegistryError(err) || err.status === undefined)
          throw err;
      }
    }
    const policy = this.client.retryPolicy;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await upload(undefined);
        return;
      } catch (err) {
        const delay = backoffDelay(policy, attempt, undefined);
        const again =
          replayable !== undefined &&
          isRegistryError(err) &&
          err.temporary &&
          mayRetry(policy, attempt, started, delay);
        if (!again) throw err;
        await cancellableSleep(delay, signal);
      }
    }
  }

  private async startUpload(
    signal: AbortSignal | undefined,
  ): Promise<{ location: string; minChunk: number | undefined }> {
    const res = await this.send({
      method: "POST",
      url: `/v2/${this.repository}/blobs/uploads/`,
      scopes: [pushScope(this.repository)],
      accept: [202],
      retry: true,
      context: { what: "upload" },
      signal,
    });
    await res.body.dump().catch(() => undefined);
    const location = res.header("location");
    if (location === undefined) {
      throw new OcicompatError(
        "REGISTRY",
        `${this.name} opened an upload without a Location header`,
      );
    }
    return {
      location: new URL(location, res.url).href,
      minChunk: numberHeader(res.header("oci-chunk-min-length")),
    };
  }

  private async monolithicUpload(
    desc: ContentDescriptor,
    bytes: Uint8Array,
    session: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const location = session ?? (await this.startUpload(signal)).location;
    try {
      await this.finishUpload(location, desc, bytes, signal);
    } catch (err) {
      await this.cancelUpload(location, signal);
      throw err;
    }
  }

  private async chunkedUpload(
    desc: ContentDescriptor,
    body: Body,
    session: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let location: string;
    let chunkSize = this.chunkSize;
    if (session !== undefined) {
      location = session;
    } else {
      const started = await this.startUpload(signal);
      location = started.location;
      if (started.minChunk !== undefined) chunkSize = Math.max(chunkSize, started.minChunk);
    }
    let offset = 0;
    try {
      const source = cancellable(
        body instanceof Uint8Array ? chunksOf(body) : verifying(chunksOf(body), desc),
        signal,
      );
      for await (const chunk of rechunk(source, chunkSize)) {
        const res = await this.send({
          method: "PATCH",
          url: location,
          headers: {
            "content-type": "application/octet-stream",
            "content-range": `${offset}-${offset + chunk.byteLength - 1}`,
          },
          body: chunk,
          scopes: [pushScope(this.repository)],
          accept: [202],
          retry: false,
          context: { reference: desc.digest, what: "blob upload" },
          signal,
        });
        await res.body.dump().catch(() => undefined);
        const next = res.header("location");
        if (next !== undefined) location = new URL(next, res.url).href;
        offset += chunk.byteLength;
      }
      await this.finishUpload(location, desc, new Uint8Array(0), signal);
    } catch (err) {
      await this.cancelUpload(location, signal);
      throw err;
    }
  }

  /** The closing PUT of an upload session, with the last (or only) bytes. */
  private async finishUpload(
    location: string,
    desc: ContentDescriptor,
    bytes: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const res = await this.send({
      method: "PUT",
      url: withQueryParam(location, "digest", desc.digest),
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
      scopes: [pushScope(this.repository)],
      accept: [201, 204],
      retry: false,
      context: { reference: desc.digest, what: "blob upload" },
      signal,
    });
    await res.body.dump().catch(() => undefined);
    this.checkUploaded(res, desc);
  }

  private checkUploaded(res: RegistryResponse, desc: ContentDescriptor): void {
    const announced = res.header("docker-content-digest");
    if (announced !== undefined && isDigest(announced) && announced !== desc.digest) {
      throw new OcicompatError(
        "DIGEST_MISMATCH",
        `${this.name} stored the blob as ${announced}, not ${desc.digest}`,
        { subject: desc.digest },
      );
    }
  }

  /**
   * Best effort: a session that cannot be cancelled expires on the registry. After the caller's
   * signal aborted, the DELETE still goes out, but nobody waits for it.
   */
  private async cancelUpload(location: string, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) {
      void this.cancelUpload(location, undefined);
      return;
    }
    try {
      const res = await this.send({
        method: "DELETE",
        url: location,
        scopes: [pushScope(this.repository)],
        accept: "any",
        retry: false,
        context: { what: "upload" },
      });
      await res.body.dump().catch(() => undefined);
    } catch {
      // ignored
    }
  }

  // ---- referrers ---------------------------------------------------------------------------

  private async referrersFromApi(
    subject: ContentDescriptor,
    artifactType: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Descriptor[] | undefined> {
    const results: Descriptor[] = [];
    let url: string | undefined =
      `/v2/${this.repository}/referrers/${subject.digest}` +
      (artifactType === undefined ? "" : `?artifactType=${encodeURIComponent(artifactType)}`);
    for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
      const pageUrl: string = url;
      const first = page === 0;
      const answer = await this.reading(pageUrl, signal, async () => {
        const res: RegistryResponse = await this.send({
          method: "GET",
          url: pageUrl,
          headers: { accept: MediaType.ImageIndex },
          scopes: [pullScope(this.repository)],
          accept: [200, 404],
          context: { reference: subject.digest, what: "referrers" },
          signal,
        });
        if (res.status === 404) {
          const text = await readText(res.body);
          const codes = parseErrorBody(text).map((e) => e.code);
          if (!first || codes.includes("NAME_UNKNOWN")) {
            throw errorFromResponse({
              method: "GET",
              url: res.url,
              status: 404,
              body: text,
              context: { registry: this.registry, repository: this.repository, what: "referrers" },
            });
          }
          return undefined;
        }
        const type = bareMediaType(res.header("content-type"));
        if (
          first &&
          type !== undefined &&
          type !== MediaType.ImageIndex &&
          type !== "application/json"
        ) {
          // Something answered, but not the referrers API (a web page, a proxy).
          await res.body.dump().catch(() => undefined);
          return undefined;
        }
        const bytes = await readCapped(
          res.body,
          this.maxManifestBytes,
          subject.digest,
          "a referrers page",
        );
        return { res, bytes };
      });
      if (answer === undefined) {
        this.client.referrersApi.set(this.repository, false);
        return undefined;
      }
      const { res, bytes } = answer;
      const index = parseIndex(bytes, `referrers of ${subject.digest} in ${this.name}`);
      this.client.referrersApi.set(this.repository, true);
      const filtered = (res.header("oci-filters-applied") ?? "")
        .split(",")
        .map((f) => f.trim())
        .includes("artifactType");
      for (const entry of index.manifests) {
        if (artifactType === undefined || filtered || entry.artifactType === artifactType) {
          results.push(entry);
        }
      }
      const next = nextLink(res.header("link"));
      url = next === undefined ? undefined : new URL(next, res.url).href;
    }
    return results;
  }

  private async referrersFromTag(
    subject: ContentDescriptor,
    artifactType: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Descriptor[]> {
    let fetched: FetchedManifest;
    try {
      fetched = await this.getManifest(referrersTag(subject.digest), { signal });
    } catch (err) {
      if (isRegistryError(err) && err.status === 404) return [];
      throw err;
    }
    const index = parseIndex(
      fetched.bytes,
      `referrers tag ${referrersTag(subject.digest)} in ${this.name}`,
    );
    return index.manifests.filter(
      (entry) => artifactType === undefined || entry.artifactType === artifactType,
    );
  }

  // ---- helpers -----------------------------------------------------------------------------

  private send(req: RegistryRequest): Promise<RegistryResponse> {
    return this.client.request({
      ...req,
      context: { repository: this.repository, ...req.context },
    });
  }

  /**
   * Runs a GET and the read of its (small) body, again when the connection breaks off inside the
   * body; the client already retries failures before an answer.
   */
  private async reading<T>(
    url: string,
    signal: AbortSignal | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    const policy = this.client.retryPolicy;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isNetworkFailure(err)) throw err;
        const delay = backoffDelay(policy, attempt, undefined);
        if (isTemporaryNetworkFailure(err) && mayRetry(policy, attempt, started, delay)) {
          await cancellableSleep(delay, signal);
          continue;
        }
        throw errorFromNetwork(
          err,
          "GET",
          this.client.resolve(url).href,
          {
            registry: this.registry,
            repository: this.repository,
          },
          attempt,
        );
      }
    }
  }

  private manifestPath(reference: string): string {
    return `/v2/${this.repository}/manifests/${reference}`;
  }

  private blobPath(digest: string): string {
    if (!isDigest(digest)) {
      throw new OcicompatError("INVALID_DIGEST", `"${digest}" is not a digest`, {
        subject: digest,
      });
    }
    return `/v2/${this.repository}/blobs/${digest}`;
  }

  private checkReference(reference: string): void {
    if (isDigest(reference)) return;
    if (!TAG.test(reference)) {
      throw new OcicompatError(
        "INVALID_REFERENCE",
        `"${reference}" is neither a tag nor a digest`,
        {
          subject: `${this.name}:${reference}`,
        },
      );
    }
  }

  private checkTag(tag: string): void {
    if (!TAG.test(tag)) {
      throw new OcicompatError(
        "INVALID_REFERENCE",
        `tag "${tag}" is not valid: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`,
        { subject: `${this.name}:${tag}` },
      );
    }
  }

  private checkManifestSize(size: number, reference: string): void {
    if (size > this.maxManifestBytes) {
      throw new OcicompatError(
        "TOO_LARGE",
        `manifest ${reference} in ${this.name} is ${size} bytes; ocicompat refuses manifests and indexes over ${this.maxManifestBytes} bytes`,
        { subject: reference },
      );
    }
  }

  /** verifyContent, with the store and the kind of content in the message. */
  private verify(
    bytes: Uint8Array,
    expected: { digest: string; size?: number },
    what: string,
  ): void {
    try {
      verifyContent(bytes, expected);
    } catch (err) {
      throw contextualize(err, `${what} from ${this.name}`);
    }
  }

  private async *inContext(
    source: AsyncIterable<Uint8Array>,
    what: string,
  ): AsyncGenerator<Uint8Array> {
    try {
      yield* source;
    } catch (err) {
      throw contextualize(err, `${what} from ${this.name}`);
    }
  }

  private remember(digest: string, mediaType: string, bytes: Uint8Array): void {
    this.manifests.delete(digest);
    this.manifests.set(digest, { mediaType, bytes });
    if (this.manifests.size > MANIFEST_CACHE_ENTRIES) {
      const oldest = this.manifests.keys().next().value;
      if (oldest !== undefined) this.manifests.delete(oldest);
    }
  }
}

/**
 * Abandons a response body. Destroying an undici body can emit an "error" (an abort) after the
 * caller has moved on; with no listener that would crash the process, so one is attached first.
 */
function discard(body: {
  on(event: "error", listener: () => void): unknown;
  destroy(): unknown;
}): void {
  body.on("error", () => undefined);
  body.destroy();
}

function contextualize(err: unknown, where: string): unknown {
  if (
    err instanceof OcicompatError &&
    !(err instanceof RegistryError) &&
    (err.code === "DIGEST_MISMATCH" || err.code === "SIZE_MISMATCH")
  ) {
    const options: { subject?: string; cause: unknown } = { cause: err };
    if (err.subject !== undefined) options.subject = err.subject;
    return new OcicompatError(err.code, `${err.message} (${where})`, options);
  }
  return err;
}

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Regroups a stream into pieces of exactly `size` bytes (the last may be shorter). */
async function* rechunk(
  source: AsyncIterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array> {
  let parts: Uint8Array[] = [];
  let length = 0;
  for await (const incoming of source) {
    let chunk = incoming;
    while (chunk.byteLength > 0) {
      const part = chunk.subarray(0, size - length);
      parts.push(part);
      length += part.byteLength;
      chunk = chunk.subarray(part.byteLength);
      if (length === size) {
        yield Buffer.concat(parts, length);
        parts = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield Buffer.concat(parts, length);
}
