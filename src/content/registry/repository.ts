// What the parts of a RegistryStore share: one repository of one registry, its settings and
// the little state a store keeps (recently seen manifests, upload sessions a refused mount left
// open), with the request, path and check helpers every part uses.
import { isDigest, verifyContent } from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";
import { MediaType } from "../../oci/media-types.js";
import type { RegistryClient, RegistryRequest, RegistryResponse } from "./client.js";
import { RegistryError } from "./errors.js";
import { errorFromNetwork, isNetworkFailure, isTemporaryNetworkFailure } from "./network-errors.js";
import { backoffDelay, mayRetry } from "./retry.js";
import { cancellableSleep } from "../cancel.js";
import { carryVerification } from "../store.js";
import {
  forgetBlobLocation,
  recordBlobLocation,
  type BlobLocations,
} from "../cache/blob-locations.js";
import type { ManifestMemo } from "./manifest-memo.js";

/** The Accept header for manifests: OCI and Docker, image and index. */
export const MANIFEST_ACCEPT = [
  MediaType.ImageIndex,
  MediaType.ImageManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
].join(", ");

const TAG = /^\w[\w.-]{0,127}$/;
export const MAX_PAGES = 10_000;

/** An open upload session: where to send the bytes, and the smallest chunk the registry takes. */
export interface UploadSession {
  location: string;
  minChunk: number | undefined;
}

export interface RepositoryContext {
  /** `host[:port]/team/app` */
  readonly name: string;
  readonly registry: string;
  readonly repository: string;
  readonly client: RegistryClient;
  /** Set: uploads above it go in PATCH chunks of it; unset: streamed (upload.ts). */
  readonly chunkSize: number | undefined;
  readonly tagPageSize: number | undefined;
  readonly maxManifestBytes: number;
  /** Recently seen manifests by digest (manifest-memo.ts). */
  readonly manifests: ManifestMemo;
  /**
   * Upload sessions opened before their push (a refused mount's, or one a copy opened while the
   * source's answer was on its way), by digest; the next push of the blob uses one.
   */
  readonly pendingUploads: Map<string, UploadSession>;
  /** Where blobs were seen, when the store was given a memory (cache/blob-locations.ts). */
  readonly blobLocations: BlobLocations | undefined;
}

/** `digest` is in `repository` (this one by default): remembered, when there is a memory. */
export function sawBlob(ctx: RepositoryContext, digest: string, repository = ctx.repository): void {
  if (ctx.blobLocations !== undefined) {
    recordBlobLocation(ctx.blobLocations, digest, ctx.registry, repository);
  }
}

/** `digest` is not in `repository` (this one by default). */
export function missedBlob(
  ctx: RepositoryContext,
  digest: string,
  repository = ctx.repository,
): void {
  if (ctx.blobLocations !== undefined) {
    forgetBlobLocation(ctx.blobLocations, digest, ctx.registry, repository);
  }
}

export function send(ctx: RepositoryContext, req: RegistryRequest): Promise<RegistryResponse> {
  return ctx.client.request({
    ...req,
    context: { repository: ctx.repository, ...req.context },
  });
}

/**
 * Runs a GET and the read of its (small) body, again when the connection breaks off inside the
 * body; the client already retries failures before an answer.
 */
export async function reading<T>(
  ctx: RepositoryContext,
  url: string,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const policy = ctx.client.retryPolicy;
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
        ctx.client.resolve(url).href,
        {
          registry: ctx.registry,
          repository: ctx.repository,
        },
        attempt,
      );
    }
  }
}

export function manifestPath(ctx: RepositoryContext, reference: string): string {
  return `/v2/${ctx.repository}/manifests/${reference}`;
}

export function blobPath(ctx: RepositoryContext, digest: string): string {
  if (!isDigest(digest)) {
    throw new OcicompatError("INVALID_DIGEST", `"${digest}" is not a digest`, {
      subject: digest,
    });
  }
  return `/v2/${ctx.repository}/blobs/${digest}`;
}

export function checkReference(ctx: RepositoryContext, reference: string): void {
  if (isDigest(reference)) return;
  if (!TAG.test(reference)) {
    throw new OcicompatError("INVALID_REFERENCE", `"${reference}" is neither a tag nor a digest`, {
      subject: `${ctx.name}:${reference}`,
    });
  }
}

export function checkTag(ctx: RepositoryContext, tag: string): void {
  if (!TAG.test(tag)) {
    throw new OcicompatError(
      "INVALID_REFERENCE",
      `tag "${tag}" is not valid: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`,
      { subject: `${ctx.name}:${tag}` },
    );
  }
}

export function checkManifestSize(ctx: RepositoryContext, size: number, reference: string): void {
  if (size > ctx.maxManifestBytes) {
    throw new OcicompatError(
      "TOO_LARGE",
      `manifest ${reference} in ${ctx.name} is ${size} bytes; ocicompat refuses manifests and indexes over ${ctx.maxManifestBytes} bytes`,
      { subject: reference },
    );
  }
}

/** verifyContent, with the store and the kind of content in the message. */
export function verify(
  ctx: RepositoryContext,
  bytes: Uint8Array,
  expected: { digest: string; size?: number },
  what: string,
): void {
  try {
    verifyContent(bytes, expected);
  } catch (err) {
    throw contextualize(err, `${what} from ${ctx.name}`);
  }
}

/** `source`, with digest and size errors naming `what` and the repository. */
export function inContext(
  ctx: RepositoryContext,
  source: AsyncIterable<Uint8Array>,
  what: string,
): AsyncIterable<Uint8Array> {
  return carryVerification(source, contextualized(ctx, source, what));
}

async function* contextualized(
  ctx: RepositoryContext,
  source: AsyncIterable<Uint8Array>,
  what: string,
): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (err) {
    throw contextualize(err, `${what} from ${ctx.name}`);
  }
}

/**
 * Something a user debugging a run may want to know, but no warning: said on standard error only
 * when OCICOMPAT_DEBUG is set.
 */
export function debugNote(ctx: RepositoryContext, message: string): void {
  if (process.env["OCICOMPAT_DEBUG"])
    process.stderr.write(`ocicompat: debug: ${ctx.name}: ${message}\n`);
}

/**
 * Abandons a response body. Destroying an undici body can emit an "error" (an abort) after the
 * caller has moved on; with no listener that would crash the process, so one is attached first.
 */
export function discard(body: {
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
