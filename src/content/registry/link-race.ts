// A manifest refused for a blob the repository holds. Distribution 2.8's filesystem driver writes a
// blob's link file in place (truncate, then write) at every upload's commit, also when the blob is
// already linked. While another client commits a blob this manifest references into the same
// repository (two pushes that share a layer), the manifest's check can read the link empty and
// refuse the manifest with MANIFEST_BLOB_UNKNOWN although the blob is there. Later releases
// write a temporary file and rename it.
import { isDigest } from "../../oci/digest.js";
import { successors } from "../graph.js";
import type { CallOptions, ContentDescriptor } from "../store.js";
import { isRegistryError } from "./errors.js";
import { exists } from "./fetch.js";
import type { RepositoryContext } from "./repository.js";

/**
 * Whether `err`, the refusal of the manifest `desc`, was for blobs the repository holds: it is a
 * 400 MANIFEST_BLOB_UNKNOWN, every digest it names is one the manifest references, and the
 * repository has each of them on asking. Anything else, or a failure to ask, is false: the
 * refusal then stands as it was.
 */
export async function refusedForHeldBlobs(
  ctx: RepositoryContext,
  err: unknown,
  desc: ContentDescriptor,
  bytes: Uint8Array,
  options?: CallOptions,
): Promise<boolean> {
  if (!isRegistryError(err) || err.status !== 400 || !err.hasCode("MANIFEST_BLOB_UNKNOWN"))
    return false;
  const named = err.errors.filter((e) => e.code === "MANIFEST_BLOB_UNKNOWN").map((e) => e.detail);
  if (named.length === 0) return false;
  let children: ContentDescriptor[];
  try {
    children = successors(desc, bytes).children;
  } catch {
    return false;
  }
  const refused: ContentDescriptor[] = [];
  for (const digest of named) {
    const child =
      typeof digest === "string" && isDigest(digest)
        ? children.find((c) => c.digest === digest)
        : undefined;
    if (child === undefined) return false;
    refused.push(child);
  }
  try {
    const held = await Promise.all(refused.map((child) => exists(ctx, child, options)));
    return held.every(Boolean);
  } catch {
    return false;
  }
}
