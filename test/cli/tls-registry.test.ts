// Registry commands against the real CNCF distribution registry serving HTTPS on loopback, as a
// user runs them: loopback registries get plain HTTP unless --no-plain-http is given.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../content/layout-support.js";
import { makeCertificate } from "../support/certificate.js";
import type { TestRegistry } from "../support/registry.js";
import { startTlsRegistry, type TlsRegistry } from "../support/tls-registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

let served: TlsRegistry;
let registry: TestRegistry;
let caFile: string;
const work = tempDir("ocicompat-cli-tls-");

before(async () => {
  served = await startTlsRegistry();
  ({ registry, caFile } = served);
});

after(async () => {
  await served?.stop();
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

  test("select speaks HTTP/2 to it on one connection; --no-http2 makes it HTTP/1.1", () => {
    const https = ["--no-plain-http", "--ca-file", caFile];
    const copied = runCli([
      "copy",
      ...https,
      "oci:examples/demo-layout:demo",
      `${registry.host}/demo/h2:v1`,
    ]);
    assert.equal(copied.status, 0, copied.stderr);
    // Records the protocol of each connection undici opens in the spawned CLI.
    const log = join(work.path, "connections.log");
    const preload = join(work.path, "connections.cjs");
    writeFileSync(
      preload,
      `require("node:diagnostics_channel").subscribe("undici:client:connected", (m) => require("node:fs").appendFileSync(${JSON.stringify(log)}, m.connectParams.version + "\\n"));`,
    );
    const selectWith = (extra: string[]): string[] => {
      writeFileSync(log, "");
      const args = [
        "select",
        ...https,
        ...extra,
        `${registry.host}/demo/h2:v1`,
        "--node",
        "examples/nodes/intel-spr.json",
      ];
      const selected = runCli(args, {
        env: {
          NODE_OPTIONS: `--require ${preload}`,
          OCICOMPAT_CACHE_DIR: join(work.path, "cache"),
        },
      });
      assert.equal(selected.status, 0, selected.stderr);
      assert.match(selected.stdout, /^sha256:[0-9a-f]{64}$/m);
      return readFileSync(log, "utf8").split("\n").filter(Boolean);
    };
    assert.deepEqual(selectWith([]), ["h2"], "cold");
    assert.deepEqual(selectWith([]), ["h2"], "warm");
    const h1 = selectWith(["--no-http2"]);
    assert.ok(h1.length > 1 && h1.every((v) => v === "h1"), String(h1));
  });

  test("without --no-plain-http, ls still reaches it: its answer to plain HTTP moves ocicompat to HTTPS", () => {
    const result = runCli(["ls", "--ca-file", caFile, `${registry.host}/demo/app`]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^v1$/m);
  });

  test("NODE_EXTRA_CA_CERTS stays trusted when --ca-file adds an unrelated CA, and both together trust each one's registry", () => {
    const unrelated = makeCertificate(work.path, "unrelated").cert;
    // The system's list is one that vouches for nothing here, so only Node's lists decide.
    const env = { NODE_EXTRA_CA_CERTS: caFile, SSL_CERT_FILE: unrelated, SSL_CERT_DIR: "" };
    const https = ["--no-plain-http", "--ca-file", unrelated];
    const listed = runCli(["ls", ...https, `${registry.host}/demo/app`], { env });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^v1$/m);
    const refused = runCli(["ls", ...https, `${registry.host}/demo/app`], {
      env: { ...env, NODE_EXTRA_CA_CERTS: unrelated },
    });
    assert.equal(refused.status, 2, "a CA neither list holds is refused");
  });

  test("with --plain-http, one line says the registry speaks HTTPS and names the flag (exit 2)", () => {
    const result = runCli(["ls", "--plain-http", "--ca-file", caFile, `${registry.host}/demo/app`]);
    assert.equal(result.status, 2);
    assert.equal(hasStackTrace(result.stderr), false);
    assert.match(result.stderr, /over plain HTTP: it speaks HTTPS \(drop --plain-http\)/);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  });
});
