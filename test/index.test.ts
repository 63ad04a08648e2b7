import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";

test("the published entry point imports by package name and validates a document", () => {
  assert.ok(existsSync("dist/src/index.js"), "run npm run build first (npm test does)");
  const script = `
    import { validateDocument, parseDigest, VERSION } from "ocicompat";
    const report = validateDocument("layout", { imageLayoutVersion: "1.0.0" });
    console.log(JSON.stringify({ errors: report.errors.length, alg: parseDigest("sha256:${"b".repeat(64)}").algorithm, VERSION }));
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { errors: number; alg: string; VERSION: string };
  assert.deepEqual(out, { errors: 0, alg: "sha256", VERSION: out.VERSION });
  assert.match(out.VERSION, /^\d+\.\d+\.\d+/);
});
