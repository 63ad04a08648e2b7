// The NFD image-compatibility artifact (docs/usage/image-compatibility.md of NFD): an image
// manifest with artifactType application/vnd.nfd.image-compatibility.v1alpha1, the empty config,
// one layer holding the YAML spec, the image manifest as its subject, and the creation time that
// decides which artifact is the newest. The layer descriptor also embeds the spec (`data`): a
// reader that knows it (ocicompat) saves the blob request, one that does not (NFD) fetches the
// blob, which is pushed as well. Value in, bytes out.
import { computeDigest } from "../../oci/digest.js";
import { EmptyDescriptor, MediaType } from "../../oci/media-types.js";
import type { Descriptor } from "../../oci/schema.js";
import type { BuiltContent } from "../build.js";
import { CREATED_ANNOTATION } from "../lenient.js";
import { NFD_ARTIFACT_TYPE, NFD_SPEC_MEDIA_TYPE } from "./spec.js";

export interface NfdArtifact {
  layer: BuiltContent;
  manifest: BuiltContent;
}

export function buildNfdArtifact(
  spec: Uint8Array,
  subject: Descriptor,
  created: string,
): NfdArtifact {
  const layerDescriptor: Descriptor = {
    mediaType: NFD_SPEC_MEDIA_TYPE,
    digest: computeDigest(spec),
    size: spec.byteLength,
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ImageManifest,
    artifactType: NFD_ARTIFACT_TYPE,
    config: {
      mediaType: EmptyDescriptor.mediaType,
      digest: EmptyDescriptor.digest,
      size: EmptyDescriptor.size,
    },
    layers: [{ ...layerDescriptor, data: Buffer.from(spec).toString("base64") }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { [CREATED_ANNOTATION]: created },
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  return {
    layer: { descriptor: layerDescriptor, bytes: spec },
    manifest: {
      descriptor: {
        mediaType: MediaType.ImageManifest,
        digest: computeDigest(bytes),
        size: bytes.byteLength,
      },
      bytes,
    },
  };
}
