// Writes docs/labels.md from the built-in label catalog: `npx tsx scripts/gen-labels-doc.ts`.
// test/compat/labels-doc.test.ts fails when the committed page differs from what this writes.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BUILTIN_LABELS } from "../src/compat/catalog.js";
import { renderLabelsDoc } from "../src/compat/labels-doc.js";

const target = fileURLToPath(new URL("../docs/labels.md", import.meta.url));
writeFileSync(target, renderLabelsDoc(BUILTIN_LABELS));
console.log(`wrote ${target} (${BUILTIN_LABELS.length} labels)`);
