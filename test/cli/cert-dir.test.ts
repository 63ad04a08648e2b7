// The CLI against the real registry requiring client certificates (mutual TLS), with the TLS
// material where podman and skopeo keep it: $HOME/.config/containers/certs.d/HOST:PORT, found
// without a flag (skopeo, given the same HOME, reads the same directory), or --cert-dir and
// copy's --src-cert-dir.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../content/layout-support.js";
import type { TestRegistry } from "../support/registry.js";
import { startMutualTlsRegistry } from "../support/tls-registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

const work = tempDir("ocicompat-cli-certs-d-");
let registry: TestRegistry;
/** A HOME whose containers certs.d holds the registry's directory. */
let home: string;
let certDir: string;

before(async () => {
  home = join(work.path, "home");
  ({ registry, certDir } = await startMutualTlsRegistry(
    join(work.path, "keys"),
    join(home, ".config/containers/certs.d"),
  ));
});

after(async () => {
  await registry?.stop();
  work.remove();
});

describe("ocicompat with certs.d directories (spawned, real registry with mutual TLS)", () => {
  test("copy and ls find $HOME/.config/containers/certs.d/HOST:PORT without a flag, as skopeo does", () => {
    const env = { HOME: home };
    const copied = runCli(
      ["copy", "--no-plain-http", "oci:examples/demo-layout:demo", `${registry.host}/demo/app:v1`],
      { env },
    );
    assert.equal(copied.status, 0, copied.stderr);
    const listed = runCli(["ls", "--no-plain-http", `${registry.host}/demo/app`], { env });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^v1$/m);
    // skopeo, with the same HOME, reads the same directory and sees the same tag.
    const theirs = spawnSync("skopeo", ["list-tags", `docker://${registry.host}/demo/app`], {
      encoding: "utf8",
      env: { ...process.env, HOME: home },
    });
    assert.equal(theirs.status, 0, theirs.stderr);
    assert.deepEqual(JSON.parse(theirs.stdout).Tags, ["v1"]);
  });

  test("copy --src-cert-dir reads from the registry; without it the error says a client certificate may be missing", () => {
    const empty = join(work.path, "empty-home");
    mkdirSync(empty, { recursive: true });
    const out = join(work.path, "out");
    const src = `${registry.host}/demo/app:v1`;
    const copied = runCli(
      ["copy", "--no-plain-http", "--src-cert-dir", certDir, src, `oci:${out}:v1`],
      { env: { HOME: empty } },
    );
    assert.equal(copied.status, 0, copied.stderr);
    const refused = runCli(
      ["copy", "--no-plain-http", "--ca-file", join(certDir, "ca.crt"), src, `oci:${out}:v2`],
      { env: { HOME: empty } },
    );
    assert.equal(refused.status, 2);
    // The source's own flag: --cert-dir would give the certificate to both sides.
    assert.match(
      refused.stderr,
      /if the registry requires a client certificate, put NAME\.cert and NAME\.key in its certs\.d directory, or pass --src-cert-dir\n$/,
    );
    assert.ok(!hasStackTrace(refused.stderr));
  });
});
