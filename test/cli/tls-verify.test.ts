// skopeo's --tls-verify=false, --src-tls-verify and --dest-tls-verify: no certificate check, and
// plain HTTP where a registry does not speak TLS, on the side named only. Against the real CNCF
// distribution registry over TLS (a throwaway certificate nobody trusts), one over plain HTTP
// reached as 127.1 (not taken for loopback, so HTTPS is tried first), and skopeo beside.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { startTlsRegistry, type TlsRegistry } from "../support/tls-registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

const USER = "alice";
const PASSWORD = "correct-horse";
let secure: TlsRegistry;
let plain: TestRegistry;
const work = tempDir("ocicompat-cli-tls-verify-");
const DEMO = "oci:examples/demo-layout:demo";

before(async () => {
  secure = await startTlsRegistry({ htpasswd: `${USER}:${bcrypt.hashSync(PASSWORD, 4)}\n` });
  plain = await startRegistry();
});
after(async () => {
  await secure?.stop();
  await plain?.stop();
  work.remove();
});

describe("--tls-verify=false and its per-side forms (spawned, real registries, skopeo beside)", () => {
  const auth = join(work.path, "auth.json");
  const env = { REGISTRY_AUTH_FILE: auth };

  test("login and copy reach a registry whose certificate nobody vouches for with --tls-verify=false / --dest-tls-verify=false, as skopeo does, and not without", () => {
    const host = secure.registry.host;
    const refused = runCli(["login", "-u", USER, "--password-stdin", host], {
      input: PASSWORD,
      env,
    });
    assert.equal(refused.status, 2);
    const login = runCli(["login", "--tls-verify=false", "-u", USER, "--password-stdin", host], {
      input: PASSWORD,
      env,
    });
    assert.equal(login.status, 0, login.stderr);
    const blocked = runCli(["copy", DEMO, `${host}/demo/app:v1`], { env });
    assert.equal(blocked.status, 2);
    assert.ok(!hasStackTrace(blocked.stderr));
    // The way out named is the destination's own flag: --insecure would relax both sides.
    assert.match(blocked.stderr, /destination .*or --dest-tls-verify=false to skip verification/);
    assert.doesNotMatch(blocked.stderr, /--insecure/);
    const copied = runCli(["copy", "--dest-tls-verify=false", DEMO, `${host}/demo/app:v1`], {
      env,
    });
    assert.equal(copied.status, 0, copied.stderr);
    const theirs = spawnSync(
      "skopeo",
      ["copy", "--dest-tls-verify=false", DEMO, `docker://${host}/demo/skopeo:v1`],
      { encoding: "utf8", env: { ...process.env, ...env } },
    );
    assert.equal(theirs.status, 0, theirs.stderr);
    const listed = runCli(["ls", "--no-tls-verify", `${host}/demo/skopeo`], { env });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^v1$/m);
  });

  test("--dest-tls-verify=false leaves the source's certificate checked, and --src-tls-verify=false relaxes the source alone", () => {
    const src = `${secure.registry.host}/demo/app:v1`;
    const destOnly = runCli(["copy", "--dest-tls-verify=false", src, `oci:${work.path}/a:1`], {
      env,
    });
    assert.equal(destOnly.status, 2, "the source is still verified");
    assert.match(destOnly.stderr, /not trusted.*or --src-tls-verify=false to skip verification/);
    const srcOnly = runCli(["copy", "--src-tls-verify=false", src, `oci:${work.path}/b:1`], {
      env,
    });
    assert.equal(srcOnly.status, 0, srcOnly.stderr);
  });

  test("a source that registries.conf sends to the destination's host is still named as the source in the hint", () => {
    // The source's traffic goes to the destination's host: only the failed call tells the side.
    const conf = join(work.path, "registries.conf");
    writeFileSync(
      conf,
      `[[registry]]\nprefix = "example.invalid/demo"\nlocation = "${secure.registry.host}/demo"\n`,
    );
    const failed = runCli(
      ["copy", "example.invalid/demo/app:v1", `${secure.registry.host}/demo/copy:v1`],
      { env: { ...env, CONTAINERS_REGISTRIES_CONF: conf } },
    );
    assert.equal(failed.status, 2);
    assert.match(failed.stderr, /not trusted.*or --src-tls-verify=false to skip verification/);
    assert.doesNotMatch(failed.stderr, /--dest-tls-verify|--insecure/);
  });

  test("a registry that speaks only plain HTTP is read over HTTP after HTTPS fails, with --tls-verify=false only", () => {
    const port = plain.host.split(":")[1];
    const host = `127.1:${port}`;
    const pushed = runCli(["copy", DEMO, `${plain.host}/demo/app:v1`]);
    assert.equal(pushed.status, 0, pushed.stderr);
    const refused = runCli(["ls", `${host}/demo/app`]);
    assert.equal(refused.status, 2);
    const listed = runCli(["ls", "--tls-verify=false", `${host}/demo/app`]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^v1$/m);
  });

  test("a value other than true or false is a usage error naming the flag; the flag alone takes no value, so the reference after it stays the reference", () => {
    const result = runCli(["ls", "--tls-verify=maybe", `${plain.host}/demo/app`]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--tls-verify takes true or false, not "maybe"/);
    const bare = runCli(["ls", "--tls-verify", `${plain.host}/demo/app`]);
    assert.equal(bare.status, 0, bare.stderr);
    assert.match(bare.stdout, /^v1$/m);
  });

  test("an explicit true wins over --insecure or --tls-verify=false on its side: --tls-verify=false --src-tls-verify=true still checks the source, as skopeo does", () => {
    const src = `${secure.registry.host}/demo/app:v1`;
    for (const relaxed of [["--tls-verify=false"], ["--insecure"]]) {
      const result = runCli(
        ["copy", ...relaxed, "--src-tls-verify=true", src, `oci:${work.path}/c-${relaxed[0]}:1`],
        { env },
      );
      assert.equal(result.status, 2, `${relaxed[0]}: ${result.stderr}`);
      assert.match(result.stderr, /not trusted/);
    }
    const theirs = spawnSync(
      "skopeo",
      [
        "--tls-verify=false",
        "copy",
        "--src-tls-verify=true",
        `docker://${src}`,
        `oci:${work.path}/c-skopeo:1`,
      ],
      { encoding: "utf8", env: { ...process.env, ...env } },
    );
    assert.notEqual(theirs.status, 0, "skopeo checks the source too");
    assert.match(theirs.stderr, /x509|certificate/i);
  });
});
