// Registry commands against the real CNCF distribution registry serving HTTPS on loopback, as a
// user runs them: loopback registries get plain HTTP unless --no-plain-http is given.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../content/layout-support.js";
import { makeCertificate } from "../support/certificate.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

let registry: TestRegistry;
let caFile: string;
const work = tempDir("ocicompat-cli-tls-");

before(async () => {
  const { cert, key } = makeCertificate(work.path);
  caFile = cert;
  registry = await startRegistry({ tls: { cert, key } });
});

after(async () => {
  await registry?.stop();
  work.remove();
});

describe("ocicompat against a loopback registry that speaks HTTPS (spawned, real registry)", () => {
  test("copy, ls and select reach it with --no-plain-http and the CA file", () => {
    const https = ["--no-plain-http", "--ca-file", caFile];
    const copied = runCli([
      "copy",
      ...https,
      "oci:examples/demo-layout:demo",
      `${registry.host}/demo/app:v1`,
    ]);
    assert.equal(copied.status, 0, copied.stderr);
    const listed = runCli(["ls", ...https, `${registry.host}/demo/app`]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^v1$/m);
    const selected = runCli([
      "select",
      ...https,
      `${registry.host}/demo/app:v1`,
      "--node",
      "examples/nodes/intel-spr.json",
    ]);
    assert.equal(selected.status, 0, selected.stderr);
    assert.match(selected.stdout, /^sha256:[0-9a-f]{64}$/m);
  });

  test("without --no-plain-http, one line says the registry speaks HTTPS and names the flag (exit 2)", () => {
    const result = runCli(["ls", "--ca-file", caFile, `${registry.host}/demo/app`]);
    assert.equal(result.status, 2);
    assert.equal(hasStackTrace(result.stderr), false);
    assert.match(
      result.stderr,
      /over plain HTTP: it speaks HTTPS \(a loopback registry gets plain HTTP unless --no-plain-http is given\)/,
    );
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  });
});
