// How one blob the destination lacks gets there: mounted from a repository that lends it, else
// streamed from the source, the push repeated on a temporary failure. The walker only decides.
import { cancellable, cancellableSleep } from "../cancel.js";
import { isRegistryError } from "../registry/errors.js";
import { carryVerification, release, type ContentDescriptor } from "../store.js";
import { CopyError } from "./error.js";
import type { Run } from "./run.js";
import { onSide, sideError } from "./side.js";

/**
 * Whether a repository lent the blob to the destination: first those the chooser names, then
 * those the destination remembers holding it (a blob location memory).
 */
export async function mountBlob(run: Run, desc: ContentDescriptor): Promise<boolean> {
  const mounter = run.mounter;
  if (mounter === undefined) return false;
  const chosen = await run.mountSources(desc);
  const remembered = mounter.mountCandidates?.(desc) ?? [];
  for (const from of new Set([...chosen, ...remembered])) {
    if (await onSide(run, "destination", desc, (o) => mounter.mount(desc, from, o))) return true;
  }
  return false;
}

/**
 * Whether to mount `desc` before asking the destination for it: its memory saw the blob in other
 * repositories of the registry and never in this one, so the blob is most likely absent here and
 * most likely mountable. A refused mount leaves an upload session open, and the blob's presence
 * is then asked before anything is sent through it.
 */
export function mountsFirst(run: Run, desc: ContentDescriptor): boolean {
  const mounter = run.mounter;
  if (mounter?.seenHere === undefined || mounter.mountCandidates === undefined) return false;
  return mounter.seenHere(desc) === false && mounter.mountCandidates(desc).length > 0;
}

/**
 * Closes the upload session left open for `desc` (a refused mount's, or one opened ahead of a
 * push that never came), if any. Without the copy's signal, so that the close is awaited even
 * after a cancellation; a failed close leaves the registry to expire the session.
 */
export async function closeUnusedSession(run: Run, desc: ContentDescriptor): Promise<void> {
  await run.mounter?.closeUploadSession?.(desc).catch(() => undefined);
}

/** Attempts at a blob whose push failed for a temporary reason, each read afresh from the source. */
const BLOB_ATTEMPTS = 3;

/**
 * A registry streams a large blob's bytes as the source yields them, so its own retries cannot
 * repeat the push (the stream is spent); a push that failed for a temporary reason (5xx, 429, a
 * reset) is therefore repeated here, with the blob read again from the source.
 */
export async function streamBlobAgainOnTemporaryFailure(
  run: Run,
  desc: ContentDescriptor,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const read = { bytes: 0 };
    try {
      await streamBlob(run, desc, read);
      return;
    } catch (err) {
      const temporary =
        err instanceof CopyError &&
        err.side === "destination" &&
        isRegistryError(err.cause) &&
        err.cause.temporary;
      if (!temporary || attempt >= BLOB_ATTEMPTS) throw err;
      // The bytes of the failed push are read again: progress takes them back.
      if (read.bytes > 0) run.options.onProgress?.(desc, -read.bytes);
      await cancellableSleep(250 * 2 ** (attempt - 1), run.options.signal);
    }
  }
}

/**
 * Source to destination, verified on both ends. A failure while reading is the source's, even
 * when it surfaces inside the destination's push, which is what reads the stream.
 */
async function streamBlob(
  run: Run,
  desc: ContentDescriptor,
  read: { bytes: number },
): Promise<void> {
  const body = await fetchWithSessionOpen(run, desc);
  // Each wrapper passes the bytes through unchanged, so the source's verification still covers
  // them and the destination need not hash them again.
  const stream = carryVerification(
    body,
    sourced(run, desc, cancellable(counted(run, desc, body, read), run.options.signal)),
  );
  try {
    await onSide(run, "destination", desc, (o) => run.dst.push(desc, stream, o));
  } catch (err) {
    // A push refused before it read the body leaves the source stream open.
    await release(body).catch(() => undefined);
    throw err;
  }
}

/**
 * The source's stream of `desc`, with the destination's upload session opened while the source
 * answers: the push then sends bytes at once instead of asking for a session first, one round
 * trip less per blob. A source that fails leaves the session to the caller's close.
 */
async function fetchWithSessionOpen(
  run: Run,
  desc: ContentDescriptor,
): Promise<AsyncIterable<Uint8Array>> {
  const open = run.mounter?.openUploadSession?.bind(run.mounter);
  const [fetched, opened] = await Promise.allSettled([
    onSide(run, "source", desc, (o) => run.src.fetch(desc, o)),
    open && onSide(run, "destination", desc, (o) => open(desc, o)),
  ]);
  if (fetched.status === "rejected") throw fetched.reason;
  if (opened.status === "rejected") {
    await release(fetched.value).catch(() => undefined);
    throw opened.reason;
  }
  return fetched.value;
}

async function* counted(
  run: Run,
  desc: ContentDescriptor,
  source: AsyncIterable<Uint8Array>,
  read: { bytes: number },
): AsyncIterable<Uint8Array> {
  const report = run.options.onProgress;
  for await (const chunk of source) {
    read.bytes += chunk.byteLength;
    report?.(desc, chunk.byteLength);
    yield chunk;
  }
}

/** `source` with its errors marked as the source's. */
async function* sourced(
  run: Run,
  desc: ContentDescriptor,
  source: AsyncIterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  try {
    yield* source;
  } catch (err) {
    throw sideError(run, "source", desc, err);
  }
}
