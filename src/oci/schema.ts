// The one schema source for OCI documents. TypeScript types are inferred from these schemas,
// runtime validation compiles them, and scripts/gen-schema.ts publishes them to schema/*.json.
// Rules JSON Schema cannot express (base64 data vs size, conditional rootfs, ...) live in
// validate.ts beside them.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { MediaType } from "./media-types.js";

export const SCHEMA_BASE_URI = "https://ocicompat.dev/schema/";

const MEDIA_TYPE_REGEX =
  "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$";
const DIGEST_REGEX = "^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$";
const ENV_REGEX = "^[^=]+=.*$";

export const MediaTypeString = Type.String({
  pattern: MEDIA_TYPE_REGEX,
  description: "RFC 6838 media type",
});
export const DigestString = Type.String({
  pattern: DIGEST_REGEX,
  description: "ALGORITHM:ENCODED; sha256 and sha512 need lowercase hex of the exact length",
});
const Size = Type.Integer({ minimum: 0, description: "size in bytes" });
const StringMap = Type.Record(Type.String(), Type.String());
const StringList = Type.Array(Type.String());
const ObjectMap = Type.Record(Type.String(), Type.Object({}));

const descriptorFields = {
  mediaType: MediaTypeString,
  digest: DigestString,
  size: Size,
  urls: Type.Optional(Type.Array(Type.String({ format: "uri" }))),
  annotations: Type.Optional(StringMap),
  data: Type.Optional(Type.String({ contentEncoding: "base64" })),
  artifactType: Type.Optional(MediaTypeString),
};

/** A content descriptor without a platform: config, layers, subject, compat descriptors. */
export const DescriptorSchema = Type.Object(descriptorFields, {
  title: "OCI content descriptor",
});

export const PlatformSchema = Type.Object(
  {
    architecture: Type.String(),
    os: Type.String(),
    "os.version": Type.Optional(Type.String()),
    "os.features": Type.Optional(StringList),
    variant: Type.Optional(Type.String()),
    features: Type.Optional(
      Type.Array(Type.String(), { description: "Proposal E: mandatory features" }),
    ),
    compatibilities: Type.Optional(
      Type.Object(descriptorFields, {
        description: "Proposal I: descriptor of a compatibilities manifest (or a Proposal J blob)",
      }),
    ),
    compat: Type.Optional(
      Type.Object(descriptorFields, {
        description: "Proposal J: descriptor of a compatibilities blob",
      }),
    ),
  },
  { title: "OCI platform, with compatibility extensions" },
);

const IndexEntrySchema = Type.Object({
  ...descriptorFields,
  platform: Type.Optional(PlatformSchema),
});

export const ImageIndexSchema = Type.Object(
  {
    schemaVersion: Type.Literal(2),
    mediaType: Type.Optional(Type.Literal(MediaType.ImageIndex)),
    artifactType: Type.Optional(MediaTypeString),
    manifests: Type.Array(IndexEntrySchema),
    subject: Type.Optional(DescriptorSchema),
    annotations: Type.Optional(StringMap),
  },
  { title: "OCI image index" },
);

export const ImageManifestSchema = Type.Object(
  {
    schemaVersion: Type.Literal(2),
    mediaType: Type.Optional(Type.Literal(MediaType.ImageManifest)),
    artifactType: Type.Optional(MediaTypeString),
    config: DescriptorSchema,
    // The image-spec schema asks for at least one layer; Proposal I compat manifests use [], so
    // an empty list is accepted here and flagged as non-portable by the validator.
    layers: Type.Array(DescriptorSchema),
    subject: Type.Optional(DescriptorSchema),
    annotations: Type.Optional(StringMap),
  },
  { title: "OCI image manifest" },
);

const NullableStringList = Type.Union([StringList, Type.Null()]);

export const ImageConfigSchema = Type.Object(
  {
    created: Type.Optional(Type.String({ format: "date-time" })),
    author: Type.Optional(Type.String()),
    architecture: Type.String(),
    os: Type.String(),
    "os.version": Type.Optional(Type.String()),
    "os.features": Type.Optional(StringList),
    variant: Type.Optional(Type.String()),
    config: Type.Optional(
      Type.Object({
        User: Type.Optional(Type.String()),
        ExposedPorts: Type.Optional(ObjectMap),
        Env: Type.Optional(Type.Array(Type.String({ pattern: ENV_REGEX }))),
        Entrypoint: Type.Optional(NullableStringList),
        Cmd: Type.Optional(NullableStringList),
        Volumes: Type.Optional(Type.Union([ObjectMap, Type.Null()])),
        WorkingDir: Type.Optional(Type.String()),
        Labels: Type.Optional(Type.Union([StringMap, Type.Null()])),
        StopSignal: Type.Optional(Type.String()),
        ArgsEscaped: Type.Optional(Type.Boolean()),
        // Proposal I; the sets themselves are checked by the compat layer.
        compatibilities: Type.Optional(Type.Array(Type.Unknown())),
      }),
    ),
    // Required unless config.compatibilities is present (Proposal I); validate.ts enforces that.
    rootfs: Type.Optional(
      Type.Object({
        type: Type.Optional(Type.Literal("layers")),
        diff_ids: Type.Optional(Type.Array(DigestString)),
      }),
    ),
    history: Type.Optional(
      Type.Array(
        Type.Object({
          created: Type.Optional(Type.String({ format: "date-time" })),
          author: Type.Optional(Type.String()),
          created_by: Type.Optional(Type.String()),
          comment: Type.Optional(Type.String()),
          empty_layer: Type.Optional(Type.Boolean()),
        }),
      ),
    ),
  },
  { title: "OCI image config" },
);

export const LayoutHeaderSchema = Type.Object(
  { imageLayoutVersion: Type.Literal("1.0.0") },
  { title: "OCI image layout header" },
);

export type Descriptor = Static<typeof DescriptorSchema>;
export type Platform = Static<typeof PlatformSchema>;
export type IndexEntry = Static<typeof IndexEntrySchema>;
export type ImageIndex = Static<typeof ImageIndexSchema>;
export type ImageManifest = Static<typeof ImageManifestSchema>;
export type ImageConfig = Static<typeof ImageConfigSchema>;
export type LayoutHeader = Static<typeof LayoutHeaderSchema>;

/** Schemas published to schema/, keyed by file name. */
export const OCI_SCHEMAS: Readonly<Record<string, TSchema>> = {
  "descriptor.json": DescriptorSchema,
  "platform.json": PlatformSchema,
  "image-index.json": ImageIndexSchema,
  "image-manifest.json": ImageManifestSchema,
  "image-config.json": ImageConfigSchema,
  "oci-layout.json": LayoutHeaderSchema,
};
