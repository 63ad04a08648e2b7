// The size rule of docs/design.md ("Layers"): a module that passes 400 lines is split by concern.
// Generated files (npm run gen:validators) are data, not modules anyone reads through.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const LIMIT = 400;

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modules(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".generated.ts") ? [path] : [];
  });
}

test(`no module in src/ passes ${LIMIT} lines (generated files aside)`, () => {
  const all = modules("src");
  assert.ok(all.length > 100, `expected the whole tree, found ${all.length} modules`);
  const over = all
    .map((file) => ({ file, lines: readFileSync(file, "utf8").split("\n").length - 1 }))
    .filter((m) => m.lines > LIMIT)
    .map((m) => `${m.file}: ${m.lines}`);
  assert.deepEqual(over, []);
});
