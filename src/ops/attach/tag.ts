// The tag attach and detach move: the one a reference names (and the digest it must still name),
// and the check, just before the move, that no other writer moved it since it was read.
import type { CallOptions, Store } from "../../content/store.js";
import { OcicompatError } from "../../oci/errors.js";
import type { Reference } from "../../oci/reference.js";
import type { TagSource } from "./source.js";

/** The tag a reference names, and the digest it must still name when it gives both. */
export function tagOf(ref: Reference, input: string): { tag: string; expect?: string } {
  const tag = ref.tag;
  if (tag === undefined) {
    throw new OcicompatError(
      "USAGE",
      "names no tag: attach and detach move a tag to the new index (give REF:TAG)",
      { subject: input },
    );
  }
  const digest = ref.scheme === "oci-archive" ? undefined : ref.digest;
  return digest === undefined ? { tag } : { tag, expect: digest };
}

/** Refuses to move a tag that changed since it was read (another writer got there first). */
export async function checkUnmoved(
  store: Store,
  tag: string,
  source: TagSource,
  options?: CallOptions,
): Promise<void> {
  const now = await store.resolve(tag, options);
  if (now.digest !== source.current.digest) {
    throw new OcicompatError(
      "CONFLICT",
      `${tag} moved from ${source.current.digest} to ${now.digest} while ocicompat was writing; the tag was left as it is, run the command again`,
      { subject: `${store.name}:${tag}` },
    );
  }
}
