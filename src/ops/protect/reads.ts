// What protect's steps share: how many sites it reads at once, and its lenient reads of
// the index (an entry it cannot read as a descriptor is not its to protect).
import { fetchBytes, type ContentDescriptor, type Store } from "../../content/store.js";
import { isOcicompatError } from "../../oci/errors.js";
import { isObject } from "../../oci/json-value.js";

/** Sites (or images) whose reads go at once in a read-ahead. */
export const READ_AHEAD = 8;
/**
 * Sites (or images) read ahead, then written, before the next ones are read: well under the 128
 * manifests the registry store remembers, so that what the read ahead fetched is still there when
 * the writes need it.
 */
export const WINDOW = 32;

export function asDescriptor(v: unknown): ContentDescriptor | undefined {
  if (!isObject(v)) return undefined;
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== "string" || typeof digest !== "string" || typeof size !== "number")
    return undefined;
  return { mediaType, digest, size };
}

export async function readIfPresent(
  store: Store,
  desc: ContentDescriptor,
): Promise<Uint8Array | undefined> {
  try {
    return await fetchBytes(store, desc);
  } catch (err) {
    if (isOcicompatError(err) && err.code === "NOT_FOUND") return undefined;
    throw err;
  }
}
