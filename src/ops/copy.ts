// `copy SRC DST`: the whole graph of a tag or digest, compat content included, from one store to
// another. Children first, existing content skipped, blobs mounted across repositories of one
// registry, the tag written last. With platforms, the index is a new document listing only the
// kept entries (their compat content comes along); otherwise index bytes are copied unchanged.
// A failed copy leaves no empty destination it made itself (content/abandon.ts): a new layout or
// archive that received nothing is removed or not written; one holding content stays, for a re-run.
import { canAbandon } from "../content/abandon.js";
import { cancellableSleep } from "../content/cancel.js";
import { copyGraph } from "../content/copy.js";
import { isCopyError, type CopySide } from "../content/copy/error.js";
import type { CopyOptions, CopyStats } from "../content/copy/options.js";
import {
  canPeekTag,
  canTagComplete,
  fetchBytes,
  hasReferrers,
  type ContentDescriptor,
  type ReferrersCapable,
  type Store,
} from "../content/store.js";
import { computeDigest } from "../oci/digest.js";
import { mayPass, retryDelayMs } from "./copy-retry.js";
import { OcicompatError } from "../oci/errors.js";
import { parseIndexDocument } from "../compat/index-edit.js";
import { IndexMediaTypes } from "../oci/media-types.js";
import {
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  type PlatformSpec,
} from "../oci/platform.js";

export interface CopyRequest {
  src: Store;
  /** Tag or digest in `src`. */
  reference: string;
  dst: Store;
  /** Tag to write at the destination; none copies by digest only. */
  tag?: string;
  /** `os/arch[/variant]`: keep only the index entries of these platforms. */
  platforms?: readonly string[];
  /**
   * Refuse to write anything under a digest the source does not have (skopeo's
   * `--preserve-digests`): only `platforms` keeping some entries makes one, a new index.
   */
  preserveDigests?: boolean;
  concurrency?: number;
  referrers?: boolean;
  /** The source repository, when source and destination are repositories of one registry. */
  mountFrom?: string;
  /** Cancels the copy (every store call gets it); nothing is tagged then. */
  signal?: AbortSignal;
  progress?: Pick<
    CopyOptions,
    "onDiscovered" | "onProgress" | "onCopied" | "onMounted" | "onSkipped"
  >;
  /**
   * Copy again after a failure that may pass (copy-retry.ts: a registry's 429 or 5xx, a reset, a
   * refused connection), up to this many times, as skopeo's `--retry-times`. Default 0. What the
   * destination already holds is skipped on the next attempt.
   */
  retries?: number;
  /** The wait before each retry; default 1 s, then 2 s, 4 s, … as skopeo's. */
  retryDelayMs?: number;
  /** Told before each retry's wait. The progress reported by the failed attempt is void. */
  onRetry?: (retry: CopyRetry) => void;
}

export interface CopyRetry {
  /** 1 for the first retry. */
  attempt: number;
  retries: number;
  delayMs: number;
  /** Why the previous attempt failed. */
  error: unknown;
}

export interface CopyResult {
  source: string;
  destination: string;
  /** What the source reference names. */
  sourceRoot: ContentDescriptor;
  /** What was written at the destination: the source root, or the filtered index. */
  root: ContentDescriptor;
  tag?: string;
  /** True when the index was rewritten to keep only some platforms (a new digest). */
  rewritten: boolean;
  /** With platforms: the entries kept, as `os/arch[/variant]`. */
  kept?: string[];
  stats: CopyStats;
}

type Json = Record<string, unknown>;

/** Whether an index entry's platform is one of `wanted`; a spec without variant takes any. */
function platformWanted(platform: unknown, wanted: readonly PlatformSpec[]): boolean {
  if (platform === null || typeof platform !== "object") return false;
  const p = platform as Json;
  if (typeof p["os"] !== "string" || typeof p["architecture"] !== "string") return false;
  const entry = normalizePlatform({
    os: p["os"],
    architecture: p["architecture"],
    ...(typeof p["variant"] === "string" ? { variant: p["variant"] } : {}),
  });
  return wanted.some(
    (w) =>
      w.os === entry.os &&
      w.architecture === entry.architecture &&
      (w.variant === undefined || w.variant === entry.variant),
  );
}

/**
 * A source that serves one document from bytes at hand: a new one (the filtered index), or the
 * root as read ahead. Verified bytes either way, so they are served as they are.
 */
function withExtra(src: Store, desc: ContentDescriptor, bytes: Promise<Uint8Array>): Store {
  const overlay: Store & Partial<ReferrersCapable> = {
    name: src.name,
    resolve: (r, o) => src.resolve(r, o),
    fetch: async (d, o) => {
      if (d.digest !== desc.digest) return src.fetch(d, o);
      const held = await bytes;
      return (async function* () {
        yield held;
      })();
    },
    exists: (d, o) => (d.digest === desc.digest ? Promise.resolve(true) : src.exists(d, o)),
    push: (d, b, o) => src.push(d, b, o),
    tag: (d, t, o) => src.tag(d, t, o),
    listTags: (o) => src.listTags(o),
  };
  if (hasReferrers(src)) overlay.referrers = (s, a, o) => src.referrers(s, a, o);
  return overlay;
}

/**
 * Which side a failure of copyImage is about. The graph's reads and writes fail as CopyErrors
 * naming their side; the calls outside it are the source's (resolving the reference, reading the
 * index to keep platforms), bar the destination's tag peek, whose failure never fails the copy.
 */
export function failedSide(err: unknown): CopySide {
  return isCopyError(err) ? err.side : "source";
}

export async function copyImage(request: CopyRequest): Promise<CopyResult> {
  const retries = Math.max(0, Math.floor(request.retries ?? 0));
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await copyOnce(request);
      } catch (err) {
        if (attempt > retries || request.signal?.aborted === true || !mayPass(err)) throw err;
        const delayMs = retryDelayMs(attempt, request.retryDelayMs);
        request.onRetry?.({ attempt, retries, delayMs, error: err });
        await cancellableSleep(delayMs, request.signal);
      }
    }
  } catch (err) {
    if (canAbandon(request.dst)) await request.dst.abandon().catch(() => undefined);
    throw err;
  }
}

async function copyOnce(request: CopyRequest): Promise<CopyResult> {
  const { src, dst } = request;
  const call = request.signal === undefined ? {} : { signal: request.signal };
  // A HEAD, not a GET with the bytes: a copy the destination already holds then costs no
  // manifest GET, which registries that meter pulls (Docker Hub) count (docs/design.md, "A
  // copy's requests").
  // The destination's tag is asked for at the same time: a copy the destination already holds
  // under it then ends after these two requests, and a new one finds its connection to the
  // destination open (and its credentials there fetched) when it needs them.
  const resolving = src.resolve(request.reference, call);
  const peek =
    request.tag === undefined || !canPeekTag(dst) || canTagComplete(dst)
      ? undefined
      : // Any failure: the copy itself asks the destination again and says what is wrong.
        dst.taggedDigest(request.tag, call).catch(() => undefined);
  const sourceRoot = await resolving;
  const platforms = request.platforms ?? [];
  // A local source's root costs no request, so it is read while the destination's tag is asked:
  // when the tag says the root is new, the copy then asks for its children beside the root
  // itself (copyGraph), instead of after reading it.
  const readAhead =
    src.local === true && peek !== undefined && platforms.length === 0
      ? fetchBytes(src, sourceRoot, undefined, call)
      : undefined;
  readAhead?.catch(() => undefined); // taken by the copy below, or settled before returning
  try {
    const taggedAtDestination = await peek;
    const source = readAhead === undefined ? src : withExtra(src, sourceRoot, readAhead);
    return await copyFrom(request, source, sourceRoot, taggedAtDestination, call);
  } finally {
    // Read ahead for a copy the tag found complete: the caller may close the source on return.
    await readAhead?.catch(() => undefined);
  }
}

async function copyFrom(
  request: CopyRequest,
  src: Store,
  sourceRoot: ContentDescriptor,
  taggedAtDestination: string | null | undefined,
  call: { signal?: AbortSignal },
): Promise<CopyResult> {
  const { dst } = request;
  let source = src;
  let root = sourceRoot;
  let kept: string[] | undefined;
  const platforms = request.platforms ?? [];
  if (platforms.length > 0) {
    if (!IndexMediaTypes.has(sourceRoot.mediaType)) {
      throw new OcicompatError(
        "USAGE",
        `--platform needs an index, and ${src.name}@${sourceRoot.digest} is a ${sourceRoot.mediaType}`,
        { subject: request.reference },
      );
    }
    const wanted = platforms.map(parsePlatform);
    const doc = parseIndexDocument(
      await fetchBytes(src, sourceRoot, undefined, call),
      `${src.name}@${sourceRoot.digest}`,
    );
    const entries = doc["manifests"] as Json[];
    const keep = entries.filter((e) => platformWanted(e["platform"], wanted));
    if (keep.length === 0) {
      throw new OcicompatError(
        "NOT_FOUND",
        `no entry of ${src.name}@${sourceRoot.digest} is for ${platforms.join(", ")}`,
        { subject: request.reference },
      );
    }
    kept = keep.map((e) => {
      const p = e["platform"] as Json;
      return formatPlatform({
        os: p["os"] as string,
        architecture: p["architecture"] as string,
        ...(typeof p["variant"] === "string" ? { variant: p["variant"] } : {}),
      });
    });
    // A new document: every other field kept, `manifests` holding only the kept entries (their
    // `platform.compatibilities`/`compat` descriptors included, so their compat content follows).
    // When every entry is kept the index is copied as it is, so its digest (and any signature
    // on it) stays.
    if (keep.length < entries.length) {
      if (request.preserveDigests === true) {
        throw new OcicompatError(
          "USAGE",
          `keeping ${kept.join(", ")} of ${src.name}@${sourceRoot.digest} writes a new index, under a new digest, and --preserve-digests forbids that`,
          { subject: request.reference },
        );
      }
      const bytes = new TextEncoder().encode(JSON.stringify({ ...doc, manifests: keep }));
      root = { mediaType: sourceRoot.mediaType, digest: computeDigest(bytes), size: bytes.length };
      source = withExtra(src, root, Promise.resolve(bytes));
    }
  }
  const stats = await copyGraph(source, dst, root, {
    ...(request.concurrency !== undefined ? { concurrency: request.concurrency } : {}),
    ...(request.tag !== undefined ? { tag: request.tag } : {}),
    ...(taggedAtDestination !== undefined ? { taggedAtDestination } : {}),
    ...(request.referrers ? { referrers: true } : {}),
    ...(request.mountFrom !== undefined ? { mountFrom: request.mountFrom } : {}),
    ...call,
    ...request.progress,
  });
  const result: CopyResult = {
    source: `${src.name}@${sourceRoot.digest}`,
    destination: dst.name,
    sourceRoot,
    root,
    rewritten: root.digest !== sourceRoot.digest,
    stats,
  };
  if (request.tag !== undefined) result.tag = request.tag;
  if (kept !== undefined) result.kept = kept;
  return result;
}
