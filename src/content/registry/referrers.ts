// Referrers come from the referrers API, or from the `sha256-<hex>` tag when the API answers
// 404; which of the two a repository has is remembered on the client.
import { MediaType } from "../../oci/media-types.js";
import type { Descriptor } from "../../oci/schema.js";
import { pullScope } from "../auth/scope.js";
import type { CallOptions, ContentDescriptor } from "../store.js";
import type { RegistryResponse } from "./client.js";
import { errorFromResponse, isRegistryError, parseErrorBody } from "./errors.js";
import { parseIndex, referrersTag } from "./documents.js";
import { bareMediaType, nextLink, readCapped, readText } from "./http.js";
import { getManifest, type FetchedManifest } from "./fetch.js";
import { MAX_PAGES, reading, send, type RepositoryContext } from "./repository.js";

export async function referrers(
  ctx: RepositoryContext,
  subject: ContentDescriptor,
  artifactType?: string,
  options?: CallOptions,
): Promise<Descriptor[]> {
  const signal = options?.signal;
  if (ctx.client.referrersApi.get(ctx.repository) !== false) {
    const listed = await referrersFromApi(ctx, subject, artifactType, signal);
    if (listed !== undefined) return listed;
  }
  return referrersFromTag(ctx, subject, artifactType, signal);
}

async function referrersFromApi(
  ctx: RepositoryContext,
  subject: ContentDescriptor,
  artifactType: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Descriptor[] | undefined> {
  const results: Descriptor[] = [];
  let url: string | undefined =
    `/v2/${ctx.repository}/referrers/${subject.digest}` +
    (artifactType === undefined ? "" : `?artifactType=${encodeURIComponent(artifactType)}`);
  for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
    const pageUrl: string = url;
    const first = page === 0;
    const answer = await reading(ctx, pageUrl, signal, async () => {
      const res: RegistryResponse = await send(ctx, {
        method: "GET",
        url: pageUrl,
        headers: { accept: MediaType.ImageIndex },
        scopes: [pullScope(ctx.repository)],
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
            context: { registry: ctx.registry, repository: ctx.repository, what: "referrers" },
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
        ctx.maxManifestBytes,
        subject.digest,
        "a referrers page",
      );
      return { res, bytes };
    });
    if (answer === undefined) {
      ctx.client.referrersApi.set(ctx.repository, false);
      return undefined;
    }
    const { res, bytes } = answer;
    const index = parseIndex(bytes, `referrers of ${subject.digest} in ${ctx.name}`);
    ctx.client.referrersApi.set(ctx.repository, true);
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

async function referrersFromTag(
  ctx: RepositoryContext,
  subject: ContentDescriptor,
  artifactType: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Descriptor[]> {
  let fetched: FetchedManifest;
  try {
    fetched = await getManifest(ctx, referrersTag(subject.digest), { signal });
  } catch (err) {
    if (isRegistryError(err) && err.status === 404) return [];
    throw err;
  }
  const index = parseIndex(
    fetched.bytes,
    `referrers tag ${referrersTag(subject.digest)} in ${ctx.name}`,
  );
  return index.manifests.filter(
    (entry) => artifactType === undefined || entry.artifactType === artifactType,
  );
}
