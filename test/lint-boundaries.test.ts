// The layer rule of docs/design.md, checked on synthetic files so a broken lint config cannot
// silently allow upward imports.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ESLint } from "eslint";

const eslint = new ESLint();

async function boundaryMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === "no-restricted-imports")
    .map((m) => m.message);
}

describe("layer boundaries", () => {
  const cases: [string, string, boolean][] = [
    ["src/oci/x.ts", 'import { a } from "../compat/catalog.js";', false],
    ["src/oci/x.ts", 'import { a } from "./digest.js";', true],
    ["src/compat/x.ts", 'import { a } from "../oci/digest.js";', true],
    ["src/compat/x.ts", 'import { a } from "../ops/check-spec.js";', false],
    ["src/compat/value/x.ts", 'import { a } from "../../node/profile-file.js";', false],
    ["src/node/x.ts", 'import { a } from "../content/store.js";', false],
    ["src/content/x.ts", 'import { a } from "../node/profile-file.js";', false],
    ["src/ops/x.ts", 'import { a } from "../node/profile-file.js";', true],
    ["src/ops/x.ts", 'import { a } from "../cli/main.js";', false],
    ["src/index.ts", 'import { a } from "./cli/main.js";', false],
    ["src/api/x.ts", 'import { a } from "../cli/main.js";', false],
    ["src/api/x.ts", 'import { a } from "../ops/check-spec.js";', true],
    ["src/cli/x.ts", 'import { a } from "../ops/check-spec.js";', true],
  ];
  for (const [file, code, allowed] of cases) {
    test(`${allowed ? "allows" : "forbids"} ${code.match(/"(.*)"/)?.[1]} in ${file}`, async () => {
      const messages = await boundaryMessages(file, `${code}\nexport const b = a;\n`);
      assert.equal(messages.length === 0, allowed, messages.join("; "));
    });
  }
});
