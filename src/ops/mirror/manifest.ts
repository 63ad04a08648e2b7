// Manifest requests. By digest: the content, unchanged (an index requested by its digest is that
// index: a digest-pinned reference cannot be redirected, since the bytes must match the digest).
// By tag: the decision of decide.ts, the client's Accept, and the --on-incompatible policy.
import type { ContentCache } from "../../content/cache.js";
import type { ContentDescriptor } from "../../content/store.js";
import { isObject } from "../../oci/json-value.js";
import { IndexMediaTypes, ManifestMediaTypes } from "../../oci/media-types.js";
import { parseIJson } from "../../oci/ijson.js";
import {
  MAX_MANIFEST_BYTES,
  type Content,
  type Decider,
  type NodeState,
  type PassthroughReason,
} from "./decide.js";
import { timed, type MirrorMetrics } from "./metrics.js";

import type { DistributionErrorAnswer } from "./route.js";
import type { UpstreamRepository } from "./upstreams.js";

export type IncompatiblePolicy = "passthrough" | "fail";

/** One line of the decision log: what a tag was answered with, and why. */
export interface DecisionRecord {
  upstream: string;
  repository: string;
  tag: string;
  indexDigest: string;
  /** The entry the selection chose, if it chose one (even when the index was served). */
  chosenDigest: string | null;
  /** The digest of what the client got (absent when refused). */
  servedDigest: string | null;
  decision: "chosen" | "passthrough" | "refused";
  reason: string;
  passthrough?: PassthroughReason;
  node: string;
  /** The verdict came from memory: no selection ran for this request. */
  remembered: boolean;
}

export type TagAnswer =
  | { kind: "content"; content: Content; record: DecisionRecord }
  | { kind: "refused"; error: DistributionErrorAnswer; record: DecisionRecord };

export interface TagContext {
  upstream: string;
  repository: UpstreamRepository;
  tag: string;
  /** Media types the client admits; undefined: any. */
  accepts: ReadonlySet<string> | undefined;
  node: NodeState;
  decider: Decider;
  policy: IncompatiblePolicy;
  metrics: MirrorMetrics;
  signal: AbortSignal;
}

export async function answerTag(ctx: TagContext): Promise<TagAnswer> {
  const { upstream, repository, tag, signal } = ctx;
  // A GET, not a HEAD: distribution answers a tag's GET faster than its HEAD (it checks more for
  // a HEAD), and the bytes come with it, verified against the announced digest and capped.
  const fetched = await timed(ctx.metrics, "resolve", () =>
    repository.registry.getManifest(tag, { signal }),
  );
  const root = fetched.descriptor;
  const base = {
    upstream,
    repository: repository.registry.repository,
    tag,
    indexDigest: root.digest,
    node: ctx.node.profile.name,
  };
  if (!IndexMediaTypes.has(root.mediaType)) {
    return passthrough(fetched, "not-an-index", "the tag names a single manifest", {
      ...base,
      chosenDigest: null,
      remembered: false,
    });
  }
  const { verdict, remembered } = await ctx.decider.verdictFor(
    upstream,
    repository,
    fetched,
    ctx.node,
    signal,
  );
  const common = { ...base, remembered };
  switch (verdict.kind) {
    case "plain":
      return passthrough(verdict.index, "plain-index", verdict.reason, {
        ...common,
        chosenDigest: null,
      });
    case "failed":
      if (ctx.policy === "fail") return refused(verdict.reason, { ...common, chosenDigest: null });
      return passthrough(verdict.index, "selection-failed", verdict.reason, {
        ...common,
        chosenDigest: null,
      });
    case "incompatible":
      if (ctx.policy === "fail") return refused(verdict.reason, { ...common, chosenDigest: null });
      return passthrough(verdict.index, "no-entry-fits", verdict.reason, {
        ...common,
        chosenDigest: null,
      });
    case "chosen": {
      const chosenDigest = verdict.chosen.descriptor.digest;
      if (ctx.accepts !== undefined && !ctx.accepts.has(verdict.chosen.descriptor.mediaType)) {
        return passthrough(
          verdict.index,
          "accept",
          `the client does not accept ${verdict.chosen.descriptor.mediaType}, the chosen entry's type (${verdict.reason})`,
          { ...common, chosenDigest },
        );
      }
      return {
        kind: "content",
        content: verdict.chosen,
        record: {
          ...common,
          chosenDigest,
          servedDigest: chosenDigest,
          decision: "chosen",
          reason: verdict.reason,
        },
      };
    }
  }
}

function passthrough(
  content: Content,
  reason: PassthroughReason,
  text: string,
  record: Omit<DecisionRecord, "decision" | "reason" | "servedDigest" | "passthrough">,
): TagAnswer {
  return {
    kind: "content",
    content,
    record: {
      ...record,
      servedDigest: content.descriptor.digest,
      decision: "passthrough",
      reason: text,
      passthrough: reason,
    },
  };
}

function refused(
  reason: string,
  record: Omit<DecisionRecord, "decision" | "reason" | "servedDigest">,
): TagAnswer {
  return {
    kind: "refused",
    error: {
      status: 404,
      code: "MANIFEST_UNKNOWN",
      message: `${record.upstream}/${record.repository}:${record.tag}: ${reason} (--on-incompatible fail)`,
    },
    record: { ...record, servedDigest: null, decision: "refused", reason },
  };
}

/** The media type a cached manifest's own bytes declare, if they declare a manifest type. */
function declaredMediaType(bytes: Uint8Array): string | undefined {
  try {
    const doc = parseIJson(bytes, { maxBytes: MAX_MANIFEST_BYTES }).value;
    const type = isObject(doc) ? doc["mediaType"] : undefined;
    return typeof type === "string" && (ManifestMediaTypes.has(type) || IndexMediaTypes.has(type))
      ? type
      : undefined;
  } catch {
    return undefined;
  }
}

/** A manifest or index by digest: from the cache when it is there, else from upstream. */
export async function answerDigest(
  repository: UpstreamRepository,
  digest: string,
  cache: ContentCache | undefined,
  metrics: MirrorMetrics,
  signal: AbortSignal,
): Promise<{ content: Content; fromCache: boolean }> {
  const cached = cache === undefined ? undefined : await cache.get(digest);
  const cachedType = cached === undefined ? undefined : declaredMediaType(cached);
  if (cached !== undefined && cachedType !== undefined) {
    const descriptor: ContentDescriptor = {
      mediaType: cachedType,
      digest,
      size: cached.byteLength,
    };
    return { content: { descriptor, bytes: cached }, fromCache: true };
  }
  const fetched = await timed(metrics, "manifest", () =>
    repository.registry.getManifest(digest, { signal }),
  );
  if (cache !== undefined) await cache.put(digest, fetched.bytes).catch(() => undefined);
  return { content: fetched, fromCache: false };
}
