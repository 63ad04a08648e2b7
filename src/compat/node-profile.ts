// The node profile: a versioned snapshot of one node's facts, in the fixed format other tools
// and scripts write (docs/compat-language.md). Pure: reading and writing files is node/'s job.
import { Type, type Static } from "@sinclair/typebox";
import { ValidationError, type ValidationIssue } from "../oci/errors.js";
import { formatJsonPath } from "../oci/json-path.js";
import { schemaIssues } from "../oci/schema-check.js";
import type { LabelCatalog } from "./catalog.js";
import type { Fact, LabelType } from "./label-types.js";
import { ownValue } from "./own-record.js";
import { parseQuantity } from "./value/index.js";
import { NfdFeaturesSchema } from "./nfd/features.js";

export const NODE_PROFILE_SCHEMA_VERSION = 1;

const FactSchema = Type.Union([
  Type.String(),
  Type.Array(Type.String()),
  Type.Number(),
  Type.Boolean(),
]);

export const NodeProfileSchema = Type.Object(
  {
    schemaVersion: Type.Literal(NODE_PROFILE_SCHEMA_VERSION),
    name: Type.String({ minLength: 1 }),
    platform: Type.Object({
      os: Type.String({ minLength: 1 }),
      architecture: Type.String({ minLength: 1 }),
      variant: Type.Optional(Type.String()),
      "os.version": Type.Optional(Type.String()),
      "os.features": Type.Optional(Type.Array(Type.String())),
      features: Type.Optional(Type.Array(Type.String())),
    }),
    labels: Type.Record(Type.String(), FactSchema),
    // Optional, so every profile written before it stays valid: NFD rules read these raw
    // feature sets (shaped like a NodeFeature's spec.features), not ocicompat's labels.
    nfd: Type.Optional(NfdFeaturesSchema),
  },
  { title: "ocicompat node profile: one node's platform and label facts" },
);

export type NodeProfile = Static<typeof NodeProfileSchema>;

/** Facts must have the shape their label's type expects; a wrong shape is an error, not a miss. */
function factProblem(type: LabelType, fact: Fact): string | undefined {
  switch (type) {
    case "set":
      return Array.isArray(fact)
        ? undefined
        : `must be an array of strings (a set label), not ${describe(fact)}`;
    case "bool":
      return typeof fact === "boolean"
        ? undefined
        : `must be true or false (a bool label), not ${describe(fact)}`;
    case "quantity":
      if (typeof fact === "number")
        return Number.isFinite(fact) ? undefined : "must be a finite number";
      return typeof fact === "string" && parseQuantity(fact) !== undefined
        ? undefined
        : `must be a number or a quantity such as "64Gi" (a quantity label), not ${describe(fact)}`;
    case "version":
    case "string":
      return typeof fact === "string"
        ? undefined
        : `must be a string (a ${type} label), not ${describe(fact)}`;
  }
}

function describe(fact: Fact): string {
  if (Array.isArray(fact)) return "an array";
  return typeof fact === "string" ? JSON.stringify(fact) : `${typeof fact} ${String(fact)}`;
}

/** Problems in a parsed profile: the schema, then each known label's fact shape. */
export function nodeProfileIssues(value: unknown, catalog: LabelCatalog): ValidationIssue[] {
  const issues = schemaIssues(NodeProfileSchema, value);
  if (issues.length > 0) return issues;
  const profile = value as NodeProfile;
  for (const [label, fact] of Object.entries(profile.labels)) {
    const type = catalog.get(label)?.type;
    const problem = type === undefined ? undefined : factProblem(type, fact);
    if (problem !== undefined)
      issues.push({ path: formatJsonPath(["labels", label]), message: problem });
  }
  return issues;
}

/** A validated profile, or a ValidationError naming the source and every problem. */
export function readNodeProfile(
  value: unknown,
  source: string,
  catalog: LabelCatalog,
): NodeProfile {
  const issues = nodeProfileIssues(value, catalog);
  if (issues.length > 0) throw new ValidationError(source, issues);
  return value as NodeProfile;
}

/** The profile's fact for a label, looked up by its canonical name or any alias. */
export function factOf(
  profile: NodeProfile,
  label: string,
  catalog: LabelCatalog,
): Fact | undefined {
  const direct = ownValue(profile.labels, label);
  if (direct !== undefined) return direct;
  const def = catalog.get(label);
  if (!def) return undefined;
  for (const name of [def.name, ...def.aliases]) {
    const fact = ownValue(profile.labels, name);
    if (fact !== undefined) return fact;
  }
  return undefined;
}
