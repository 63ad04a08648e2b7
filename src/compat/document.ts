// What kind of document a file holds, and its full validation: the OCI rules plus, wherever
// compatibility sets appear, the compatibilities rules.
import type { PathSegment } from "../oci/json-path.js";
import { IndexMediaTypes, ManifestMediaTypes, MediaType } from "../oci/media-types.js";
import { schemaIssues } from "../oci/schema-check.js";
import {
  checkOciDocument,
  IssueSink,
  type OciKind,
  type ValidationReport,
} from "../oci/validate.js";
import { AuthoringFileSchema, CompatBlobSchema, SetListSchema } from "./schema.js";
import { createCatalog, type LabelCatalog } from "./catalog.js";
import { compileSets, type CompiledSet } from "./compiled-set.js";
import { checkSetList, readSets } from "./sets.js";
import { isObject } from "../oci/json-value.js";
import { looksLikeNfdSpec, NFD_SPEC_VERSION, readNfdSpec } from "./nfd/spec.js";
import { lenientCompatConfig, lenientCompatDocument, type Lenient } from "./lenient.js";

export const DocumentKinds = ["index", "manifest", "config", "compat", "layout", "nfd"] as const;
export type DocumentKind = (typeof DocumentKinds)[number];

/** The kind a document declares by its mediaType, or else shows by its shape. */
export function detectKind(value: unknown): DocumentKind | undefined {
  if (!isObject(value)) return undefined;
  const mediaType = value["mediaType"];
  if (typeof mediaType === "string") {
    if (IndexMediaTypes.has(mediaType)) return "index";
    if (ManifestMediaTypes.has(mediaType)) return "manifest";
    if (mediaType === MediaType.Compatibilities) return "compat";
  }
  if (Array.isArray(value["manifests"])) return "index";
  if ("config" in value && ("layers" in value || "schemaVersion" in value)) return "manifest";
  if ("imageLayoutVersion" in value) return "layout";
  // NFD's spec (and ocifit-k8s's J-typed copy of it) has rules where sets have labels.
  if (looksLikeNfdSpec(value)) return "nfd";
  if ("compatibilities" in value) return "compat";
  if ("architecture" in value || "os" in value || "rootfs" in value) return "config";
  return undefined;
}

/** How validate names a kind to a person. */
export function describeKind(kind: DocumentKind): string {
  return kind === "nfd" ? `NFD image-compatibility spec (${NFD_SPEC_VERSION})` : kind;
}

export interface ValidateDocumentOptions {
  /** Label types for value syntax; the built-in catalog by default. */
  catalog?: LabelCatalog;
}

/** Validates a parsed document as `kind`. Never throws on bad input. */
export function validateDocument(
  kind: DocumentKind,
  value: unknown,
  options: ValidateDocumentOptions = {},
): ValidationReport {
  return readDocumentLeniently(kind, value, options).report;
}

/**
 * Reads a document the way every reader does (docs/interop.md): real-world deviations from the
 * proposals' text (lenient.ts) are rewritten and become warnings, then the result is validated.
 * `value` is what readers go on with; the report's warnings list every deviation.
 */
export function readDocumentLeniently(
  kind: DocumentKind,
  value: unknown,
  options: ValidateDocumentOptions = {},
): { report: ValidationReport; value: unknown; compiled?: CompiledSet[] } {
  const sink = new IssueSink();
  if (kind === "nfd") {
    const reading = readNfdSpec(value);
    return { report: { errors: reading.errors, warnings: reading.warnings }, value };
  }
  const catalog = options.catalog ?? createCatalog();
  const read: Lenient<unknown> =
    kind === "compat"
      ? lenientCompatDocument(value)
      : kind === "config"
        ? lenientCompatConfig(value)
        : { value, warnings: [] };
  sink.warnings.push(...read.warnings);
  const doc = read.value;
  let compiled: CompiledSet[] | undefined;
  if (kind === "compat") compiled = checkCompatDocument(doc, sink, catalog);
  else {
    checkOciDocument(kind satisfies OciKind, doc, sink);
    if (kind === "config" && isObject(doc) && isObject(doc["config"])) {
      const list = doc["config"]["compatibilities"];
      if (list !== undefined)
        compiled = checkCompatibilities(list, ["config", "compatibilities"], sink, catalog);
    }
  }
  // The sets validation compiled, for readers to evaluate: compiling twice doubled the cost of
  // large documents.
  return compiled === undefined
    ? { report: sink.report(), value: doc }
    : { report: sink.report(), value: doc, compiled };
}

/**
 * The sets of any of the three forms (Proposal I config, Proposal J blob, authoring file): their
 * structure, each value's syntax for its label's type, and sets that are redundant or can never
 * pass.
 */
export function checkCompatibilities(
  list: unknown,
  at: readonly PathSegment[],
  sink: IssueSink,
  catalog: LabelCatalog,
): CompiledSet[] | undefined {
  if (Array.isArray(list) && list.length === 0) {
    sink.error(at, "must hold at least one compatibility set");
  }
  checkSetList(list, at, sink);
  let compiled: CompiledSet[] | undefined;
  if (Array.isArray(list) && list.every(isObject)) {
    const result = compileSets(readSets(list), catalog, at);
    sink.errors.push(...result.errors);
    sink.warnings.push(...result.warnings);
    compiled = result.compiled;
  }
  sink.addErrors(schemaIssues(SetListSchema, list, at));
  return compiled;
}

/** A Proposal J blob (it names its mediaType, schemaVersion or schema) or an authoring file. */
function checkCompatDocument(
  value: unknown,
  sink: IssueSink,
  catalog: LabelCatalog,
): CompiledSet[] | undefined {
  const isBlob =
    isObject(value) && ("mediaType" in value || "schemaVersion" in value || "schema" in value);
  let compiled: CompiledSet[] | undefined;
  if (isObject(value) && value["compatibilities"] !== undefined) {
    compiled = checkCompatibilities(value["compatibilities"], ["compatibilities"], sink, catalog);
  }
  sink.addErrors(schemaIssues(isBlob ? CompatBlobSchema : AuthoringFileSchema, value));
  return compiled;
}
