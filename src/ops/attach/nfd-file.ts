// The spec `attach --format nfd` pushes: an NFD spec file as it is (validated, bytes unchanged),
// or an ocicompat compatibilities file converted to NFD (compat/nfd/convert.ts). A conversion
// that cannot express everything is refused, listing what: an artifact that checks less than
// the file says would pass nodes the file rejects.
import { stringify } from "yaml";
import type { LabelCatalog } from "../../compat/catalog.js";
import { detectKind } from "../../compat/document.js";
import { setsToNfd } from "../../compat/nfd/convert.js";
import { readNfdSpec } from "../../compat/nfd/spec.js";
import { readSets } from "../../compat/sets.js";
import { ValidationError, type ValidationIssue } from "../../oci/errors.js";
import { DEFAULT_MAX_BYTES } from "../../oci/ijson.js";
import type { Json } from "../../oci/json-value.js";
import { readCompatFile } from "../attach.js";
import { readCapped, readDocument } from "../read-document.js";

export interface NfdSpecFile {
  bytes: Uint8Array;
  /** Converted from ocicompat sets (else pushed as written). */
  converted: boolean;
  warnings: ValidationIssue[];
}

export async function readNfdSpecFile(file: string, catalog?: LabelCatalog): Promise<NfdSpecFile> {
  const { value } = await readDocument(file);
  if (detectKind(value) === "nfd") {
    const reading = readNfdSpec(value);
    if (reading.spec === undefined) throw new ValidationError(file, reading.errors);
    return {
      bytes: await readCapped(file, DEFAULT_MAX_BYTES),
      converted: false,
      warnings: reading.warnings,
    };
  }
  const compat = await readCompatFile(file, catalog);
  const { value: spec, losses } = setsToNfd(readSets(compat.sets as Json[]));
  if (losses.length > 0) throw new ValidationError(file, losses);
  return {
    bytes: new TextEncoder().encode(stringify(spec)),
    converted: true,
    warnings: compat.warnings,
  };
}
