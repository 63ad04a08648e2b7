// The authoring file attach reads: YAML or JSON compatibility sets, or a Proposal J blob, validated
// strictly before anything is written (attach --format nfd converts the same file, nfd-file.ts).
import type { LabelCatalog } from "../../compat/catalog.js";
import { detectKind, readDocumentLeniently } from "../../compat/document.js";
import { OcicompatError, ValidationError, type ValidationIssue } from "../../oci/errors.js";
import { readDocument } from "../read-document.js";
import type { CompatSet } from "./options.js";

export interface CompatFile {
  sets: CompatSet[];
  /** The annotations of a Proposal J blob file. */
  annotations?: Record<string, string>;
  warnings: ValidationIssue[];
}

/**
 * Reads an authoring file (YAML or JSON) or a Proposal J blob and validates it strictly: any
 * error throws a ValidationError listing every problem; warnings are returned.
 */
export async function readCompatFile(file: string, catalog?: LabelCatalog): Promise<CompatFile> {
  const { value } = await readDocument(file);
  if (detectKind(value) !== "compat") {
    throw new OcicompatError(
      "VALIDATION",
      'is not a compatibilities file: expected {"compatibilities": [ {set}, ... ]} or a Proposal J blob',
      { subject: file },
    );
  }
  // Read leniently (docs/interop.md): what is written is the normalised form.
  const read = readDocumentLeniently("compat", value, catalog === undefined ? {} : { catalog });
  const report = read.report;
  if (report.errors.length > 0) throw new ValidationError(file, report.errors);
  const doc = read.value as { compatibilities: CompatSet[]; annotations?: Record<string, string> };
  const out: CompatFile = { sets: doc.compatibilities, warnings: report.warnings };
  if (doc.annotations !== undefined) out.annotations = doc.annotations;
  return out;
}
