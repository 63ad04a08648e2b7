// scripts/bundle-cli.mjs gives undici's HTTP/2 client a stand-in for node:http2, so that no
// command loads node:http2 (ocicompat never speaks HTTP/2): the stand-in must hold the real values.
// commander gets one for node:child_process, which it needs only for executable subcommands; undici
// gets ones for node:http (two values) and node:assert (one function).
import assert from "node:assert/strict";
import { spawnSync, type spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { IncomingMessage, maxHeaderSize } from "node:http";
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
function builtinsLoaded(args: string[], env: NodeJS.ProcessEnv = {}): string {
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
      env: { ...process.env, ...env },
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

test("a registry command of the bundled CLI loads neither node:http, node:tls nor node:assert", () => {
  const loaded = builtinsLoaded(["copy", "--help"]);
  assert.match(loaded, /NativeModule net\b/, "the registry stack was loaded");
  assert.doesNotMatch(loaded, /NativeModule (http|tls|assert)\b/);
});

interface HttpStandIn {
  IncomingMessage: unknown;
  maxHeaderSize: number;
}

test("undici's stand-in for node:http holds node:http's own IncomingMessage class and header limit", () => {
  const shim = require("../scripts/bundle-shims/http.cjs") as HttpStandIn;
  assert.equal(shim.IncomingMessage, IncomingMessage);
  assert.equal(shim.maxHeaderSize, maxHeaderSize);
});

test("undici's stand-in for node:http reports a header limit set by --max-http-header-size, on the command line or in NODE_OPTIONS", () => {
  const script = `const shim = require(${JSON.stringify(require.resolve("../scripts/bundle-shims/http.cjs"))}); console.log(shim.maxHeaderSize, require("node:http").maxHeaderSize)`;
  const viaArgv = spawnSync(process.execPath, ["--max-http-header-size=32768", "-e", script], {
    encoding: "utf8",
  });
  assert.equal(viaArgv.stdout.trim(), "32768 32768", viaArgv.stderr);
  const viaEnv = spawnSync(process.execPath, ["-e", script], {
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "--max-http-header-size=65536" },
  });
  assert.equal(viaEnv.stdout.trim(), "65536 65536", viaEnv.stderr);
});

test("undici calls node:assert only as a function, which is all its stand-in provides", () => {
  const lib = join("node_modules", "undici", "lib");
  const files = readdirSync(lib, { recursive: true, encoding: "utf8" }).filter((f) =>
    f.endsWith(".js"),
  );
  assert.ok(files.length > 50, "undici's sources were found");
  for (const file of files) {
    const text = readFileSync(join(lib, file), "utf8");
    if (!/require\('node:assert'\)/.test(text)) continue;
    assert.doesNotMatch(text, /\bassert\.\w+/, `${file} uses a member of node:assert`);
    assert.match(text, /const assert = require\('node:assert'\)/, file);
  }
});

test("the stand-in for node:assert passes truthy values and throws node:assert's AssertionError shape otherwise", () => {
  const shim = require("../scripts/bundle-shims/assert.cjs") as (v: unknown, m?: string) => void;
  shim(1, "fine");
  assert.throws(
    () => shim(0, "disturbed"),
    (err: Error & { code?: string }) =>
      err.name === "AssertionError" && err.code === "ERR_ASSERTION" && err.message === "disturbed",
  );
  assert.throws(() => shim(false), /falsy/);
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

test("discovering this host without site hooks or label-pack commands does not load node:child_process", () => {
  const empty = mkdtempSync(join(tmpdir(), "ocicompat-no-hooks-"));
  try {
    const loaded = builtinsLoaded(["discover"], { OCICOMPAT_CONFIG_DIR: empty });
    assert.match(loaded, /NativeModule fs\b/);
    assert.doesNotMatch(loaded, /NativeModule child_process\b/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
