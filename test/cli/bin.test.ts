// The process around the CLI (bin/ocicompat.js): a closed standard output, the bundled build, and
// a bundle of another build.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { hasStackTrace, runCli } from "./run-cli.js";

test("a reader that closes the pipe early ends the run quietly with status 0", async () => {
  // Like `ocicompat explain ... | head -1`: stdout is gone before the CLI writes its first line.
  const child = spawn(process.execPath, ["bin/ocicompat.js", "labels", "-o", "json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(stderr, "");
  assert.ok(!hasStackTrace(stderr));
  assert.equal(status, 0);
});

test("a closed pipe does not hide the status: a failed check still exits 1", async () => {
  const args = [
    "bin/ocicompat.js",
    "check",
    "--spec",
    "examples/compat-avx512.yaml",
    "--node",
    "examples/nodes/amd-genoa.json",
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.ok(!hasStackTrace(stderr), stderr);
  assert.doesNotMatch(stderr, /cannot write/);
  assert.equal(status, 1);
});

test("help lists every command, each loaded from the bundle", () => {
  const out = runCli(["--help"]);
  assert.equal(out.status, 0, out.stderr);
  for (const name of ["check", "select", "attach", "detach", "discover", "inspect", "ls", "copy"])
    assert.match(out.stdout, new RegExp(`^  ${name}\\b`, "m"));
  for (const name of ["verify", "protect", "gc", "validate", "labels", "explain"])
    assert.match(out.stdout, new RegExp(`^  ${name}\\b`, "m"));
});

test("a bin beside a bundle of another build says to rebuild, with no stack trace", () => {
  // A checkout pulled without `npm run build`: dist/ still holds a bundle not written for this bin.
  const dir = mkdtempSync(join(tmpdir(), "ocicompat-bin-skew-"));
  try {
    mkdirSync(join(dir, "bin"));
    mkdirSync(join(dir, "dist", "cli"), { recursive: true });
    copyFileSync("bin/ocicompat.js", join(dir, "bin", "ocicompat.js"));
    copyFileSync("bin/package.json", join(dir, "bin", "package.json"));
    writeFileSync(join(dir, "dist", "cli", "main.cjs"), '"use strict";module.exports.main=1;\n');
    writeFileSync(join(dir, "dist", "cli", "main.id"), `${"0".repeat(32)}\n`);
    const run = spawnSync(process.execPath, [join(dir, "bin", "ocicompat.js"), "--version"], {
      encoding: "utf8",
      env: { ...process.env, OCICOMPAT_CODE_CACHE_DIR: "" },
    });
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /^ocicompat: .*main\.cjs is from another build; run `npm run build`\n$/,
    );
    assert.ok(!hasStackTrace(run.stderr));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
