// scripts/bundle-cli.mjs gives undici's HTTP/2 client a stand-in for node:http2, so that no
// command loads node:http2 (ocicompat never speaks HTTP/2): the stand-in must hold the real values.
// commander gets one for node:child_process, which it needs only for executable subcommands.
import assert from "node:assert/strict";
import { spawnSync, type spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const require = createRequire(import.meta.url);

test("the bundle's stand-in for node:http2 holds node:http2's values of every constant undici's HTTP/2 client reads", () => {
  const shim = require("../scripts/bundle-shims/http2.cjs") as {
    constants: Record<string, unknown>;
    connect: unknown;
  };
  const real = constants as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(shim.constants)) {
    assert.equal(value, real[name], name);
  }
  assert.equal(typeof shim.connect, "function");
});

/** The Node built-in modules a run of the bundled CLI with `args` loaded. */
function builtinsLoaded(args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "ocicompat-shim-"));
  try {
    const preload = join(dir, "modules.cjs");
    const list = join(dir, "modules.txt");
    writeFileSync(
      preload,
      `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join("\\n")));`,
    );
    const run = spawnSync(process.execPath, ["-r", preload, "bin/ocicompat.js", ...args], {
      encoding: "utf8",
    });
    assert.equal(run.status, 0, run.stderr);
    return readFileSync(list, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a registry command of the bundled CLI does not load node:http2", () => {
  const loaded = builtinsLoaded(["copy", "--help"]);
  assert.match(loaded, /NativeModule net\b/, "the registry stack was loaded");
  assert.doesNotMatch(loaded, /NativeModule http2\b/);
});

test("commander's stand-in for node:child_process loads the real module on its first spawn", () => {
  const shim = require("../scripts/bundle-shims/child-process.cjs") as {
    spawn: typeof spawn;
  };
  const child = shim.spawn(process.execPath, ["-e", "0"]);
  assert.equal(typeof child.pid, "number");
  child.kill();
});

test("select with a node profile loads neither node:child_process (commander, discovery) nor HTTP for a layout", () => {
  const loaded = builtinsLoaded([
    "select",
    "--node",
    "examples/nodes/intel-spr.json",
    "oci:examples/demo-layout:demo",
  ]);
  assert.match(loaded, /NativeModule fs\b/);
  assert.doesNotMatch(loaded, /NativeModule child_process\b/);
  assert.doesNotMatch(loaded, /NativeModule (http|tls|zlib)\b/);
});
