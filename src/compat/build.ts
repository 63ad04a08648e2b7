// Builds the documents that carry compatibilities: the Proposal I config and its manifest, and
// the Proposal J blob. Value in, bytes out; pushing them is the ops layer's job.
import { computeDigest } from "../oci/digest.js";
import { EmptyDescriptor, MediaType } from "../oci/media-types.js";
import type { Descriptor } from "../oci/schema.js";
import { CREATED_ANNOTATION, CREATED_TYPO, J_SCHEMA_VERSION } from "./lenient.js";

export interface BuiltContent {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

function content(
  mediaType: string,
  document: unknown,
  extra: Partial<Descriptor> = {},
): BuiltContent {
  const bytes = new TextEncoder().encode(JSON.stringify(document));
  return {
    bytes,
    descriptor: { mediaType, digest: computeDigest(bytes), size: bytes.byteLength, ...extra },
  };
}

export interface CompatPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Proposal I config: the platform, `config.compatibilities`, and an empty rootfs. */
export function buildCompatConfig(
  sets: readonly Record<string, unknown>[],
  platform: CompatPlatform,
  created: string,
): BuiltContent {
  return content(MediaType.ImageConfig, {
    created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { compatibilities: sets },
    rootfs: {},
  });
}

export type LayerPolicy = "empty-descriptor" | "none";

/**
 * The compatibilities manifest. By default it lists the empty descriptor as its one layer: the
 * image-spec schema wants at least one layer and some registries refuse `layers: []`.
 */
export function buildCompatManifest(
  config: Descriptor,
  options: {
    created: string;
    subject?: Descriptor;
    layers?: LayerPolicy;
    extraLayers?: readonly Descriptor[];
  },
): BuiltContent {
  const layers =
    options.layers === "none"
      ? []
      : [
          {
            mediaType: EmptyDescriptor.mediaType,
            digest: EmptyDescriptor.digest,
            size: EmptyDescriptor.size,
          },
        ];
  return content(MediaType.ImageManifest, {
    schemaVersion: 2,
    mediaType: MediaType.ImageManifest,
    artifactType: MediaType.Compatibilities,
    config,
    layers: [...layers, ...(options.extraLayers ?? [])],
    ...(options.subject ? { subject: options.subject } : {}),
    annotations: { "org.opencontainers.image.created": options.created },
  });
}

/**
 * The Proposal J blob, read in one request, written the way J's example writes it (what its
 * readers expect, docs/interop.md): `schemaVersion` "0.1.0", `tags` as arrays, and the creation
 * time under `org.opencontainers.image.created` (never the example's misspelt `oci.` key).
 */
export function buildCompatBlob(
  sets: readonly Record<string, unknown>[],
  annotations?: Record<string, string>,
  created?: string,
): BuiltContent {
  const written: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations ?? {}))
    if (key !== CREATED_TYPO) written[key] = value;
  if (created !== undefined) written[CREATED_ANNOTATION] = created;
  return content(MediaType.Compatibilities, {
    schemaVersion: J_SCHEMA_VERSION,
    mediaType: MediaType.Compatibilities,
    compatibilities: sets.map(withTagList),
    ...(Object.keys(written).length > 0 ? { annotations: written } : {}),
  });
}

function withTagList(set: Record<string, unknown>): Record<string, unknown> {
  const tags = set["tags"];
  return typeof tags === "string" ? { ...set, tags: [tags] } : set;
}
