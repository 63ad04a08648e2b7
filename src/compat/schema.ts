// Schemas of the compatibilities documents: the set (Proposal I), the Proposal J blob and the
// authoring file. Like src/oci/schema.ts, they are the single source for types, runtime checks
// and the published schema/*.json files.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { MediaType } from "../oci/media-types.js";

const Score = Type.Integer({ description: "ranking score; higher wins; default 0" });

export const CompatibilitySetSchema = Type.Object(
  {
    tags: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        description: "groups sets; a single string is accepted as one tag",
      }),
    ),
    description: Type.Optional(Type.String()),
    score: Type.Optional(Score),
    "compatibility-score": Type.Optional(Score),
    "oci.compatibility-score": Type.Optional(Score),
  },
  {
    title: "Compatibility set: label -> value string, plus reserved keys",
    additionalProperties: Type.String({ description: "a label value in the label's syntax" }),
    minProperties: 1,
  },
);

/** A non-empty list of sets: what every form's `compatibilities` holds. */
export const SetListSchema = Type.Array(CompatibilitySetSchema, { minItems: 1 });
const SetList = SetListSchema;

export const CompatBlobSchema = Type.Object(
  {
    schemaVersion: Type.Optional(
      Type.Union([Type.String(), Type.Integer()], {
        description:
          'Proposal J\'s example writes the string "0.1.0"; an integer is read with a warning',
      }),
    ),
    schema: Type.Optional(Type.String({ description: "Proposal J's prose names this property" })),
    mediaType: Type.Optional(Type.Literal(MediaType.Compatibilities)),
    compatibilities: SetList,
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { title: "Proposal J compatibilities blob" },
);

export const AuthoringFileSchema = Type.Object(
  { compatibilities: SetList },
  {
    title: "ocicompat authoring file: the compatibility sets to attach",
  },
);

export type CompatibilitySetDocument = Static<typeof CompatibilitySetSchema>;
export type CompatBlob = Static<typeof CompatBlobSchema>;
export type AuthoringFile = Static<typeof AuthoringFileSchema>;

export const COMPAT_SCHEMAS: Readonly<Record<string, TSchema>> = {
  "compatibility-set.json": CompatibilitySetSchema,
  "compatibilities-blob.json": CompatBlobSchema,
  "compatibilities-file.json": AuthoringFileSchema,
};
