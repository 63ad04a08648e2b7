// Resolving a reference in a layout (see the decisions in layout.ts): a tag is the one index.json
// entry that carries it; a digest is an index.json entry with it, or else untagged content whose
// JSON says it is a manifest or an index.
import { isDigest } from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";
import { DEFAULT_MAX_BYTES } from "../../oci/ijson.js";
import type { IndexEntry } from "../../oci/schema.js";
import type { LayoutStore } from "../layout.js";
import { readAll, type ContentDescriptor } from "../store.js";
import { blobSize } from "./blob-files.js";
import { refNameOf } from "./index-json.js";
import { sniffMediaType } from "./sniff.js";
import { uniqueTags } from "./tags.js";

/** Untagged content is only resolved when it looks like a manifest: manifests are ≤ 4 MiB. */
const MAX_SNIFF_BYTES = DEFAULT_MAX_BYTES;

export async function resolveReference(
  store: LayoutStore,
  reference: string,
): Promise<ContentDescriptor> {
  const { index } = await store.readIndex();
  if (isDigest(reference)) {
    const entry = index.manifests.find((e) => e.digest === reference);
    if (entry) return descriptorOf(entry);
    return resolveBlob(store, reference);
  }
  const matches = index.manifests
    .map((entry, at) => ({ entry, at }))
    .filter(({ entry }) => refNameOf(entry) === reference);
  const [first, ...others] = matches;
  if (first === undefined) {
    const tags = uniqueTags(index.manifests);
    const available = tags.length === 0 ? "it has no tags" : `its tags: ${tags.join(", ")}`;
    throw new OcicompatError(
      "NOT_FOUND",
      `tag "${reference}" is not in ${store.name}; ${available}`,
      {
        subject: reference,
      },
    );
  }
  if (others.length > 0) {
    const listed = matches.map(({ entry, at }) => `manifests[${at}] ${entry.digest}`).join(", ");
    throw new OcicompatError(
      "VALIDATION",
      `tag "${reference}" names ${matches.length} entries of ${store.name}'s index.json: ${listed}; re-tag to say which one is meant`,
      { subject: store.indexPath },
    );
  }
  return descriptorOf(first.entry);
}

/**
 * Untagged content by digest: the media type is what the document says it is (its mediaType
 * field, or the shape of an index or a manifest when the field is absent).
 */
async function resolveBlob(store: LayoutStore, digest: string): Promise<ContentDescriptor> {
  const path = store.blobPath(digest);
  const size = await blobSize(path);
  if (size === undefined) {
    throw new OcicompatError("NOT_FOUND", `${digest} is not in ${store.name}`, {
      subject: digest,
    });
  }
  if (size > MAX_SNIFF_BYTES) {
    throw new OcicompatError(
      "UNSUPPORTED",
      `${digest} in ${store.name} is ${size} bytes: too large for a manifest or an index`,
      { subject: digest },
    );
  }
  const probe = { mediaType: "application/octet-stream", digest, size };
  const bytes = await readAll(await store.fetch(probe), size, digest);
  const mediaType = sniffMediaType(bytes);
  if (mediaType === undefined) {
    throw new OcicompatError(
      "UNSUPPORTED",
      `${digest} in ${store.name} is not a manifest or an index, so it cannot be resolved; fetch it by descriptor instead`,
      { subject: digest },
    );
  }
  return { mediaType, digest, size };
}

/** The descriptor a store reports for an index.json entry: the content's fields, no platform. */
function descriptorOf(entry: IndexEntry): ContentDescriptor {
  const desc: ContentDescriptor = {
    mediaType: entry.mediaType,
    digest: entry.digest,
    size: entry.size,
  };
  if (entry.annotations !== undefined) desc.annotations = { ...entry.annotations };
  if (entry.artifactType !== undefined) desc.artifactType = entry.artifactType;
  if (entry.urls !== undefined) desc.urls = [...entry.urls];
  return desc;
}
