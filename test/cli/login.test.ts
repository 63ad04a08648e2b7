// Credentials container users already have, end to end: `ocicompat login`/`logout`, the files
// podman itself writes, the read order and the flags that override it, and copy with different
// credentials per side. Two real distribution registries with htpasswd (bcrypt) authentication;
// podman from Debian's package. Every run has its own HOME and XDG_RUNTIME_DIR.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { openLayout } from "../../src/content/layout.js";
import { pushAll, sampleImage, tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { credentialSandbox } from "../support/cli-env.js";
import { hasStackTrace, runCli, type CliResult } from "./run-cli.js";

const ALICE = { user: "alice", password: "alice-s3cret" };
const BOB = { user: "bob", password: "bob:with-colon" };
let a: TestRegistry; // alice only
let b: TestRegistry; // bob only
const work = tempDir("ocicompat-cli-login-");
let counter = 0;

function htpasswd(...users: { user: string; password: string }[]): string {
  return users.map((u) => `${u.user}:${bcrypt.hashSync(u.password, 4)}\n`).join("");
}

function b64(text: string): string {
  return Buffer.from(text).toString("base64");
}

/** A fresh HOME and XDG_RUNTIME_DIR; nothing of the real user's environment leaks in. */
function sandbox() {
  const dir = join(work.path, `s${counter++}`);
  const { home, runtime, env } = credentialSandbox(dir);
  return {
    dir,
    home,
    primary: join(runtime, "containers", "auth.json"),
    configHome: join(home, ".config", "containers", "auth.json"),
    docker: join(home, ".docker", "config.json"),
    env,
  };
}

function authJson(path: string, host: string, user: string, password: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, JSON.stringify({ auths: { [host]: { auth: b64(`${user}:${password}`) } } }));
}

function podman(args: string[], env: Record<string, string>, input = ""): CliResult {
  const r = spawnSync("podman", args, {
    encoding: "utf8",
    input,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `ls` of a missing repository: NOT_FOUND proves the credentials were accepted, AUTH that not. */
function authenticated(r: CliResult): boolean {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(hasStackTrace(r.stderr), false);
  if (/not found/.test(r.stderr)) return true;
  assert.match(r.stderr, /authentication required|wrong credentials/);
  return false;
}

before(async () => {
  a = await startRegistry({ htpasswd: htpasswd(ALICE) });
  b = await startRegistry({ htpasswd: htpasswd(BOB) });
});
after(async () => {
  await a?.stop();
  await b?.stop();
  work.remove();
});

describe("login and logout (spawned; real registries with htpasswd; podman)", () => {
  test("a file podman login writes is read by ocicompat, by --authfile, REGISTRY_AUTH_FILE or the default path", () => {
    const s = sandbox();
    const file = join(s.dir, "podman-auth.json");
    const viaFlag = podman(
      [
        "login",
        "--tls-verify=false",
        "--authfile",
        file,
        "-u",
        ALICE.user,
        "--password-stdin",
        a.host,
      ],
      s.env,
      ALICE.password,
    );
    assert.equal(viaFlag.status, 0, viaFlag.stderr);
    assert.equal(
      authenticated(runCli(["ls", "--authfile", file, `${a.host}/none`], { env: s.env })),
      true,
    );
    assert.equal(
      authenticated(
        runCli(["ls", `${a.host}/none`], { env: { ...s.env, REGISTRY_AUTH_FILE: file } }),
      ),
      true,
    );
    // podman's default file is $XDG_RUNTIME_DIR/containers/auth.json, ocicompat's first.
    const viaDefault = podman(
      ["login", "--tls-verify=false", "-u", ALICE.user, "--password-stdin", a.host],
      s.env,
      ALICE.password,
    );
    assert.equal(viaDefault.status, 0, viaDefault.stderr);
    assert.equal(statSync(s.primary).isFile(), true);
    assert.equal(authenticated(runCli(["ls", `${a.host}/none`], { env: s.env })), true);
  });

  test("a file ocicompat login writes is accepted by podman, in podman's shape and mode 0600", () => {
    const s = sandbox();
    const r = runCli(["login", "-u", BOB.user, "--password-stdin", b.host], {
      env: s.env,
      input: `${BOB.password}\n`,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Login Succeeded/);
    assert.equal(statSync(s.primary).mode & 0o777, 0o600);
    assert.equal(statSync(join(s.primary, "..")).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(readFileSync(s.primary, "utf8")), {
      auths: { [b.host]: { auth: b64(`${BOB.user}:${BOB.password}`) } },
    });
    const got = podman(["login", "--get-login", b.host], s.env);
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout.trim(), BOB.user);
    const own = runCli(["login", "--get-login", b.host], { env: s.env });
    assert.equal(own.stdout.trim(), BOB.user);
  });

  test("login with a wrong password exits 2 with the AUTH error and writes nothing", () => {
    const s = sandbox();
    const r = runCli(["login", "-u", ALICE.user, "--password-stdin", a.host], {
      env: s.env,
      input: "not-her-password",
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`wrong credentials for ${a.host}: user "alice" was refused`));
    assert.doesNotMatch(r.stdout + r.stderr, /not-her-password/);
    assert.throws(() => statSync(s.primary), /ENOENT/);
  });

  test("login --password works with a warning that ps shows it; no password at all is a usage error", () => {
    const s = sandbox();
    const r = runCli(["login", "-u", ALICE.user, "-p", ALICE.password, a.host], { env: s.env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /warning: --password on the command line is visible/);
    const none = runCli(["login", "-u", ALICE.user, a.host], { env: s.env });
    assert.equal(none.status, 2);
    assert.match(
      none.stderr,
      /login needs the password: --password-stdin reads it from standard input \(on a terminal, login asks for it\)/,
    );
  });

  test("logout removes only that host; logout --all removes the rest; a second logout is exit 2", () => {
    const s = sandbox();
    for (const [host, who] of [
      [a.host, ALICE],
      [b.host, BOB],
    ] as const) {
      const r = runCli(["login", "-u", who.user, "--password-stdin", host], {
        env: s.env,
        input: who.password,
      });
      assert.equal(r.status, 0, r.stderr);
    }
    const out = runCli(["logout", a.host], { env: s.env });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(s.primary, "utf8")).auths), [b.host]);
    assert.equal(authenticated(runCli(["ls", `${a.host}/none`], { env: s.env })), false);
    assert.equal(authenticated(runCli(["ls", `${b.host}/none`], { env: s.env })), true);
    const again = runCli(["logout", a.host], { env: s.env });
    assert.equal(again.status, 2);
    assert.match(again.stderr, new RegExp(`not logged in to ${a.host}`));
    const all = runCli(["logout", "--all"], { env: s.env });
    assert.equal(all.status, 0, all.stderr);
    assert.deepEqual(JSON.parse(readFileSync(s.primary, "utf8")), { auths: {} });
    assert.equal(podman(["login", "--get-login", b.host], s.env).status !== 0, true);
  });

  test("no credentials anywhere: exit 2, and the AUTH error names each file read and what it lacked", () => {
    const s = sandbox();
    authJson(s.docker, b.host, BOB.user, BOB.password);
    const r = runCli(["ls", `${a.host}/none`], { env: s.env });
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      new RegExp(`authentication required for ${a.host}: no credentials found`),
    );
    assert.ok(r.stderr.includes(`${s.primary} (no such file)`), r.stderr);
    assert.ok(r.stderr.includes(`${s.docker} (no entry for ${a.host})`), r.stderr);
    assert.match(r.stderr, /ocicompat login/);
  });

  test("a wrong password in the auth file: exit 2, naming the file it came from", () => {
    const s = sandbox();
    authJson(s.primary, a.host, ALICE.user, "stale");
    const r = runCli(["ls", `${a.host}/none`], { env: s.env });
    assert.equal(r.status, 2);
    assert.ok(
      r.stderr.includes(
        `wrong credentials for ${a.host}: user "alice" from ${s.primary} was refused`,
      ),
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, /stale/);
  });
});

describe("which credentials win (spawned; real registry with htpasswd)", () => {
  // Each case: the source that should win holds the right password, every other holds a wrong one.
  test("the runtime dir's auth.json beats ~/.config/containers, which beats docker's config", () => {
    const s = sandbox();
    authJson(s.docker, a.host, ALICE.user, "wrong");
    authJson(s.configHome, a.host, ALICE.user, ALICE.password);
    assert.equal(authenticated(runCli(["ls", `${a.host}/none`], { env: s.env })), true);
    authJson(s.primary, a.host, ALICE.user, "wrong");
    assert.equal(authenticated(runCli(["ls", `${a.host}/none`], { env: s.env })), false);
  });

  test("docker's config (DOCKER_CONFIG) is read when no containers file has the host", () => {
    const s = sandbox();
    authJson(s.primary, b.host, BOB.user, BOB.password);
    const dockerDir = join(s.dir, "docker-config");
    authJson(join(dockerDir, "config.json"), a.host, ALICE.user, ALICE.password);
    const env = { ...s.env, DOCKER_CONFIG: dockerDir };
    assert.equal(authenticated(runCli(["ls", `${a.host}/none`], { env })), true);
  });

  test("REGISTRY_AUTH_FILE replaces the list; --authfile beats REGISTRY_AUTH_FILE; --creds beats both", () => {
    const s = sandbox();
    authJson(s.primary, a.host, ALICE.user, ALICE.password);
    const envFile = join(s.dir, "env-auth.json");
    authJson(envFile, a.host, ALICE.user, "wrong");
    const env = { ...s.env, REGISTRY_AUTH_FILE: envFile };
    assert.equal(authenticated(runCli(["ls", `${a.host}/none`], { env })), false);
    const flagFile = join(s.dir, "flag-auth.json");
    authJson(flagFile, a.host, ALICE.user, ALICE.password);
    assert.equal(
      authenticated(runCli(["ls", "--authfile", flagFile, `${a.host}/none`], { env })),
      true,
    );
    authJson(flagFile, a.host, ALICE.user, "wrong");
    const creds = `${ALICE.user}:${ALICE.password}`;
    assert.equal(
      authenticated(
        runCli(["ls", "--authfile", flagFile, "--creds", creds, `${a.host}/none`], { env }),
      ),
      true,
    );
    assert.equal(
      authenticated(
        runCli(["ls", "--authfile", flagFile, `${a.host}/none`], {
          env: { ...env, OCICOMPAT_CREDS: creds },
        }),
      ),
      true,
    );
  });

  test("a host/namespace key beats the host's key for its repositories only", () => {
    const s = sandbox();
    mkdirSync(join(s.primary, ".."), { recursive: true });
    writeFileSync(
      s.primary,
      JSON.stringify({
        auths: {
          [`${a.host}/team`]: { auth: b64(`${ALICE.user}:${ALICE.password}`) },
          [a.host]: { auth: b64(`${ALICE.user}:wrong`) },
        },
      }),
    );
    assert.equal(authenticated(runCli(["ls", `${a.host}/team/app`], { env: s.env })), true);
    assert.equal(authenticated(runCli(["ls", `${a.host}/other/app`], { env: s.env })), false);
  });

  test("--creds without a password is a usage error that says only login asks for one", () => {
    const s = sandbox();
    const r = runCli(["ls", "--creds", ALICE.user, `${a.host}/none`], { env: s.env });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--creds has a user name but no password.*only login asks for one/);
  });
});

describe("copy with credentials per side (spawned; two registries with htpasswd)", () => {
  test("--src-creds and --dest-creds reach only their own registry", async () => {
    const s = sandbox();
    const layoutDir = join(s.dir, "layout");
    const image = sampleImage("creds");
    const layout = await openLayout(layoutDir, { create: true });
    await pushAll(layout, image.blobs);
    await layout.tag(image.index.desc, "v1");
    const toA = runCli(
      [
        "copy",
        "--dest-creds",
        `${ALICE.user}:${ALICE.password}`,
        `oci:${layoutDir}:v1`,
        `${a.host}/app:v1`,
      ],
      { env: s.env },
    );
    assert.equal(toA.status, 0, toA.stderr);
    // One password for two registries is refused before either is asked: it would reach both.
    const shared = runCli(
      [
        "copy",
        "--creds",
        `${ALICE.user}:${ALICE.password}`,
        `${a.host}/app:v1`,
        `${b.host}/app:v1`,
      ],
      { env: s.env },
    );
    assert.equal(shared.status, 2);
    assert.match(
      shared.stderr,
      new RegExp(`would go to both ${a.host} and ${b.host}: .*--src-creds and --dest-creds`),
    );
    assert.ok(!shared.stderr.includes(ALICE.password));
    const sided = runCli(
      [
        "copy",
        "--src-creds",
        `${ALICE.user}:${ALICE.password}`,
        "--dest-creds",
        `${BOB.user}:${BOB.password}`,
        `${a.host}/app:v1`,
        `${b.host}/app:v1`,
      ],
      { env: s.env },
    );
    assert.equal(sided.status, 0, sided.stderr);
    assert.match(sided.stdout, new RegExp(image.index.desc.digest));
    // The same with per-side auth files, and the copy at the destination is complete.
    const srcFile = join(s.dir, "src.json");
    const dstFile = join(s.dir, "dst.json");
    authJson(srcFile, a.host, ALICE.user, ALICE.password);
    authJson(dstFile, b.host, BOB.user, BOB.password);
    const files = runCli(
      [
        "copy",
        "--src-authfile",
        srcFile,
        "--dest-authfile",
        dstFile,
        `${a.host}/app:v1`,
        `${b.host}/other:v2`,
      ],
      { env: s.env },
    );
    assert.equal(files.status, 0, files.stderr);
    const verify = runCli(["verify", "--authfile", dstFile, `${b.host}/other:v2`], { env: s.env });
    assert.equal(verify.status, 0, verify.stderr + verify.stdout);
  });
});
