// Runs a schema from schema.ts against a parsed document and words each failure for a person,
// located by JSONPath. TypeBox's own messages ("Expected string to match '^[a-z0-9]+...'") are
// replaced: users need to hear what is wrong with their value, not the regex.
import type { TSchema } from "@sinclair/typebox";
import { FormatRegistry } from "@sinclair/typebox";
import { Errors, ValueErrorType, type ValueError } from "@sinclair/typebox/errors";
import { digestProblem } from "./digest.js";
import type { ValidationIssue } from "./errors.js";
import { formatJsonPath, pointerToSegments, type PathSegment } from "./json-path.js";
import { PRECOMPILED_CHECKS } from "./schema-checks.generated.js";
import { schemaKey } from "./schema-key.js";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

// TypeBox refuses unknown formats; register the two the image-spec uses, without replacing a
// host application's own definitions.
if (!FormatRegistry.Has("date-time")) {
  FormatRegistry.Set("date-time", (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)));
}
if (!FormatRegistry.Has("uri")) FormatRegistry.Set("uri", (v) => URL.canParse(v));

type Check = (value: unknown) => boolean;

const checks = new WeakMap<TSchema, Check>();

// The helpers TypeBox's generated code calls: string formats from the registry above; custom
// kinds and value hashes (uniqueItems) appear in none of our schemas (the generated file has no
// call to them, and a test keeps it so).
const helpers: Parameters<(typeof PRECOMPILED_CHECKS)[string]> = [
  (kind) => {
    throw new Error(`schema kind ${kind} has no precompiled check`);
  },
  (format, value) => {
    const check = FormatRegistry.Get(format);
    return check !== undefined && typeof value === "string" && check(value);
  },
  () => {
    throw new Error("uniqueItems has no precompiled check");
  },
];

/**
 * The check of `schema`: compiled at build time (scripts/gen-validators.ts) for every schema the
 * commands use, which spares each process TypeBox's compiler and its code generation; any other
 * schema (a library caller's, or one edited without regenerating) is walked by TypeBox's error
 * iterator, which is slower but gives the same answer.
 */
function checkFor(schema: TSchema): Check {
  let check = checks.get(schema);
  if (!check) {
    const factory = PRECOMPILED_CHECKS[schemaKey(schema)];
    check = factory
      ? factory(...helpers)
      : (value) => Errors(schema, [], value).First() === undefined;
    checks.set(schema, check);
  }
  return check;
}

/** Whether `schema` is checked by a build-time compiled function (for the test of the file). */
export function hasPrecompiledCheck(schema: TSchema): boolean {
  return PRECOMPILED_CHECKS[schemaKey(schema)] !== undefined;
}

/**
 * Schema problems in `value`, located below `base`; one issue per path, the first reported wins.
 */
export function schemaIssues(
  schema: TSchema,
  value: unknown,
  base: readonly PathSegment[] = [],
): ValidationIssue[] {
  if (checkFor(schema)(value)) return [];
  const byPath = new Map<string, ValidationIssue>();
  for (const error of Errors(schema, [], value)) {
    const at = [...base, ...pointerToSegments(error.path, value)];
    const variant =
      error.type === ValueErrorType.Union
        ? variantOfSameType(error.schema, error.value)
        : undefined;
    // "Wrong type" on a union hides the real problem when the value has the right shape, e.g.
    // one number inside an array of strings: report the matching variant's own issues instead.
    const issues = variant ? schemaIssues(variant, error.value, at) : [];
    if (issues.length === 0) issues.push({ path: formatJsonPath(at), message: describe(error) });
    for (const issue of issues) if (!byPath.has(issue.path)) byPath.set(issue.path, issue);
  }
  return [...byPath.values()];
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (Number.isInteger(value)) return "integer";
  return typeof value;
}

function variantOfSameType(union: TSchema, value: unknown): TSchema | undefined {
  const type = jsonType(value);
  const variants = (union["anyOf"] as TSchema[] | undefined) ?? [];
  return variants.find((v) => v["type"] === type || (type === "integer" && v["type"] === "number"));
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${quote(value)}`;
  return `${typeof value} ${String(value)}`;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function describe(error: ValueError): string {
  const { schema, value } = error;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return "required property is missing";
    case ValueErrorType.String:
      return `must be a string, not ${typeName(value)}`;
    case ValueErrorType.Integer:
      return `must be an integer, not ${typeName(value)}`;
    case ValueErrorType.IntegerMinimum:
      return `must not be negative (got ${String(value)})`;
    case ValueErrorType.Number:
      return `must be a number, not ${typeName(value)}`;
    case ValueErrorType.Boolean:
      return `must be true or false, not ${typeName(value)}`;
    case ValueErrorType.Object:
      return `must be an object, not ${typeName(value)}`;
    case ValueErrorType.Array:
      return `must be an array, not ${typeName(value)}`;
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(schema["const"])}, not ${typeName(value)}`;
    case ValueErrorType.StringFormat:
      return `${quote(String(value))} is not a valid ${String(schema["format"])}`;
    case ValueErrorType.StringPattern:
      return patternMessage(String(schema["pattern"]), String(value));
    case ValueErrorType.Union:
      return `has the wrong type (${typeName(value)}); expected ${unionShape(schema)}`;
    default:
      return error.message;
  }
}

function patternMessage(pattern: string, value: string): string {
  if (pattern.includes("[+._-]")) return digestProblem(value) ?? `${quote(value)} is not a digest`;
  if (pattern.includes("{0,126}/"))
    return `${quote(value)} is not a valid media type: expected TYPE/SUBTYPE (RFC 6838)`;
  if (pattern === "^[^=]+=.*$") return `${quote(value)} is not written KEY=VALUE`;
  return `${quote(value)} does not match ${pattern}`;
}

function unionShape(schema: TSchema): string {
  const variants = (schema["anyOf"] as TSchema[] | undefined) ?? [];
  const names = variants.map((v) =>
    v["type"] === "array"
      ? "an array of strings"
      : v["type"] === "null"
        ? "null"
        : String(v["type"] ?? "a value"),
  );
  return names.join(" or ");
}
