// Writing manifests (under their digest or a tag), tagging, deleting and listing tags.
import { isDigest, parseDigest } from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";
import { pullScope, pushScope } from "../auth/scope.js";
import { isManifestType, type CallOptions, type ContentDescriptor } from "../store.js";
import { parseTagList } from "./documents.js";
import { nextLink, readCapped } from "./http.js";
import { forgetManifest, rememberManifest } from "./manifest-memo.js";
import { getManifest } from "./fetch.js";
import type { RegistryResponse } from "./client-types.js";
import { refusedForHeldBlobs } from "./link-race.js";
import {
  blobPath,
  checkManifestSize,
  debugNote,
  checkTag,
  manifestPath,
  MAX_PAGES,
  reading,
  send,
  verify,
  type RepositoryContext,
} from "./repository.js";

export interface ManifestPushResult {
  /** The digest the registry reports (Docker-Content-Digest), else the descriptor's. */
  digest: string;
  /** The registry answered with `OCI-Subject`: it indexed the manifest's subject (referrers API). */
  subjectAccepted: boolean;
  /** The `OCI-Subject` value, when there was one. */
  subject?: string;
}

/**
 * Puts a manifest or index under its digest, or under `tag`. The bytes must match `desc`
 * (checked before sending); Content-Type is the descriptor's media type.
 */
export async function pushManifest(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  bytes: Uint8Array,
  tag?: string,
  options?: CallOptions,
): Promise<ManifestPushResult> {
  checkManifestSize(ctx, bytes.byteLength, desc.digest);
  verify(ctx, bytes, desc, "manifest");
  if (tag !== undefined) checkTag(ctx, tag);
  const reference = tag ?? desc.digest;
  const put = () =>
    send(ctx, {
      method: "PUT",
      url: manifestPath(ctx, reference),
      headers: { "content-type": desc.mediaType },
      body: bytes,
      scopes: [pushScope(ctx.repository)],
      context: { reference, what: "manifest" },
      signal: options?.signal,
    });
  let res: RegistryResponse;
  try {
    res = await put();
  } catch (err) {
    // Refused for blobs that are there (link-race.ts): sent once more, after they were found.
    if (!(await refusedForHeldBlobs(ctx, err, desc, bytes, options))) throw err;
    debugNote(ctx, `${desc.digest} was refused for blobs the repository holds; sent again`);
    res = await put();
  }
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
      `${ctx.name} stored the manifest as ${announced}, not ${desc.digest}`,
      { subject: desc.digest },
    );
  }
  rememberManifest(ctx.manifests, desc.digest, { mediaType: desc.mediaType, bytes });
  const subject = res.header("oci-subject");
  if (subject !== undefined) ctx.client.referrersApi.set(ctx.repository, true);
  const result: ManifestPushResult = {
    digest: announced ?? desc.digest,
    subjectAccepted: subject !== undefined,
  };
  if (subject !== undefined) result.subject = subject;
  return result;
}

export async function tag(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  tag: string,
  options?: CallOptions,
): Promise<void> {
  checkTag(ctx, tag);
  if (!isManifestType(desc.mediaType)) {
    throw new OcicompatError(
      "USAGE",
      `only manifests and indexes can be tagged, not ${desc.mediaType}`,
      {
        subject: desc.digest,
      },
    );
  }
  checkManifestSize(ctx, desc.size, desc.digest);
  const { bytes } = await getManifest(ctx, desc.digest, options);
  await pushManifest(ctx, desc, bytes, tag, options);
}

/** Deletes a manifest (by digest) or a blob. Registries may refuse (405 UNSUPPORTED). */
export async function deleteContent(
  ctx: RepositoryContext,
  desc: ContentDescriptor,
  options?: CallOptions,
): Promise<void> {
  const manifest = isManifestType(desc.mediaType);
  const res = await send(ctx, {
    method: "DELETE",
    url: manifest ? manifestPath(ctx, desc.digest) : blobPath(ctx, desc.digest),
    scopes: [`repository:${ctx.repository}:delete`],
    context: { reference: desc.digest, what: manifest ? "manifest" : "blob" },
    signal: options?.signal,
  });
  await res.body.dump().catch(() => undefined);
  forgetManifest(ctx.manifests, desc.digest);
}

export async function listTags(ctx: RepositoryContext, options?: CallOptions): Promise<string[]> {
  const signal = options?.signal;
  const tags: string[] = [];
  const seen = new Set<string>();
  const n = ctx.tagPageSize;
  let url: string | undefined =
    `/v2/${ctx.repository}/tags/list${n === undefined ? "" : `?n=${n}`}`;
  for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
    const pageUrl: string = url;
    const { res, bytes } = await reading(ctx, pageUrl, signal, async () => {
      const res = await send(ctx, {
        method: "GET",
        url: pageUrl,
        scopes: [pullScope(ctx.repository)],
        context: { what: "tag list" },
        signal,
      });
      const bytes = await readCapped(res.body, 16 * 1024 * 1024, ctx.name, "a tag list page");
      return { res, bytes };
    });
    const pageTags = parseTagList(bytes, ctx.name);
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
      url = `/v2/${ctx.repository}/tags/list?n=${n}&last=${encodeURIComponent(last)}`;
    } else {
      url = undefined;
    }
    if (fresh === 0 && pageTags.length > 0) break;
  }
  return tags;
}
