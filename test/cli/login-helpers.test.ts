// login, logout and --get-login through registries.conf's credential-helpers, as podman does
// them: a real distribution registry with htpasswd (bcrypt), a fake docker-credential helper that
// keeps what it is given in a directory (get, store, erase, list), and podman (Debian's package)
// logging in with the same registries.conf, for comparison. Every run has its own HOME and
// XDG_RUNTIME_DIR.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sampleImage, tempDir } from "../content/layout-support.js";
import { startRegistryWithImage, writeHelper } from "../support/auth-registry.js";
import type { TestRegistry } from "../support/registry.js";
import { credentialSandbox } from "../support/cli-env.js";
import { runCli } from "./run-cli.js";

const USER = "alice";
const PASSWORD = "alice-s3cret";
let registry: TestRegistry;
const work = tempDir("ocicompat-cli-login-helpers-");
const image = sampleImage("login-helpers");
let bin: string;
let counter = 0;

/** The fake helper: one file per server in $FAKE_STORE, holding what `store` was given. */
const FAKE_HELPER = [
  'store="$FAKE_STORE"',
  'case "$1" in',
  "  store)",
  "    json=$(cat)",
  '    server=$(printf \'%s\' "$json" | sed -n \'s/.*"ServerURL":"\\([^"]*\\)".*/\\1/p\')',
  '    printf \'%s\' "$json" > "$store/$server" ;;',
  "  get)",
  '    read -r server || [ -n "$server" ]',
  '    if [ -f "$store/$server" ]; then cat "$store/$server"; exit 0; fi',
  '    echo "credentials not found in native keychain"; exit 1 ;;',
  "  erase)",
  '    read -r server || [ -n "$server" ]',
  '    if [ -f "$store/$server" ]; then rm "$store/$server"; exit 0; fi',
  '    echo "credentials not found in native keychain"; exit 1 ;;',
  "  list)",
  "    sep=''; printf '{'",
  '    for f in "$store"/*; do [ -f "$f" ] || continue',
  '      printf \'%s"%s":"x"\' "$sep" "$(basename "$f")"; sep=","; done',
  "    printf '}' ;;",
  "esac",
];

/** A fresh HOME, XDG_RUNTIME_DIR and helper store, and a registries.conf listing `helpers`. */
function sandbox(helpers: readonly string[]) {
  const dir = join(work.path, `s${counter++}`);
  const { runtime, env } = credentialSandbox(dir);
  const store = join(dir, "keychain");
  mkdirSync(store, { recursive: true, mode: 0o700 });
  const conf = join(dir, "registries.conf");
  writeFileSync(
    conf,
    `credential-helpers = ${JSON.stringify(helpers)}\n[[registry]]\nlocation = "${registry.host}"\ninsecure = true\n`,
  );
  return {
    store,
    authFile: join(runtime, "containers", "auth.json"),
    env: {
      ...env,
      CONTAINERS_REGISTRIES_CONF: conf,
      FAKE_STORE: store,
      PATH: `${bin}:${process.env.PATH ?? ""}`,
    } as Record<string, string>,
  };
}

function login(env: Record<string, string>, key = registry.host) {
  return runCli(["login", "-u", USER, "--password-stdin", key], { input: PASSWORD, env });
}

before(async () => {
  registry = await startRegistryWithImage(
    { user: USER, password: PASSWORD },
    { blobs: image.blobs, root: image.index.desc },
    { repository: "team/app", tag: "1" },
  );
  bin = join(work.path, "bin");
  mkdirSync(bin);
  writeHelper(bin, "fake", FAKE_HELPER);
  writeHelper(bin, "broken", ['echo "keychain locked" >&2', "exit 3"]);
});

after(async () => {
  await registry?.stop();
  work.remove();
});

describe("login and logout through credential-helpers", () => {
  test("login stores in the first helper listed, not the auth file; reads and --get-login find it there; logout erases it", () => {
    const s = sandbox(["fake", "containers-auth.json"]);
    const result = login(s.env);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`in docker-credential-fake`));
    assert.equal(existsSync(s.authFile), false, "no password in a file");
    const kept = JSON.parse(readFileSync(join(s.store, registry.host), "utf8")) as Record<
      string,
      string
    >;
    assert.deepEqual([kept["Username"], kept["Secret"]], [USER, PASSWORD]);

    const read = runCli(["inspect", `${registry.host}/team/app:1`], { env: s.env });
    assert.equal(read.status, 0, read.stderr);
    const who = runCli(["login", "--get-login", registry.host], { env: s.env });
    assert.equal(who.stdout.trim(), USER, who.stderr);

    const out = runCli(["logout", registry.host], { env: s.env });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /\(docker-credential-fake\)/);
    assert.deepEqual(readdirSync(s.store), []);
    const again = runCli(["logout", registry.host], { env: s.env });
    assert.equal(again.status, 2);
    assert.match(
      again.stderr,
      /none of docker-credential-fake, .*auth\.json has credentials for it/,
    );
  });

  test("a namespace key goes to the auth file: helpers keep credentials per host", () => {
    const s = sandbox(["fake", "containers-auth.json"]);
    const result = login(s.env, `${registry.host}/team`);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /auth\.json/);
    const file = JSON.parse(readFileSync(s.authFile, "utf8")) as { auths: Record<string, unknown> };
    assert.deepEqual(Object.keys(file.auths), [`${registry.host}/team`]);
    assert.deepEqual(readdirSync(s.store), []);
  });

  test("logout --all empties the helper (its list) and the auth file", () => {
    const s = sandbox(["fake", "containers-auth.json"]);
    assert.equal(login(s.env).status, 0);
    assert.equal(login(s.env, `${registry.host}/team`).status, 0);
    const out = runCli(["logout", "--all"], { env: s.env });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(readdirSync(s.store), []);
    const file = JSON.parse(readFileSync(s.authFile, "utf8")) as { auths: Record<string, unknown> };
    assert.deepEqual(file.auths, {});
  });

  test("an auth file whose credHelpers names a helper for the host sends the login there, as podman does", () => {
    const s = sandbox(["containers-auth.json"]);
    mkdirSync(join(s.authFile, ".."), { recursive: true });
    writeFileSync(s.authFile, JSON.stringify({ credHelpers: { [registry.host]: "fake" } }));
    const result = login(s.env);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /docker-credential-fake/);
    assert.ok(existsSync(join(s.store, registry.host)));
    const file = JSON.parse(readFileSync(s.authFile, "utf8")) as Record<string, unknown>;
    assert.equal(file["auths"], undefined, "no password written to the file");
  });

  test("a helper that refuses to store is passed over for the next place in the list", () => {
    const s = sandbox(["broken", "containers-auth.json"]);
    const result = login(s.env);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /auth\.json/);
    assert.ok(existsSync(s.authFile));
    const alone = sandbox(["broken"]);
    const refused = login(alone.env);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /docker-credential-broken store failed .*: keychain locked/);
  });

  test("--no-registries-conf: login writes the auth file, whatever the list says", () => {
    const s = sandbox(["fake"]);
    const result = runCli(
      ["login", "--no-registries-conf", "-u", USER, "--password-stdin", registry.host],
      { input: PASSWORD, env: s.env },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.ok(existsSync(s.authFile));
    assert.deepEqual(readdirSync(s.store), []);
  });

  test("podman login with the same registries.conf stores in the same helper, where ocicompat then finds it", () => {
    const s = sandbox(["fake", "containers-auth.json"]);
    // podman refuses a run root over 50 characters: a short directory of its own.
    const root = mkdtempSync("/tmp/olh-");
    try {
      const podman = spawnSync(
        "podman",
        [
          "--root",
          join(root, "root"),
          "--runroot",
          join(root, "run"),
          "--storage-driver",
          "vfs",
          "login",
          "--tls-verify=false",
          "-u",
          USER,
          "--password-stdin",
          registry.host,
        ],
        { input: PASSWORD, env: { ...process.env, ...s.env }, encoding: "utf8", timeout: 60_000 },
      );
      assert.equal(podman.status, 0, podman.stderr);
      assert.ok(existsSync(join(s.store, registry.host)), "podman stored in the helper");
      assert.equal(existsSync(s.authFile), false, "podman wrote no auth file either");
      const who = runCli(["login", "--get-login", registry.host], { env: s.env });
      assert.equal(who.stdout.trim(), USER, who.stderr);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
