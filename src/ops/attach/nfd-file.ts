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
import { readCapped, readDocument } from "../read-document.js";
import { readCompatFile } from "./compat-file.js";

export interface NfdSpecFile {
  /**
   * The spec pushed for an entry of `architecture`: the file's bytes as written, or the sets
   * converted with NFD's CPU flag names on that architecture. A ValidationError lists what the
   * conversion cannot express there.
   */
  specFor(architecture: string): Uint8Array;
  /** Converted from ocicompat sets (else pushed as written). */
  converted: boolean;
  warnings: ValidationIssue[];
}

export async function readNfdSpecFile(file: string, catalog?: LabelCatalog): Promise<NfdSpecFile> {
  const { value } = await readDocument(file);
  if (detectKind(value) === "nfd") {
    const reading = readNfdSpec(value);
    if (reading.spec === undefined) throw new ValidationError(file, reading.errors);
    const bytes = await readCapped(file, DEFAULT_MAX_BYTES);
    return { specFor: () => bytes, converted: false, warnings: reading.warnings };
  }
  const compat = await readCompatFile(file, catalog);
  const sets = readSets(compat.sets as Json[]);
  const byArchitecture = new Map<string, Uint8Array>();
  const specFor = (architecture: string): Uint8Array => {
    let bytes = byArchitecture.get(architecture);
    if (bytes === undefined) {
      const { value: spec, losses } = setsToNfd(sets, { architecture });
      if (losses.length > 0) {
        throw new ValidationError(
          file,
          losses.map((l) => ({ ...l, message: `${l.message} (for ${architecture} entries)` })),
        );
      }
      bytes = new TextEncoder().encode(stringify(spec));
      byArchitecture.set(architecture, bytes);
    }
    return bytes;
  };
  return { specFor, converted: true, warnings: compat.warnings };
}
