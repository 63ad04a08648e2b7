// Step 1 of selection: which entries are not images at all (attestations, artifacts, unknown media
// types) and are skipped. Apart from the selector because nodeAffinity skips the same entries.
import { IndexMediaTypes, ManifestMediaTypes } from "../../oci/media-types.js";
import type { SelectionEntryInput } from "./input.js";

/** The annotation buildx puts on attestation entries. */
export const REFERENCE_TYPE_ANNOTATION = "vnd.docker.reference.type";

export function skipReason(input: SelectionEntryInput): string | undefined {
  const d = input.descriptor;
  const type = d.annotations?.[REFERENCE_TYPE_ANNOTATION];
  if (type === "attestation-manifest") {
    return `attestation manifest (${REFERENCE_TYPE_ANNOTATION}: ${type}), not an image`;
  }
  const p = input.platform;
  if (p && p.os === "unknown" && p.architecture === "unknown") {
    return "platform unknown/unknown: an attestation or other non-image entry";
  }
  if (!ManifestMediaTypes.has(d.mediaType) && !IndexMediaTypes.has(d.mediaType)) {
    return `media type ${d.mediaType} is neither an image manifest nor an index`;
  }
  if (d.artifactType !== undefined && !IndexMediaTypes.has(d.mediaType)) {
    return `an artifact (artifactType ${d.artifactType}), not an image`;
  }
  return undefined;
}
