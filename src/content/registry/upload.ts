// Putting blobs into a repository: monolithic uploads (POST, PUT ?digest= with the bytes) of small
// blobs, streamed uploads (POST, one PUT ?digest= whose body is read from the source as it is sent)
// of larger ones, chunked uploads (POST, PATCH with Content-Range per chunk, PUT ?digest=) when the
// store has a chunk size (the sessions they use, and cross-repository mounts, are
// upload-session.ts').
//
// Why streamed: a chunked upload holds each chunk in memory and sends the next only after the
// registry has answered the last, so the reader (file, hash) and the registry (write, hash) take
// turns instead of working at once; that cost a third of the wall time of a layout -> registry
// copy and 16 MiB per upload in flight. Why in the PUT rather than a PATCH before it: one round
// trip less per blob, the way containerd pushes (docs/design.md, "Blob uploads").
import { isDigest } from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";
import { pushScope } from "../auth/scope.js";
import { chunksOf, readAll, verifying, type Body, type ContentDescriptor } from "../store.js";
import { isRegistryError } from "./errors.js";
import { withQueryParam } from "./http.js";
import { backoffDelay, mayRetry } from "./retry.js";
import { cancellable, cancellableSleep } from "../cancel.js";
import type { RegistryResponse } from "./client.js";
import { sawBlob, send, verify, type RepositoryContext, type UploadSession } from "./repository.js";
import { cancelUpload, startUpload } from "./upload-session.js";

/**
 * Without a chunk size, blobs up to this size are read into memory and go up in one request,
 * which can be repeated when it fails; larger ones are streamed. 1 MiB.
 */
export const DEFAULT_MONOLITHIC_SIZE = 1024 * 1024;

export async function pushBlob(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  body: Body,
  signal: AbortSignal | undefined,
): Promise<void> {
  const monolithicSize = ctx.chunkSize ?? DEFAULT_MONOLITHIC_SIZE;
  let replayable: Uint8Array | undefined;
  if (body instanceof Uint8Array) {
    verify(ctx, body, desc, "blob");
    replayable = body;
  } else if (desc.size <= monolithicSize) {
    replayable = await readAll(
      cancellable(verifying(chunksOf(body), desc), signal),
      desc.size,
      desc.digest,
    );
  }
  // With a chunk size, what is larger goes up in PATCH chunks of it; all else in one PUT.
  const chunkSize = ctx.chunkSize;
  const chunked = chunkSize !== undefined && (replayable?.byteLength ?? desc.size) > chunkSize;
  const upload = (session: UploadSession | undefined) =>
    chunked
      ? chunkedUpload(ctx, desc, replayable ?? body, chunkSize, session, signal)
      : onePutUpload(ctx, desc, replayable ?? streamedBody(body, desc, signal), session, signal);

  const pending = ctx.pendingUploads.get(desc.digest);
  ctx.pendingUploads.delete(desc.digest);
  if (pending !== undefined) {
    try {
      await upload(pending);
      sawBlob(ctx, desc.digest);
      return;
    } catch (err) {
      // A session opened before the push may have expired; start afresh if the body allows.
      if (replayable === undefined || !isRegistryError(err) || err.status === undefined) throw err;
    }
  }
  const policy = ctx.client.retryPolicy;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await upload(undefined);
      sawBlob(ctx, desc.digest);
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

/**
 * POST (or the session a refused mount left), then one `PUT ?digest=` with the whole blob: bytes
 * in memory, or a stream (streamedBody) of exactly the descriptor's size.
 */
async function onePutUpload(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  body: Uint8Array | AsyncIterable<Uint8Array>,
  session: UploadSession | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { location } = session ?? (await startUpload(ctx, signal));
  try {
    await finishUpload(ctx, location, desc, body, signal);
  } catch (err) {
    await cancelUpload(ctx, location, signal);
    throw err;
  }
}

/**
 * A blob read from `body` while the `PUT` sends it, as containerd pushes, with undici waiting for
 * the socket (so at most a socket buffer of the blob is in memory). Its size and digest are
 * checked as it is read (`verifying`), and the last piece is held back until the whole stream has
 * passed that check, so a registry never receives every byte of content that fails it: the
 * request breaks off short and nothing is stored, as when a failed `PATCH` was never followed by
 * its closing `PUT`. A stream is not repeated when the `PUT` fails.
 */
function streamedBody(
  body: Body,
  desc: ContentDescriptor,
  signal: AbortSignal | undefined,
): AsyncIterable<Uint8Array> {
  return lastPieceHeld(cancellable(verifying(chunksOf(body), desc), signal));
}

/**
 * `source`, each piece given only once the next has arrived or the source ended without error.
 * Empty pieces are dropped: undici writes nothing for one, so an empty piece held last would have
 * let the real last piece through.
 */
async function* lastPieceHeld(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let held: Uint8Array | undefined;
  for await (const piece of source) {
    if (piece.byteLength === 0) continue;
    if (held !== undefined) yield held;
    held = piece;
  }
  if (held !== undefined) yield held;
}

async function chunkedUpload(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  body: Body,
  size: number,
  session: UploadSession | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  const started = session ?? (await startUpload(ctx, signal));
  let location = started.location;
  const chunkSize = Math.max(size, started.minChunk ?? 0);
  let offset = 0;
  try {
    const source = cancellable(
      body instanceof Uint8Array ? chunksOf(body) : verifying(chunksOf(body), desc),
      signal,
    );
    for await (const chunk of rechunk(source, chunkSize)) {
      location = await patchUpload(
        ctx,
        location,
        desc,
        { "content-range": `${offset}-${offset + chunk.byteLength - 1}` },
        chunk,
        signal,
      );
      offset += chunk.byteLength;
    }
    await finishUpload(ctx, location, desc, new Uint8Array(0), signal);
  } catch (err) {
    await cancelUpload(ctx, location, signal);
    throw err;
  }
}

/** One PATCH of an upload session (never repeated: its body may be a stream); the next Location. */
async function patchUpload(
  ctx: RepositoryContext,
  location: string,
  desc: ContentDescriptor,
  headers: Record<string, string>,
  body: Uint8Array | AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): Promise<string> {
  const res = await send(ctx, {
    method: "PATCH",
    url: location,
    headers: { "content-type": "application/octet-stream", ...headers },
    body,
    scopes: [pushScope(ctx.repository)],
    accept: [202],
    retry: false,
    context: { reference: desc.digest, what: "blob upload" },
    signal,
  });
  await res.body.dump().catch(() => undefined);
  const next = res.header("location");
  return next === undefined ? location : new URL(next, res.url).href;
}

/**
 * The closing PUT of an upload session, with the last (or only) bytes: in memory, or a stream of
 * exactly the descriptor's size.
 */
async function finishUpload(
  ctx: RepositoryContext,
  location: string,
  desc: ContentDescriptor,
  body: Uint8Array | AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const res = await send(ctx, {
    method: "PUT",
    url: withQueryParam(location, "digest", desc.digest),
    headers: {
      "content-type": "application/octet-stream",
      ...(body instanceof Uint8Array ? {} : { "content-length": String(desc.size) }),
    },
    body,
    scopes: [pushScope(ctx.repository)],
    accept: [201, 204],
    retry: false,
    context: { reference: desc.digest, what: "blob upload" },
    signal,
  });
  await res.body.dump().catch(() => undefined);
  checkUploaded(ctx, res, desc);
}

function checkUploaded(
  ctx: RepositoryContext,
  res: RegistryResponse,
  desc: ContentDescriptor,
): void {
  const announced = res.header("docker-content-digest");
  if (announced !== undefined && isDigest(announced) && announced !== desc.digest) {
    throw new OcicompatError(
      "DIGEST_MISMATCH",
      `${ctx.name} stored the blob as ${announced}, not ${desc.digest}`,
      { subject: desc.digest },
    );
  }
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
