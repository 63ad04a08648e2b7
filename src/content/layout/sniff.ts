// What untagged content is: the media type a manifest or an index declares, or implies by its
// shape. Apart from the store because `ocicompat gc` judges unreachable blobs the same way.
import { parseIJson } from "../../oci/ijson.js";
import { IndexMediaTypes, ManifestMediaTypes, MediaType } from "../../oci/media-types.js";

/** The media type a manifest or an index declares, or implies by its shape. */
export function sniffMediaType(bytes: Uint8Array): string | undefined {
  let value: unknown;
  try {
    value = parseIJson(bytes).value;
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const doc = value as Record<string, unknown>;
  const declared = doc["mediaType"];
  if (typeof declared === "string") {
    return ManifestMediaTypes.has(declared) || IndexMediaTypes.has(declared) ? declared : undefined;
  }
  if (doc["schemaVersion"] !== 2) return undefined;
  if (Array.isArray(doc["manifests"])) return MediaType.ImageIndex;
  if (doc["config"] !== undefined && Array.isArray(doc["layers"])) return MediaType.ImageManifest;
  return undefined;
}
