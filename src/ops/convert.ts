// `ocicompat convert FILE`: an NFD image-compatibility spec into an ocicompat authoring file, or an
// ocicompat compatibilities document (authoring file, Proposal J blob, Proposal I config) into an
// NFD spec. The input is validated first (an invalid one is a ValidationError, exit 2); what the
// target cannot express comes back in `losses`, each with its JSON path in the input.
import type { LabelCatalog } from "../compat/catalog.js";
import { detectKind, readDocumentLeniently } from "../compat/document.js";
import { nfdToSets, setsToNfd, type ConversionLoss } from "../compat/nfd/convert.js";
import { readNfdSpec } from "../compat/nfd/spec.js";
import { readSets } from "../compat/sets.js";
import { OcicompatError, ValidationError, type ValidationIssue } from "../oci/errors.js";
import { isObject, type Json } from "../oci/json-value.js";
import { readDocument } from "./read-document.js";

export interface ConvertResult {
  file: string;
  from: "nfd" | "ocicompat";
  to: "ocicompat" | "nfd";
  /** The converted document, ready to be written as YAML or JSON. */
  document: unknown;
  /** What the target format cannot express; the document leaves these out. */
  losses: ConversionLoss[];
  /** Deviations the input was read with (docs/interop.md). */
  warnings: ValidationIssue[];
}

export async function convertFile(
  file: string,
  options: { catalog?: LabelCatalog; architecture?: string } = {},
): Promise<ConvertResult> {
  const { value } = await readDocument(file);
  const kind = detectKind(value);
  if (kind === "nfd") {
    const reading = readNfdSpec(value);
    if (reading.spec === undefined) throw new ValidationError(file, reading.errors);
    const { value: document, losses } = nfdToSets(reading.spec);
    return { file, from: "nfd", to: "ocicompat", document, losses, warnings: reading.warnings };
  }
  if (kind === "compat" || kind === "config") {
    const read = readDocumentLeniently(
      kind,
      value,
      options.catalog ? { catalog: options.catalog } : {},
    );
    if (read.report.errors.length > 0) throw new ValidationError(file, read.report.errors);
    const doc = read.value as Json;
    const inner = kind === "config" && isObject(doc["config"]) ? doc["config"] : doc;
    const list = inner["compatibilities"];
    if (!Array.isArray(list)) {
      throw new OcicompatError("VALIDATION", "holds no compatibility sets", { subject: file });
    }
    const { value: document, losses } = setsToNfd(
      readSets(list as Json[]),
      options.architecture !== undefined ? { architecture: options.architecture } : {},
    );
    return { file, from: "ocicompat", to: "nfd", document, losses, warnings: read.report.warnings };
  }
  throw new OcicompatError(
    "VALIDATION",
    `is neither an NFD image-compatibility spec nor an ocicompat compatibilities document${kind ? ` (found ${kind})` : ""}`,
    { subject: file },
  );
}
