// `ocicompat validate`: read each file, tell its kind, validate it. A file that cannot be read is an
// error (exit 2); a file that reads but is not a valid document is invalid (exit 1).
import { detectKind, validateDocument, type DocumentKind } from "../compat/document.js";
import type { LabelCatalog } from "../compat/catalog.js";
import {
  isOcicompatError,
  type OcicompatError,
  type ErrorCode,
  type ValidationIssue,
} from "../oci/errors.js";
import { DEFAULT_MAX_BYTES } from "../oci/ijson.js";
import { readDocument, type LocalDocument } from "./read-document.js";

export type FileVerdict = "valid" | "invalid" | "unreadable";

export interface FileValidation {
  file: string;
  verdict: FileVerdict;
  kind?: DocumentKind;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** Set when the file could not be read (unreadable) or parsed (invalid). */
  failure?: { code: ErrorCode; message: string };
}

export interface ValidateOptions {
  kind?: DocumentKind;
  maxBytes?: number;
  catalog?: LabelCatalog;
  /** Warnings (deviations read leniently, docs/interop.md) make a file invalid too. */
  strict?: boolean;
}

export async function validateFiles(
  files: readonly string[],
  options: ValidateOptions = {},
): Promise<FileValidation[]> {
  return Promise.all(files.map((f) => validateFile(f, options)));
}

export async function validateFile(
  file: string,
  options: ValidateOptions = {},
): Promise<FileValidation> {
  let doc: LocalDocument;
  try {
    doc = await readDocument(file, options.maxBytes ?? DEFAULT_MAX_BYTES);
  } catch (err) {
    if (!isOcicompatError(err)) throw err;
    return failed(file, err.code === "IO" ? "unreadable" : "invalid", err);
  }
  const kind = options.kind ?? detectKind(doc.value);
  if (kind === undefined) {
    return invalid(
      file,
      undefined,
      "cannot tell what kind of document this is (no known mediaType, and no index, manifest, config, compatibilities or oci-layout shape); pass --kind",
    );
  }
  if (doc.format === "yaml" && kind !== "compat" && kind !== "nfd") {
    return invalid(
      file,
      kind,
      `YAML is accepted only for compatibilities authoring files and NFD specs; a ${kind} must be JSON`,
    );
  }
  const report = validateDocument(
    kind,
    doc.value,
    options.catalog ? { catalog: options.catalog } : {},
  );
  const failing = report.errors.length + (options.strict ? report.warnings.length : 0);
  return {
    file,
    verdict: failing === 0 ? "valid" : "invalid",
    kind,
    errors: report.errors,
    warnings: report.warnings,
  };
}

function invalid(file: string, kind: DocumentKind | undefined, message: string): FileValidation {
  return {
    file,
    verdict: "invalid",
    ...(kind ? { kind } : {}),
    errors: [{ path: "$", message }],
    warnings: [],
  };
}

function failed(file: string, verdict: FileVerdict, err: OcicompatError): FileValidation {
  return {
    file,
    verdict,
    errors: [],
    warnings: [],
    failure: { code: err.code, message: err.message },
  };
}
