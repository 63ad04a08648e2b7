// The package as users get it: `npm pack`, installed into an empty project. Runs after the build
// (scripts/test-all.sh builds first); npm installs the dependencies from its cache, which `npm ci`
// has filled, so the registry is consulted only for what the cache lacks.
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, `${cmd} ${args.join(" ")}\n${result.stdout}\n${result.stderr}`);
  return result;
}

describe("the packed package", () => {
  const root = resolve(".");
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
    name: string;
    version: string;
    bin: Record<string, string>;
  };
  let project = "";

  before(() => {
    project = mkdtempSync(join(tmpdir(), "ocicompat-pack-"));
    // --ignore-scripts: the build already ran; prepack would only build again.
    const packed = run(
      NPM,
      ["pack", "--ignore-scripts", "--json", "--pack-destination", project],
      root,
    );
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "t", private: true, type: "module" }),
    );
    run(
      NPM,
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        join(project, filename),
      ],
      project,
    );
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  test("is named ocicompat and ships the ocicompat binary", () => {
    assert.equal(pkg.name, "ocicompat");
    assert.deepEqual(pkg.bin, { ocicompat: "./bin/ocicompat.js" });
  });

  test("npx ocicompat --version prints the package version", () => {
    const result = run(NPM, ["exec", "--offline", "--", "ocicompat", "--version"], project);
    assert.equal(result.stdout.trim(), pkg.version);
  });

  test("the installed CLI runs a whole offline check and exits 1 when nothing fits", () => {
    const result = spawnSync(
      join(project, "node_modules", ".bin", "ocicompat"),
      [
        "check",
        "--spec",
        join(root, "examples/compat-avx512.yaml"),
        "--node",
        join(root, "examples/nodes/amd-genoa.json"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /oci\.cpu\.vendor/);
  });

  test('import from "ocicompat" gives the typed library', () => {
    const script =
      'import { selectImage, parseReference, OcicompatError } from "ocicompat";' +
      "console.log(typeof selectImage, parseReference('example.com/a:b').repository, typeof OcicompatError);";
    const result = run(process.execPath, ["--input-type=module", "-e", script], project);
    assert.equal(result.stdout.trim(), "function a function");
    // index.d.ts re-exports the parts in src/api/; the types must ship with each of them.
    const dir = join(project, "node_modules/ocicompat/dist/src");
    const index = readFileSync(join(dir, "index.d.ts"), "utf8");
    const parts = [...index.matchAll(/export \* from "\.\/(api\/[a-z-]+)\.js";/g)].map((m) =>
      readFileSync(join(dir, `${m[1]}.d.ts`), "utf8"),
    );
    assert.equal(parts.length, 3);
    assert.match(parts.join("\n"), /export declare function selectImage\(|selectImage,/);
  });
});
