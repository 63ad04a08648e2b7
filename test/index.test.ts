import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

test("the library copies an image as `ocicompat copy` does, by package name", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocicompat-index-copy-"));
  try {
    const script = `
      import { copyImage, failedSide, openLayout } from "ocicompat";
      const src = await openLayout("examples/demo-layout");
      const dst = await openLayout(${JSON.stringify(join(dir, "out"))}, { create: true });
      const result = await copyImage({ src, reference: "demo", dst, tag: "v1", platforms: ["linux/arm64"] });
      const missing = await copyImage({ src, reference: "no-such-tag", dst }).catch((e) => e);
      console.log(JSON.stringify({ kept: result.kept, tagged: (await dst.resolve("v1")).digest === result.root.digest, side: failedSide(missing) }));
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { kept: ["linux/arm64"], tagged: true, side: "source" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
