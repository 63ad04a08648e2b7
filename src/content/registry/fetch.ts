// Reading from a repository: resolving a tag or digest, manifests (verified, size-capped and
// remembered), blobs (verified, resumed with `Range` when a download breaks off), and existence.
import { computeDigest, isDigest } from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";
import { pullScope } from "../auth/scope.js";
import {
  isManifestType,
  releasing,
  verifying,
  type CallOptions,
  type ContentDescriptor,
} from "../store.js";
import type { RegistryResponse } from "./client.js";
import { RegistryError } from "./errors.js";
import { recallManifest, rememberManifest } from "./manifest-memo.js";
import { isNetworkFailure, networkReason } from "./network-errors.js";
import { isManifestLike, isVerifiable, manifestMediaType } from "./documents.js";
import { bareMediaType, numberHeader, rangeStart, readCapped } from "./http.js";
import { backoffDelay } from "./retry.js";
import { cancellable, cancellableSleep, throwIfCancelled } from "../cancel.js";
import {
  blobPath,
  checkManifestSize,
  checkReference,
  discard,
  inContext,
  MANIFEST_ACCEPT,
  manifestPath,
  missedBlob,
  reading,
  sawBlob,
  send,
  verify,
  type RepositoryContext,
} from "./repository.js";
import { ManifestMediaTypes } from "../../oci/media-types.js";

export interface FetchedManifest {
  descriptor: ContentDescriptor;
  bytes: Uint8Array;
}

export async function resolve(
  ctx: RepositoryContext,
  reference: string,
  options?: CallOptions,
): Promise<ContentDescriptor> {
  checkReference(ctx, reference);
  const head = await headManifest(ctx, reference, options?.signal);
  if (head !== undefined && head !== "absent") {
    if (isDigest(reference) && head.digest !== reference) {
      throw new OcicompatError(
        "DIGEST_MISMATCH",
        `${ctx.name} answered a request for ${reference} with ${head.digest}`,
        { subject: reference },
      );
    }
    return head;
  }
  // A HEAD that says too little, or a 404 whose reason (unknown repository or manifest) only
  // a GET's body tells.
  return (await getManifest(ctx, reference, options)).descriptor;
}

/**
 * What `tag` names, from one HEAD (which registries that meter pulls do not count): null when
 * the registry answers 404, undefined when the answer does not say enough (see headManifest); a
 * failure is thrown as it came.
 */
export async function taggedDigest(
  ctx: RepositoryContext,
  tag: string,
  options?: CallOptions,
): Promise<string | null | undefined> {
  checkReference(ctx, tag);
  // Not repeated on a temporary failure: the caller only saves work with the answer, and asks
  // again (with retries) when it has none; repeating here would double the wait for a registry
  // that is down.
  const head = await headManifest(ctx, tag, options?.signal, false);
  return head === "absent" ? null : head?.digest;
}

/**
 * One HEAD of a manifest: its descriptor when the answer is 200 with a digest, a manifest media
 * type and a length; "absent" for a 404; undefined when a 200 says too little. A length over the
 * limit is refused here.
 */
async function headManifest(
  ctx: RepositoryContext,
  reference: string,
  signal: AbortSignal | undefined,
  retry = true,
): Promise<ContentDescriptor | "absent" | undefined> {
  const res = await send(ctx, {
    method: "HEAD",
    retry,
    url: manifestPath(ctx, reference),
    headers: { accept: MANIFEST_ACCEPT },
    scopes: [pullScope(ctx.repository)],
    accept: [200, 404],
    context: { reference, what: "manifest" },
    signal,
  });
  await res.body.dump().catch(() => undefined);
  if (res.status === 404) return "absent";
  const length = numberHeader(res.header("content-length"));
  if (length !== undefined) checkManifestSize(ctx, length, reference);
  const digest = res.header("docker-content-digest");
  const mediaType = bareMediaType(res.header("content-type"));
  const known =
    digest !== undefined &&
    isDigest(digest) &&
    mediaType !== undefined &&
    isManifestLike(mediaType) &&
    length !== undefined;
  return known ? { mediaType, digest, size: length } : undefined;
}

/** A manifest or index by tag or digest, in one GET, verified. */
export async function getManifest(
  ctx: RepositoryContext,
  reference: string,
  options?: CallOptions,
): Promise<FetchedManifest> {
  checkReference(ctx, reference);
  const byDigest = isDigest(reference);
  const signal = options?.signal;
  throwIfCancelled(signal);
  if (byDigest) {
    const cached = recallManifest(ctx.manifests, reference);
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
  const { res, bytes } = await reading(ctx, manifestPath(ctx, reference), signal, async () => {
    const res = await send(ctx, {
      method: "GET",
      url: manifestPath(ctx, reference),
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [pullScope(ctx.repository)],
      context: { reference, what: "manifest" },
      signal,
    });
    const length = numberHeader(res.header("content-length"));
    if (length !== undefined) {
      try {
        checkManifestSize(ctx, length, reference);
      } catch (err) {
        discard(res.body);
        throw err;
      }
    }
    const bytes = await readCapped(
      res.body,
      ctx.maxManifestBytes,
      reference,
      `manifest ${reference} in ${ctx.name}`,
    );
    return { res, bytes };
  });
  const announced = res.header("docker-content-digest");
  let digest: string;
  if (byDigest) {
    verify(ctx, bytes, { digest: reference }, "manifest");
    digest = reference;
  } else if (announced !== undefined && isDigest(announced) && isVerifiable(announced)) {
    verify(ctx, bytes, { digest: announced }, "manifest");
    digest = announced;
  } else {
    digest = computeDigest(bytes);
  }
  const mediaType = manifestMediaType(res.header("content-type"), bytes, `${ctx.name}@${digest}`);
  rememberManifest(ctx.manifests, digest, { mediaType, bytes });
  noteManifestBlobs(ctx, mediaType, bytes);
  return { descriptor: { mediaType, digest, size: bytes.byteLength }, bytes };
}

export async function fetchContent(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  options?: CallOptions,
): Promise<AsyncIterable<Uint8Array>> {
  if (isManifestType(desc.mediaType)) {
    checkManifestSize(ctx, desc.size, desc.digest);
    const { bytes } = await getManifest(ctx, desc.digest, options);
    verify(ctx, bytes, desc, "manifest");
    return cancellable(oneChunk(bytes), options?.signal);
  }
  return fetchBlob(ctx, desc, options?.signal);
}

export async function exists(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  options?: CallOptions,
): Promise<boolean> {
  const manifest = isManifestType(desc.mediaType);
  const res = await send(ctx, {
    method: "HEAD",
    url: manifest ? manifestPath(ctx, desc.digest) : blobPath(ctx, desc.digest),
    headers: manifest ? { accept: MANIFEST_ACCEPT } : {},
    scopes: [pullScope(ctx.repository)],
    accept: [200, 404],
    context: { reference: desc.digest, what: manifest ? "manifest" : "blob" },
    signal: options?.signal,
  });
  await res.body.dump().catch(() => undefined);
  if (!manifest) {
    if (res.status === 200) sawBlob(ctx, desc.digest);
    else missedBlob(ctx, desc.digest);
  }
  return res.status === 200;
}

/**
 * A registry keeps an image manifest only with its config and layers, so reading one tells where
 * they are. Only with a memory to tell it to; a document that is no manifest tells nothing.
 */
function noteManifestBlobs(ctx: RepositoryContext, mediaType: string, bytes: Uint8Array): void {
  if (ctx.blobLocations === undefined || !ManifestMediaTypes.has(mediaType)) return;
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return;
  }
  if (typeof doc !== "object" || doc === null) return;
  const { config, layers } = doc as { config?: unknown; layers?: unknown };
  for (const d of [config, ...(Array.isArray(layers) ? layers : [])]) {
    const digest = (d as { digest?: unknown } | null)?.digest;
    if (typeof digest === "string" && isDigest(digest)) sawBlob(ctx, digest);
  }
}

async function fetchBlob(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  signal: AbortSignal | undefined,
): Promise<AsyncIterable<Uint8Array>> {
  const path = blobPath(ctx, desc.digest);
  const first = await send(ctx, {
    method: "GET",
    url: path,
    scopes: [pullScope(ctx.repository)],
    context: { reference: desc.digest, what: "blob" },
    signal,
  });
  const length = numberHeader(first.header("content-length"));
  if (first.status === 200 && length !== undefined && length !== desc.size) {
    discard(first.body);
    throw new OcicompatError(
      "SIZE_MISMATCH",
      `${ctx.name} is sending ${length} bytes for blob ${desc.digest}; the descriptor says ${desc.size}`,
      { subject: desc.digest },
    );
  }
  sawBlob(ctx, desc.digest);
  const ranges = first.status === 206 || /\bbytes\b/i.test(first.header("accept-ranges") ?? "");
  // Until it is read, the response holds a connection: let a caller that gives up release it.
  return releasing(
    inContext(ctx, verifying(resumable(ctx, first, desc, path, ranges, signal), desc), "blob"),
    () => discard(first.body),
  );
}

async function* resumable(
  ctx: RepositoryContext,
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
  const policy = ctx.client.retryPolicy;
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
          message: `the download of blob ${desc.digest} from ${ctx.name} broke off after ${received} of ${desc.size} bytes${ranges ? ` and ${resumes} resumptions` : " (the server does not offer ranges to resume)"}: ${reason.text}`,
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
      res = await send(ctx, {
        method: "GET",
        url: path,
        headers: { range: `bytes=${received}-` },
        scopes: [pullScope(ctx.repository)],
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
            `${ctx.name} resumed blob ${desc.digest} at byte ${start ?? "?"} instead of ${received}`,
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

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
