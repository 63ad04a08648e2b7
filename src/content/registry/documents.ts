// The documents a registry sends besides content: how to tell a fetched manifest's media type,
// referrers indexes, tag lists, and the referrers fallback tag name. Parsed strictly (I-JSON) and
// validated, never cast.
import { registeredAlgorithmOf } from "../../oci/digest.js";
import { OcicompatError, ValidationError } from "../../oci/errors.js";
import { parseIJson } from "../../oci/ijson.js";
import { IndexMediaTypes, ManifestMediaTypes, MediaType } from "../../oci/media-types.js";
import type { ImageIndex } from "../../oci/schema.js";
import { validateOciDocument } from "../../oci/validate.js";
import { bareMediaType } from "./http.js";

export { referrersTag } from "../../oci/referrers.js";

export function isVerifiable(digest: string): boolean {
  try {
    registeredAlgorithmOf(digest);
    return true;
  } catch {
    return false;
  }
}

export function isManifestLike(mediaType: string): boolean {
  return (
    ManifestMediaTypes.has(mediaType) ||
    IndexMediaTypes.has(mediaType) ||
    (mediaType.startsWith("application/vnd.") && mediaType !== "application/vnd.oci.empty.v1+json")
  );
}

/** The media type of a fetched manifest: Content-Type when it is one, else the document's own. */
export function manifestMediaType(
  contentType: string | undefined,
  bytes: Uint8Array,
  subject: string,
): string {
  const bare = bareMediaType(contentType);
  if (bare !== undefined && isManifestLike(bare)) return bare;
  const value = parseIJson(bytes).value;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const doc = value as Record<string, unknown>;
    if (typeof doc.mediaType === "string" && doc.mediaType !== "") return doc.mediaType;
    if (Array.isArray(doc.manifests)) return MediaType.ImageIndex;
    if (doc.config !== undefined) return MediaType.ImageManifest;
  }
  throw new OcicompatError(
    "UNSUPPORTED",
    `cannot tell what kind of manifest this is: Content-Type is ${contentType ?? "missing"} and the document names no mediaType`,
    { subject },
  );
}

export function parseIndex(bytes: Uint8Array, subject: string): ImageIndex {
  const { value } = parseIJson(bytes);
  const report = validateOciDocument("index", value);
  if (report.errors.length > 0) throw new ValidationError(subject, report.errors);
  return value as ImageIndex;
}

export function parseTagList(bytes: Uint8Array, subject: string): string[] {
  const { value } = parseIJson(bytes, { maxBytes: 16 * 1024 * 1024 });
  const tags =
    value !== null && typeof value === "object" ? (value as { tags?: unknown }).tags : undefined;
  if (tags === null || tags === undefined) return [];
  if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === "string")) {
    throw new OcicompatError(
      "REGISTRY",
      `${subject} sent a tag list whose "tags" is not a list of strings`,
      {
        subject,
      },
    );
  }
  return tags;
}
