// Upload sessions of a repository: opening one (POST), the session a refused cross-repository
// mount leaves open, one opened ahead of its push, and closing those no push used (DELETE).
import { OcicompatError } from "../../oci/errors.js";
import { referenceProblem } from "../../oci/reference.js";
import { pullScope, pushScope } from "../auth/scope.js";
import type { CallOptions, ContentDescriptor } from "../store.js";
import type { RegistryResponse } from "./client.js";
import { isRegistryError, redactUrl } from "./errors.js";
import { numberHeader } from "./http.js";
import {
  debugNote,
  missedBlob,
  sawBlob,
  send,
  type RepositoryContext,
  type UploadSession,
} from "./repository.js";

export async function mount(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  fromRepository: string,
  options?: CallOptions,
): Promise<boolean> {
  const problem = referenceProblem(`${ctx.registry}/${fromRepository}`);
  if (problem !== undefined) {
    throw new OcicompatError("INVALID_REFERENCE", problem, { subject: fromRepository });
  }
  let res;
  try {
    res = await send(ctx, {
      method: "POST",
      url: `/v2/${ctx.repository}/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(fromRepository)}`,
      scopes: [pushScope(ctx.repository), pullScope(fromRepository)],
      accept: [201, 202],
      retry: true,
      context: { reference: desc.digest, what: "blob mount" },
      signal: options?.signal,
    });
  } catch (err) {
    // Refused for want of access (401, 403): most often no pull on `fromRepository` (a token
    // given with --registry-token for this repository alone, a remembered location these
    // credentials cannot read). The blob is then uploaded, as containers/image does; a missing
    // push right shows there, in the upload's own error.
    // The location is not forgotten: a refusal says what these credentials may do, not where
    // the blob is, and other credentials (the next copy's) may mount from there.
    if (isRegistryError(err) && err.code === "AUTH") return false;
    throw err;
  }
  await res.body.dump().catch(() => undefined);
  // An earlier session is not needed now: mounted, or the new one replaces it.
  await closeUploadSession(ctx, desc, options?.signal);
  if (res.status === 201) {
    sawBlob(ctx, desc.digest);
    sawBlob(ctx, desc.digest, fromRepository);
    return true;
  }
  // 202: not mounted (the blob is not there, or these credentials may not pull it from there),
  // and an upload session is open; the push that follows uses it.
  missedBlob(ctx, desc.digest, fromRepository);
  if (res.header("location") !== undefined) ctx.pendingUploads.set(desc.digest, uploadSession(res));
  return false;
}

/**
 * Opens the session the next push of `desc` uses, unless one is open already (a refused mount's).
 * A copy calls this while the source's answer is on its way, so the upload's POST does not wait
 * for it: one round trip less per blob. Closed by {@link closeUploadSession} if no push comes.
 */
export async function openUploadSession(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (ctx.pendingUploads.has(desc.digest)) return;
  const session = await startUpload(ctx, signal);
  // Two opens of one digest at once: keep one session, close the other.
  if (ctx.pendingUploads.has(desc.digest)) await cancelUpload(ctx, session.location, signal);
  else ctx.pendingUploads.set(desc.digest, session);
}

/**
 * Closes the upload session opened for `desc` before its push (by a refused mount, or by
 * {@link openUploadSession}), if no push used it: after a mount from another repository worked,
 * or when the push does not come.
 */
export async function closeUploadSession(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  signal: AbortSignal | undefined,
): Promise<void> {
  const session = ctx.pendingUploads.get(desc.digest);
  if (session === undefined) return;
  ctx.pendingUploads.delete(desc.digest);
  await cancelUpload(ctx, session.location, signal);
}

export async function startUpload(
  ctx: RepositoryContext,
  signal: AbortSignal | undefined,
): Promise<UploadSession> {
  const res = await send(ctx, {
    method: "POST",
    url: `/v2/${ctx.repository}/blobs/uploads/`,
    scopes: [pushScope(ctx.repository)],
    accept: [202],
    retry: true,
    context: { what: "upload" },
    signal,
  });
  await res.body.dump().catch(() => undefined);
  if (res.header("location") === undefined) {
    throw new OcicompatError("REGISTRY", `${ctx.name} opened an upload without a Location header`);
  }
  return uploadSession(res);
}

/** The session a 202 answer opened (its Location is checked by the caller). */
export function uploadSession(res: RegistryResponse): UploadSession {
  return {
    location: new URL(res.header("location") ?? "", res.url).href,
    minChunk: numberHeader(res.header("oci-chunk-min-length")),
  };
}

/**
 * Best effort: a session that cannot be cancelled expires on the registry. After the caller's
 * signal aborted, the DELETE still goes out, but nobody waits for it.
 */
export async function cancelUpload(
  ctx: RepositoryContext,
  location: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal?.aborted) {
    void cancelUpload(ctx, location, undefined);
    return;
  }
  try {
    const res = await send(ctx, {
      method: "DELETE",
      url: location,
      scopes: [pushScope(ctx.repository)],
      accept: "any",
      retry: false,
      context: { what: "upload" },
    });
    await res.body.dump().catch(() => undefined);
    if (res.status >= 300)
      debugNote(ctx, `closing upload session ${redactUrl(location)}: HTTP ${res.status}`);
  } catch (err) {
    // The session expires on the registry anyway.
    debugNote(ctx, `closing upload session ${redactUrl(location)}: ${String(err)}`);
  }
}
