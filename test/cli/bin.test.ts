// The process around the CLI (bin/ocicompat.js): a closed standard output, the bundled build.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
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
