// `ocicompat verify REF [--gc]`: is everything a reference names really there?
//
// Manifests and indexes are read with GETs (verified against digest and size). Blobs are hashed
// (streamed and verified against digest and size) in layouts and archives, where that is a local
// read, and in registries only when asked (`blobs`, the CLI's --blobs); otherwise a registry's
// blobs are checked for presence only (a HEAD), and the result says so (`blobCheck`). The walk
// includes each index entry's `platform.compatibilities`/`compat` descriptor and what it names,
// which no registry checks. A Proposal J blob is small metadata and is read (verified) like a
// manifest. A descriptor that cannot be followed (oci/followed-descriptor.ts: a digest ocicompat
// cannot verify, a size that is not a non-negative integer) is an `invalid` problem.
//
// With `gc`, each compat manifest (or Proposal J blob) is also checked for what keeps it alive in a
// registry that knows nothing of compatibilities (see verify/anchors.ts); content that nothing
// keeps alive is a problem.
import { withSignal } from "../content/cancel.js";
import { knowsReferrersApi, type ContentDescriptor, type Store } from "../content/store.js";
import { IndexMediaTypes } from "../oci/media-types.js";
import { gcReport, type CompatAnchors } from "./verify/gc-report.js";
import { Walker, type VerifyProblem } from "./verify/walker.js";

export type { Anchor, AnchorKind } from "./verify/anchors.js";

export interface VerifyResult {
  store: string;
  reference: string;
  root: ContentDescriptor;
  checked: { manifests: number; blobs: number };
  /**
   * How blobs were checked: "hashed" (read and verified against digest and size) or "presence"
   * (only that the store has them: a registry without `blobs`).
   */
  blobCheck: BlobCheck;
  problems: VerifyProblem[];
  /** With `gc`: one row per compat descriptor whose content is present. */
  anchors?: CompatAnchors[];
  warnings: string[];
  ok: boolean;
}

export type BlobCheck = "hashed" | "presence";

export interface VerifyOptions {
  gc?: boolean;
  /**
   * Hash every blob (stream it and verify digest and size). Default: yes for layouts, archives and
   * memory stores (a local read), no for registries (each layer would be downloaded).
   */
  blobs?: boolean;
  /** Cancels the walk (every store call gets it). */
  signal?: AbortSignal;
}

function kindOf(mediaType: string): string {
  if (IndexMediaTypes.has(mediaType)) return "index";
  return "manifest";
}

/** Verifies everything `reference` (a tag or digest in `store`) names. */
export async function verify(
  given: Store,
  reference: string,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const store = withSignal(given, options.signal);
  const root = await store.resolve(reference);
  // A registry repository is the one store that learns about a referrers API: the remote one.
  const hashBlobs = options.blobs ?? !knowsReferrersApi(given);
  const walker = new Walker(store, hashBlobs);
  await walker.document(root, kindOf(root.mediaType), 0);
  const result: VerifyResult = {
    store: store.name,
    reference,
    root,
    checked: walker.counts,
    blobCheck: hashBlobs ? "hashed" : "presence",
    problems: walker.problems,
    warnings: [],
    ok: false,
  };
  if (options.gc) result.anchors = await gcReport(store, walker, result);
  result.ok = result.problems.length === 0;
  return result;
}
