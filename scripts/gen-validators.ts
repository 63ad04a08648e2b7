// Regenerates src/oci/schema-checks.generated.ts. Run after changing a schema: npm run gen:validators
import { writeFileSync } from "node:fs";
import { renderValidatorFile, VALIDATOR_FILE } from "./validator-file.js";

writeFileSync(VALIDATOR_FILE, await renderValidatorFile());
console.log(`wrote ${VALIDATOR_FILE}`);
