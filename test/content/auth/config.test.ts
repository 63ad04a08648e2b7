// Credential lookup in config.json and helpers, challenge parsing and scopes, without a registry.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseChallenges } from "../../../src/content/auth/challenge.js";
import { runCredentialHelper } from "../../../src/content/auth/credential-helper.js";
import { memoized, staticCredentials } from "../../../src/content/auth/credentials.js";
import {
  configKeysFor,
  dockerConfigCredentials,
  dockerConfigPath,
  hostOfConfigKey,
} from "../../../src/content/auth/docker-config.js";
import { mergeScopes, scopesCover } from "../../../src/content/auth/scope.js";

let dir: string;
let bin: string;

function configDir(name: string, config: object | string): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  writeFileSync(
    join(path, "config.json"),
    typeof config === "string" ? config : JSON.stringify(config),
  );
  return path;
}

function helper(name: string, script: string): void {
  const file = join(bin, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}

const env = () => ({ ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` });
const b64 = (s: string) => Buffer.from(s).toString("base64");

before(() => {
  dir = mkdtempSync(join(tmpdir(), "ocicompat-config-"));
  bin = join(dir, "bin");
  mkdirSync(bin);
  helper(
    "token",
    `read -r s; printf '{"ServerURL":"%s","Username":"<token>","Secret":"idtok"}' "$s"`,
  );
  helper("echo", `read -r s; printf '{"ServerURL":"%s","Username":"u","Secret":"%s"}' "$s" "$s"`);
  helper("broken", `echo "keychain locked" >&2; echo "top secret output"; exit 3`);
  helper("garbage", `echo "not json"`);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("docker config.json credentials", () => {
  test("the config path is $DOCKER_CONFIG/config.json, else ~/.docker/config.json", () => {
    assert.equal(dockerConfigPath({ env: { DOCKER_CONFIG: "/x/y" } }), "/x/y/config.json");
    assert.equal(dockerConfigPath({ env: { HOME: "/home/u" } }), "/home/u/.docker/config.json");
    assert.equal(
      dockerConfigPath({ configDir: "/c", env: { DOCKER_CONFIG: "/x" } }),
      "/c/config.json",
    );
  });

  test("a missing config.json means anonymous access", async () => {
    const provider = dockerConfigCredentials({ configDir: join(dir, "absent"), env: env() });
    assert.equal(await provider("registry.example"), undefined);
  });

  test("a malformed config.json is an INVALID_JSON error naming the file", async () => {
    const path = configDir("malformed", "{ not json");
    await assert.rejects(dockerConfigCredentials({ configDir: path })("r.example"), {
      code: "INVALID_JSON",
      message: new RegExp(`${path}/config.json is not valid JSON`),
    });
  });

  test("auths entries give Basic credentials from auth or username/password, matched by host", async () => {
    const path = configDir("auths", {
      auths: {
        "a.example": { auth: b64("ann:pa:ss") },
        "https://b.example:5000/v2/": { username: "bob", password: "pw" },
      },
    });
    const provider = dockerConfigCredentials({ configDir: path, env: env() });
    const source = join(path, "config.json");
    assert.deepEqual(await provider("a.example"), {
      kind: "basic",
      username: "ann",
      password: "pa:ss",
      source,
    });
    assert.deepEqual(await provider("b.example:5000"), {
      kind: "basic",
      username: "bob",
      password: "pw",
      source,
    });
    assert.equal(await provider("c.example"), undefined);
  });

  test("an identitytoken entry becomes an identity-token credential", async () => {
    const path = configDir("identity", {
      auths: { "id.example": { auth: b64("me:"), identitytoken: "rt" } },
    });
    assert.deepEqual(await dockerConfigCredentials({ configDir: path })("id.example"), {
      kind: "identity-token",
      token: "rt",
      username: "me",
      source: join(path, "config.json"),
    });
  });

  test("an auth entry that is not base64 user:password is a clear error", async () => {
    const path = configDir("bad-auth", { auths: { "x.example": { auth: b64("nocolon") } } });
    await assert.rejects(dockerConfigCredentials({ configDir: path })("x.example"), {
      code: "AUTH",
      message: /not base64 of "user:password"/,
    });
  });

  test("Docker Hub is found under its legacy https://index.docker.io/v1/ key", async () => {
    const path = configDir("hub", {
      auths: { "https://index.docker.io/v1/": { auth: b64("hub:pw") } },
    });
    const provider = dockerConfigCredentials({ configDir: path });
    for (const name of ["docker.io", "index.docker.io", "registry-1.docker.io"]) {
      assert.deepEqual(await provider(name), {
        kind: "basic",
        username: "hub",
        password: "pw",
        source: join(path, "config.json"),
      });
    }
    assert.deepEqual(configKeysFor("docker.io")[0], "https://index.docker.io/v1/");
    assert.equal(hostOfConfigKey("HTTPS://Reg.Example:443/v1/"), "reg.example:443");
  });

  test("credHelpers beat credsStore, which beats auths", async () => {
    const path = configDir("order", {
      credHelpers: { "h.example": "echo" },
      credsStore: "token",
      auths: { "h.example": { auth: b64("a:b") }, "s.example": { auth: b64("a:b") } },
    });
    const provider = dockerConfigCredentials({ configDir: path, env: env() });
    assert.deepEqual(await provider("h.example"), {
      kind: "basic",
      username: "u",
      password: "h.example",
      source: "docker-credential-echo",
    });
    assert.deepEqual(await provider("s.example"), {
      kind: "identity-token",
      token: "idtok",
      source: "docker-credential-token",
    });
  });

  test("Docker Hub's helper server URL is https://index.docker.io/v1/", async () => {
    const path = configDir("hub-helper", { credsStore: "echo" });
    assert.deepEqual(await dockerConfigCredentials({ configDir: path, env: env() })("docker.io"), {
      kind: "basic",
      username: "u",
      password: "https://index.docker.io/v1/",
      source: "docker-credential-echo",
    });
  });

  test("a helper that is not on PATH is an AUTH error saying so and where it was configured", async () => {
    const path = configDir("missing-helper", { credsStore: "nowhere" });
    await assert.rejects(dockerConfigCredentials({ configDir: path, env: env() })("x.example"), {
      code: "AUTH",
      message: new RegExp(
        `docker-credential-nowhere is not on PATH \\(credsStore in ${path}/config.json\\)`,
      ),
    });
  });

  test("a failing helper reports its stderr, never its stdout", async () => {
    await assert.rejects(
      runCredentialHelper("broken", "x.example", { env: env() }),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(
          err.message,
          /docker-credential-broken failed for x\.example: keychain locked/,
        );
        assert.ok(!err.message.includes("top secret"));
        return true;
      },
    );
    await assert.rejects(runCredentialHelper("garbage", "x.example", { env: env() }), /not JSON/);
  });

  test("a helper that hangs is killed after its timeout", async () => {
    helper("hang", "exec sleep 5");
    const started = Date.now();
    await assert.rejects(
      runCredentialHelper("hang", "x.example", { env: env(), timeoutMs: 200 }),
      /did not answer within 200 ms/,
    );
    assert.ok(Date.now() - started < 2000);
  });

  test("static credentials apply only to the registries they were given for", async () => {
    const provider = staticCredentials({ username: "u", password: "p" }, ["a.example"]);
    assert.deepEqual(await provider("a.example"), { kind: "basic", username: "u", password: "p" });
    assert.equal(await provider("b.example"), undefined);
  });

  test("memoized providers ask once per host", async () => {
    let calls = 0;
    const provider = memoized(async () => {
      calls++;
      return undefined;
    });
    await Promise.all([provider("a"), provider("a"), provider("b")]);
    assert.equal(calls, 2);
  });
});

describe("WWW-Authenticate challenges", () => {
  test("a Bearer challenge yields realm, service and a scope containing commas", () => {
    assert.deepEqual(
      parseChallenges(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/app:pull,push"',
      ),
      [
        {
          scheme: "bearer",
          params: {
            realm: "https://auth.example/token",
            service: "registry.example",
            scope: "repository:team/app:pull,push",
          },
        },
      ],
    );
  });

  test("Basic, unquoted values, escapes and several challenges in one header", () => {
    assert.deepEqual(parseChallenges('Basic realm="Registry \\"x\\""'), [
      { scheme: "basic", params: { realm: 'Registry "x"' } },
    ]);
    assert.deepEqual(
      parseChallenges("Bearer realm=https://a/t, error=insufficient_scope, Basic realm=r"),
      [
        { scheme: "bearer", params: { realm: "https://a/t", error: "insufficient_scope" } },
        { scheme: "basic", params: { realm: "r" } },
      ],
    );
    assert.deepEqual(parseChallenges(undefined), []);
  });
});

describe("token scopes", () => {
  test("scopes of one repository merge their actions", () => {
    assert.deepEqual(mergeScopes(["repository:a:pull", "repository:b:pull", "repository:a:push"]), [
      "repository:a:pull,push",
      "repository:b:pull",
    ]);
  });

  test("a token covers a request when it holds every action on every resource", () => {
    assert.equal(scopesCover(["repository:a:pull,push"], ["repository:a:pull"]), true);
    assert.equal(scopesCover(["repository:a:pull"], ["repository:a:pull,push"]), false);
    assert.equal(
      scopesCover(["repository:a:pull"], ["repository:a:pull", "repository:b:pull"]),
      false,
    );
    assert.equal(scopesCover(["repository:a:*"], ["repository:a:delete"]), true);
    assert.equal(scopesCover([], []), true);
  });
});
