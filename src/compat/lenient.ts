// Reading compatibilities documents as they exist in the wild (docs/interop.md): Proposal J's own
// example and compspec's ocifit deviate from J's prose in a few fixed ways. Each deviation is
// rewritten into the form the rest of ocicompat reads, and reported as a warning naming its JSON
// path, so that `validate` shows it and `validate --strict` can fail on it. Pure: value in, value
// out; the input is never modified.
import type { ValidationIssue } from "../oci/errors.js";
import { formatJsonPath, type PathSegment } from "../oci/json-path.js";
import { isObject, type Json } from "../oci/json-value.js";
import { RESERVED_SET_KEYS } from "./sets.js";

/** The schemaVersion Proposal J's example writes, and the one ocicompat writes. */
export const J_SCHEMA_VERSION = "0.1.0";
export const CREATED_ANNOTATION = "org.opencontainers.image.created";
/** The misspelling in Proposal J's example and NFD's documented artifact. */
export const CREATED_TYPO = "oci.opencontainers.image.created";

export interface Lenient<T> {
  value: T;
  warnings: ValidationIssue[];
}

function warning(at: readonly PathSegment[], message: string): ValidationIssue {
  return { path: formatJsonPath(at), message };
}

/**
 * One set with `tags` as a list and integer and boolean label values as their string form.
 * Fractional numbers are left alone: their digits as written are gone (2.30 is 2.3), so the
 * structural check reports them as errors instead of guessing.
 */
function lenientSet(set: Json, at: readonly PathSegment[], warnings: ValidationIssue[]): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(set)) {
    const where = [...at, key];
    if (key === "tags" && typeof value === "string") {
      warnings.push(
        warning(
          where,
          `is one string; Proposal J defines tags as an array of strings: read as ["${value}"]`,
        ),
      );
      out[key] = [value];
    } else if (
      !RESERVED_SET_KEYS.has(key) &&
      (typeof value === "boolean" || (typeof value === "number" && Number.isInteger(value)))
    ) {
      warnings.push(
        warning(
          where,
          `is the ${typeof value} ${String(value)}; label values are strings: read as "${String(value)}"`,
        ),
      );
      out[key] = String(value);
    } else out[key] = value as Json;
  }
  return out;
}

/** A list of sets read leniently; anything that is not a list of objects is returned as is. */
export function lenientSets(list: unknown, at: readonly PathSegment[]): Lenient<unknown> {
  const warnings: ValidationIssue[] = [];
  if (!Array.isArray(list)) return { value: list, warnings };
  const value = list.map((set: unknown, i) =>
    isObject(set) ? lenientSet(set, [...at, i], warnings) : set,
  );
  return { value, warnings };
}

function lenientAnnotations(
  annotations: Json,
  at: readonly PathSegment[],
  warnings: ValidationIssue[],
): Json {
  if (!(CREATED_TYPO in annotations)) return annotations;
  warnings.push(
    warning(
      [...at, CREATED_TYPO],
      `is a misspelling of ${CREATED_ANNOTATION} (as in Proposal J's example): read as the creation time`,
    ),
  );
  if (CREATED_ANNOTATION in annotations) return annotations;
  return { ...annotations, [CREATED_ANNOTATION]: annotations[CREATED_TYPO] as Json };
}

/**
 * A Proposal J blob or an authoring file, read leniently: `schemaVersion` as J's string or an
 * integer, `tags` as one string, scalar label values, the misspelt created annotation.
 */
export function lenientCompatDocument(value: unknown): Lenient<unknown> {
  if (!isObject(value)) return { value, warnings: [] };
  const warnings: ValidationIssue[] = [];
  const out: Json = { ...value };
  const version = value["schemaVersion"];
  if (typeof version === "number" && Number.isInteger(version)) {
    warnings.push(
      warning(
        ["schemaVersion"],
        `is the integer ${version}; Proposal J writes the string "${J_SCHEMA_VERSION}"`,
      ),
    );
  } else if (typeof version === "string" && version !== J_SCHEMA_VERSION) {
    warnings.push(
      warning(
        ["schemaVersion"],
        `"${version}" is not a version ocicompat knows ("${J_SCHEMA_VERSION}"); read as that`,
      ),
    );
  }
  if (value["compatibilities"] !== undefined) {
    const sets = lenientSets(value["compatibilities"], ["compatibilities"]);
    out["compatibilities"] = sets.value as Json;
    warnings.push(...sets.warnings);
  }
  if (isObject(value["annotations"])) {
    out["annotations"] = lenientAnnotations(value["annotations"], ["annotations"], warnings);
  }
  return { value: out, warnings };
}

/** A Proposal I compatibilities config, read leniently (its `config.compatibilities`). */
export function lenientCompatConfig(value: unknown): Lenient<unknown> {
  if (!isObject(value) || !isObject(value["config"])) return { value, warnings: [] };
  const inner = value["config"];
  if (inner["compatibilities"] === undefined) return { value, warnings: [] };
  const sets = lenientSets(inner["compatibilities"], ["config", "compatibilities"]);
  return {
    value: { ...value, config: { ...inner, compatibilities: sets.value as Json } },
    warnings: sets.warnings,
  };
}
