// The README's library example is real: its code block, with the package name pointing at this
// checkout's build (run `npm run build` first), type-checks under strict TypeScript and runs
// against the bundled demo layout, printing what selectImage chooses.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { createStoreOpener } from "../../src/content/open.js";
import { selectImage } from "../../src/ops/select.js";
import { tempDir } from "../content/layout-support.js";

const MARKER = "<!-- readme:library-example -->";

function exampleCode(): string {
  const readme = readFileSync("README.md", "utf8");
  const at = readme.indexOf(MARKER);
  assert.ok(at >= 0, `README.md has no ${MARKER}`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, "no ```ts block after the marker");
  return block[1]!;
}

test("the README's library example has at most ten lines and imports from ocicompat", () => {
  const code = exampleCode();
  assert.ok(code.trimEnd().split("\n").length <= 10, code);
  assert.match(code, /from "ocicompat";/);
});

test("the README's library example type-checks (strict) and prints the entry selectImage chooses for the demo", async () => {
  const dir = tempDir("ocicompat-readme-");
  try {
    const library = resolve("dist/src/index.js");
    const file = join(dir.path, "example.mts");
    writeFileSync(
      file,
      exampleCode().replace('from "ocicompat"', `from ${JSON.stringify(library)}`),
    );
    const tsc = spawnSync(
      process.execPath,
      [
        "node_modules/typescript/bin/tsc",
        "--noEmit",
        "--strict",
        "--noUncheckedIndexedAccess",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--skipLibCheck",
        file,
      ],
      { encoding: "utf8" },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    const run = spawnSync(process.execPath, ["--import", "tsx", file], {
      encoding: "utf8",
      env: { ...process.env, OCICOMPAT_CACHE_DIR: join(dir.path, "cache") },
    });
    assert.equal(run.status, 0, run.stderr);
    const opener = createStoreOpener();
    try {
      const expected = await selectImage({
        reference: "oci:examples/demo-layout:demo",
        nodeFile: "examples/nodes/intel-spr.json",
        opener,
        catalog: createCatalog(),
      });
      const lines = run.stdout.trimEnd().split("\n");
      assert.equal(lines[0], `compatible ${expected.chosen?.digest}`);
      assert.equal(lines.length, 1 + expected.entries.length);
      assert.match(lines[1 + expected.chosen!.index]!, /\bchosen\b/);
    } finally {
      await opener.close();
    }
  } finally {
    dir.remove();
  }
});
