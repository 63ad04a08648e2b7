// Regenerates schema/*.json. Run after changing a schema: npm run gen:schema
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderSchemaFiles, SCHEMA_DIR } from "./schema-files.js";

mkdirSync(SCHEMA_DIR, { recursive: true });
for (const old of readdirSync(SCHEMA_DIR)) if (old.endsWith(".json")) rmSync(join(SCHEMA_DIR, old));
for (const [name, text] of renderSchemaFiles()) writeFileSync(join(SCHEMA_DIR, name), text);
console.log(`wrote ${renderSchemaFiles().size} files to ${SCHEMA_DIR}/`);
