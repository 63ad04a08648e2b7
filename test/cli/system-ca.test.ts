// The CLI against the real registry over TLS whose certificate only the system's CA list vouches
// for (SSL_CERT_FILE, as Go reads it): no --ca-file needed, as skopeo needs none with the same
// environment.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../content/layout-support.js";
import { makeCertificate } from "../support/certificate.js";
import { startTlsRegistry, type TlsRegistry } from "../support/tls-registry.js";
import { runCli } from "./run-cli.js";

const work = tempDir("ocicompat-cli-system-ca-");
let served: TlsRegistry;
let env: Record<string, string>;

before(async () => {
  served = await startTlsRegistry();
  const bundle = join(work.path, "ca-certificates.crt");
  copyFileSync(served.caFile, bundle);
  env = { SSL_CERT_FILE: bundle, SSL_CERT_DIR: "" };
});

after(async () => {
  await served?.stop();
  work.remove();
});

describe("ocicompat with the system's CAs (spawned, real registry over TLS)", () => {
  test("copy and ls trust a certificate from the system's list without --ca-file, as skopeo does", () => {
    const host = served.registry.host;
    const copied = runCli(
      ["copy", "--no-plain-http", "oci:examples/demo-layout:demo", `${host}/demo/app:v1`],
      { env },
    );
    assert.equal(copied.status, 0, copied.stderr);
    const listed = runCli(["ls", "--no-plain-http", `${host}/demo/app`], { env });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^v1$/m);
    const theirs = spawnSync("skopeo", ["list-tags", `docker://${host}/demo/app`], {
      encoding: "utf8",
      env: { ...process.env, ...env },
    });
    assert.equal(theirs.status, 0, theirs.stderr);
    assert.deepEqual(JSON.parse(theirs.stdout).Tags, ["v1"]);
  });

  test("without the CA in the system's list, the refusal says the system's list was tried", () => {
    const unrelated = join(work.path, "unrelated");
    mkdirSync(unrelated);
    makeCertificate(unrelated, "other");
    const result = runCli(["ls", "--no-plain-http", `${served.registry.host}/demo/app`], {
      env: { SSL_CERT_FILE: join(work.path, "absent.crt"), SSL_CERT_DIR: unrelated },
    });
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      new RegExp(
        `its TLS certificate is not trusted \\(the system's CAs, from ${unrelated}, too\\) \\(DEPTH_ZERO_SELF_SIGNED_CERT\\)`,
      ),
    );
  });
});
