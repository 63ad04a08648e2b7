// Renders the published JSON Schema files from the one schema source (src/oci/schema.ts,
// src/compat/schema.ts). Used by gen-schema.ts to write them and by a test to catch stale files.
import { COMPAT_SCHEMAS } from "../src/compat/schema.js";
import { OCI_SCHEMAS, SCHEMA_BASE_URI } from "../src/oci/schema.js";

export const SCHEMA_DIR = "schema";

export function renderSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of Object.entries({ ...OCI_SCHEMAS, ...COMPAT_SCHEMAS })) {
    const document = {
      $schema: "http://json-schema.org/draft-07/schema#",
      $id: `${SCHEMA_BASE_URI}${name}`,
      ...schema,
    };
    files.set(name, `${JSON.stringify(document, null, 2)}\n`);
  }
  return files;
}
