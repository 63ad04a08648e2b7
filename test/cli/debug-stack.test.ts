// OCICOMPAT_DEBUG's stack trace names the modules the bundle was built from, not the minified
// bundle: Node 20 maps no code compiled by vm.Script, so the CLI maps its frames itself.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { mappedStack } from "../../src/cli/debug-stack.js";
import { runCli } from "./run-cli.js";

test("a debug stack names dist/src files and lines, each at the code that ran", () => {
  const out = runCli(["inspect", "oci:/nonexistent-layout-dir:tag"], {
    env: { OCICOMPAT_DEBUG: "1" },
  });
  assert.equal(out.status, 2);
  const [first, ...rest] = out.stderr.split("\n");
  assert.match(first ?? "", /^ocicompat: .*is not an OCI image layout/);
  assert.doesNotMatch(out.stderr, /main\.cjs:\d+/);
  const frames = [...out.stderr.matchAll(/(\/\S+\/dist\/src\/\S+\.js):(\d+):\d+/g)];
  assert.ok(frames.length >= 3, rest.join("\n"));
  // The innermost frame is the line that threw.
  const [, file, line] = frames[0]!;
  const thrower = readFileSync(file!, "utf8").split("\n")[Number(line) - 1];
  assert.match(thrower ?? "", /throw new OcicompatError\("NOT_FOUND"/);
});

test("frames outside the bundle, and a bundle without a map, are left as they are", () => {
  const stack = "Error: x\n    at f (/srv/app/other.js:1:2)\n    at g (/nowhere/main.cjs:3:4)";
  assert.equal(mappedStack(stack), stack);
});
