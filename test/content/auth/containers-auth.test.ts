// The auth files as podman reads them (containers-auth.json(5)): the runtime directory's
// auth.json, ~/.config/containers/auth.json, docker's config.json, ~/.dockercfg, the first file
// with an entry deciding; --authfile or REGISTRY_AUTH_FILE alone replace the list. And the
// writer login and logout use. Every test has its own HOME and XDG_RUNTIME_DIR.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  authFileChain,
  containersAuthCredentials,
  containersAuthPaths,
  nodeCredentials,
  primaryAuthFile,
  removeAllAuthEntries,
  removeAuthEntry,
  storeAuthEntry,
  storedCredentials,
} from "../../../src/content/auth/index.js";
import { tempDir } from "../layout-support.js";

function b64(text: string): string {
  return Buffer.from(text).toString("base64");
}

function writeJson(path: string, value: object): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, JSON.stringify(value));
}

function authFile(path: string, entries: Record<string, string>): void {
  const auths = Object.fromEntries(
    Object.entries(entries).map(([key, user]) => [key, { auth: b64(`${user}:secret`) }]),
  );
  writeJson(path, { auths });
}

/** A fresh HOME and XDG_RUNTIME_DIR, and an env naming only them. */
function sandbox() {
  const dir = tempDir("ocicompat-containers-auth-");
  const home = join(dir.path, "home");
  const runtime = join(dir.path, "run");
  mkdirSync(home, { recursive: true });
  mkdirSync(runtime, { recursive: true });
  const env: NodeJS.ProcessEnv = { HOME: home, XDG_RUNTIME_DIR: runtime };
  return {
    dir,
    home,
    env,
    primary: join(runtime, "containers", "auth.json"),
    configHome: join(home, ".config", "containers", "auth.json"),
    docker: join(home, ".docker", "config.json"),
  };
}

async function userOf(
  provider: (registry: string) => Promise<unknown>,
  registry: string,
): Promise<string | undefined> {
  const found = (await provider(registry)) as { username?: string } | undefined;
  return found?.username;
}

test("the read order is the runtime dir's auth.json, ~/.config's, docker's config, ~/.dockercfg", () => {
  const env = { XDG_RUNTIME_DIR: "/run/user/7", HOME: "/home/u" };
  assert.deepEqual(authFileChain({ env }), [
    { path: "/run/user/7/containers/auth.json" },
    { path: "/home/u/.config/containers/auth.json" },
    { path: "/home/u/.docker/config.json" },
    { path: "/home/u/.dockercfg", legacy: true },
  ]);
  const custom = { ...env, XDG_CONFIG_HOME: "/cfg", DOCKER_CONFIG: "/dc" };
  assert.deepEqual(
    authFileChain({ env: custom }).map((f) => f.path),
    [
      "/run/user/7/containers/auth.json",
      "/cfg/containers/auth.json",
      "/dc/config.json",
      "/home/u/.dockercfg",
    ],
  );
  assert.deepEqual(containersAuthPaths(env), [
    "/run/user/7/containers/auth.json",
    "/home/u/.config/containers/auth.json",
  ]);
});

test("REGISTRY_AUTH_FILE, or --authfile over it, is the only file read and the one written", () => {
  const env = { REGISTRY_AUTH_FILE: "/a/auth.json", XDG_RUNTIME_DIR: "/run/user/0", HOME: "/root" };
  assert.deepEqual(authFileChain({ env }), [{ path: "/a/auth.json" }]);
  assert.equal(primaryAuthFile({ env }), "/a/auth.json");
  assert.deepEqual(authFileChain({ env, authFile: "/b.json" }), [{ path: "/b.json" }]);
  assert.equal(primaryAuthFile({ env, authFile: "/b.json" }), "/b.json");
  assert.deepEqual(containersAuthPaths(env), ["/a/auth.json"]);
});

test("without XDG_RUNTIME_DIR, podman's /run/containers/UID/auth.json is the primary file on Linux", () => {
  if (process.platform !== "linux") return;
  assert.equal(
    primaryAuthFile({ env: { HOME: "/home/u" }, uid: 1000 }),
    "/run/containers/1000/auth.json",
  );
});

test("the first file with an entry for the host decides; files without one are passed over", async () => {
  const s = sandbox();
  try {
    authFile(s.primary, { "only-primary.example": "from-runtime-dir" });
    authFile(s.configHome, { "both.example": "from-config-home" });
    writeJson(s.docker, {
      auths: {
        "both.example": { auth: b64("from-docker:s") },
        "docker-only.example": { auth: b64("docker-user:s") },
      },
    });
    writeJson(join(s.home, ".dockercfg"), { "legacy.example": { auth: b64("legacy-user:s") } });
    const node = nodeCredentials({ env: s.env });
    assert.equal(await userOf(node, "only-primary.example"), "from-runtime-dir");
    assert.equal(await userOf(node, "both.example"), "from-config-home");
    assert.equal(await userOf(node, "docker-only.example"), "docker-user");
    assert.equal(await userOf(node, "legacy.example"), "legacy-user");
    assert.equal(await node("nobody.example"), undefined);
    const containers = containersAuthCredentials({ env: s.env });
    assert.equal(await containers("docker-only.example"), undefined);
    assert.deepEqual(await containers("only-primary.example"), {
      kind: "basic",
      username: "from-runtime-dir",
      password: "secret",
      source: s.primary,
    });
  } finally {
    s.dir.remove();
  }
});

test("host/namespace keys apply to their repositories, most specific first, and set the client scope", async () => {
  const s = sandbox();
  try {
    authFile(s.primary, {
      "reg.example/team/app": "app-user",
      "reg.example/team": "team-user",
      "reg.example": "host-user",
    });
    const stored = storedCredentials({ env: s.env });
    assert.equal(await userOf(stored.provider("team/app"), "reg.example"), "app-user");
    assert.equal(await userOf(stored.provider("team/other"), "reg.example"), "team-user");
    assert.equal(await userOf(stored.provider("elsewhere/x"), "reg.example"), "host-user");
    assert.equal(await userOf(stored.provider(), "reg.example"), "host-user");
    assert.equal(await stored.scope("reg.example", "team/app"), "reg.example/team/app");
    assert.equal(await stored.scope("reg.example", "team/other"), "reg.example/team");
    assert.equal(await stored.scope("reg.example", "elsewhere/x"), "reg.example");
    assert.equal(await stored.scope("other.example", "team/app"), "other.example");
  } finally {
    s.dir.remove();
  }
});

test("a provider names the files it read and what they lacked, for the 401 message", async () => {
  const s = sandbox();
  try {
    authFile(s.primary, { "other.example": "x" });
    const provider = storedCredentials({ env: s.env }).provider();
    assert.equal(await provider("reg.example"), undefined);
    assert.deepEqual(await provider.searched?.("reg.example"), [
      `${s.primary} (no entry for reg.example)`,
      `${s.configHome} (no such file)`,
      `${s.docker} (no such file)`,
      `${join(s.home, ".dockercfg")} (no such file)`,
    ]);
  } finally {
    s.dir.remove();
  }
});

test("storing an entry writes podman's shape, mode 0600 in a new 0700 directory, and keeps other keys", async () => {
  const s = sandbox();
  try {
    await storeAuthEntry(s.primary, "reg.example", { username: "ann", password: "pa:ss" });
    assert.equal(statSync(s.primary).mode & 0o777, 0o600);
    assert.equal(statSync(join(s.primary, "..")).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(readFileSync(s.primary, "utf8")), {
      auths: { "reg.example": { auth: b64("ann:pa:ss") } },
    });
    writeJson(s.primary, {
      auths: { "keep.example": { auth: b64("k:k") }, "reg.example": { auth: b64("old:old") } },
      credHelpers: { "helped.example": "pass" },
    });
    await storeAuthEntry(s.primary, "reg.example", { username: "new", password: "pw" });
    assert.deepEqual(JSON.parse(readFileSync(s.primary, "utf8")), {
      auths: { "keep.example": { auth: b64("k:k") }, "reg.example": { auth: b64("new:pw") } },
      credHelpers: { "helped.example": "pass" },
    });
    assert.equal(statSync(s.primary).mode & 0o777, 0o600);
    // The atomic write leaves no temporary file behind.
    assert.deepEqual(readdirSync(join(s.primary, "..")), ["auth.json"]);
  } finally {
    s.dir.remove();
  }
});

test("a file that is not JSON is never overwritten by a login", async () => {
  const s = sandbox();
  try {
    mkdirSync(join(s.primary, ".."), { recursive: true });
    writeFileSync(s.primary, "{ not json");
    await assert.rejects(
      storeAuthEntry(s.primary, "reg.example", { username: "a", password: "b" }),
      {
        code: "INVALID_JSON",
        message: /left unchanged/,
      },
    );
    assert.equal(readFileSync(s.primary, "utf8"), "{ not json");
  } finally {
    s.dir.remove();
  }
});

test("removing an entry removes only that key (and docker's URL form of it); --all empties auths", async () => {
  const s = sandbox();
  try {
    writeJson(s.primary, {
      auths: {
        "a.example": { auth: b64("a:a") },
        "https://a.example/v1/": { auth: b64("a:a") },
        "a.example/team": { auth: b64("t:t") },
        "b.example": { auth: b64("b:b") },
      },
      credHelpers: { "c.example": "pass" },
    });
    assert.equal(await removeAuthEntry(s.primary, "a.example"), true);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(s.primary, "utf8")).auths), [
      "a.example/team",
      "b.example",
    ]);
    assert.equal(await removeAuthEntry(s.primary, "a.example"), false);
    assert.equal(await removeAllAuthEntries(s.primary), 2);
    assert.deepEqual(JSON.parse(readFileSync(s.primary, "utf8")), {
      auths: {},
      credHelpers: { "c.example": "pass" },
    });
  } finally {
    s.dir.remove();
  }
});
