// Basic auth against a real distribution registry with htpasswd, with credentials from a
// temporary DOCKER_CONFIG (auths, credsStore, credHelpers) and a fake docker-credential helper.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { firstOf, staticCredentials } from "../../../src/content/auth/credentials.js";
import { dockerConfigCredentials } from "../../../src/content/auth/docker-config.js";
import type { CredentialProvider } from "../../../src/content/auth/credentials.js";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { RegistryError } from "../../../src/content/registry/errors.js";
import { createRegistryStore } from "../../../src/content/registry/store.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { fastRetry, image, pushImage, readStream, requestLog } from "../registry/helpers.js";

const USER = "alice";
const PASSWORD = "correct-horse";

let registry: TestRegistry;
let dir: string;
let bin: string;
let helperLog: string;

/** A DOCKER_CONFIG directory holding `config`, and an env whose PATH finds the fake helper. */
function dockerConfig(
  name: string,
  config: object,
  helperKnows: string = registry.host,
): { env: NodeJS.ProcessEnv } {
  const path = join(dir, `config-${name}`);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, "config.json"), JSON.stringify(config));
  return {
    env: {
      ...process.env,
      DOCKER_CONFIG: path,
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      OCICOMPAT_TEST_HOST: helperKnows,
    },
  };
}

function basic(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`).toString("base64");
}

async function roundTrip(credentials: CredentialProvider, repository: string): Promise<string[]> {
  const { log, onRequest } = requestLog();
  const client = new RegistryClient({
    registry: registry.host,
    credentials,
    onRequest,
    retry: fastRetry,
  });
  try {
    const store = createRegistryStore({ repository, client });
    const img = image("amd64");
    await pushImage(store, img);
    await store.tag(img.manifest.desc, "v1");
    const desc = await store.resolve("v1");
    assert.deepEqual(desc, img.manifest.desc);
    assert.deepEqual(
      await readStream(await store.fetch(img.layer.desc)),
      Buffer.from(img.layer.bytes),
    );
    return log;
  } finally {
    await client.close();
  }
}

before(async () => {
  registry = await startRegistry({ htpasswd: `${USER}:${bcrypt.hashSync(PASSWORD, 4)}\n` });
  dir = mkdtempSync(join(tmpdir(), "ocicompat-auth-"));
  bin = join(dir, "bin");
  helperLog = join(dir, "helper.log");
  mkdirSync(bin);
  // The helper protocol: server URL on stdin, {"ServerURL","Username","Secret"} on stdout, and
  // "credentials not found" with a non-zero exit for servers it does not know.
  const helper = join(bin, "docker-credential-test");
  writeFileSync(
    helper,
    [
      "#!/bin/sh",
      'read -r server || [ -n "$server" ]',
      `echo "$1 $server" >> '${helperLog}'`,
      'if [ "$server" = "$OCICOMPAT_TEST_HOST" ]; then',
      `  printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"`,
      "  exit 0",
      "fi",
      'echo "credentials not found in native keychain"',
      "exit 1",
      "",
    ].join("\n"),
  );
  chmodSync(helper, 0o755);
});

after(async () => {
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("Basic auth against distribution 2.8 with htpasswd", () => {
  test("anonymous access is refused with 'authentication required for HOST'", async () => {
    const client = new RegistryClient({ registry: registry.host, retry: fastRetry });
    try {
      await assert.rejects(client.ping(), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.status, 401);
        assert.equal(err.code, "AUTH");
        assert.match(err.message, new RegExp(`^authentication required for ${registry.host}`));
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test("config.json auths (base64 auth) push and pull; Basic is then sent up front", async () => {
    const { env } = dockerConfig("auths", {
      auths: { [registry.host]: { auth: basic(USER, PASSWORD) } },
    });
    const log = await roundTrip(dockerConfigCredentials({ env }), "team/auths");
    // One challenge, on the very first request; every later request carries Basic at once.
    const repeated = log.filter((l, i) => i > 0 && l === log[i - 1]);
    assert.deepEqual(repeated, ["POST /v2/team/auths/blobs/uploads/"], log.join("\n"));
    assert.equal(log[0], log[1]);
  });

  test("config.json auths with username and password fields work too", async () => {
    const { env } = dockerConfig("fields", {
      auths: { [`http://${registry.host}/v2/`]: { username: USER, password: PASSWORD } },
    });
    await roundTrip(dockerConfigCredentials({ env }), "team/fields");
  });

  test("wrong credentials fail with a 401 RegistryError naming the host and user, not the password", async () => {
    const { env } = dockerConfig("wrong", {
      auths: { [registry.host]: { auth: basic(USER, "nope-nope") } },
    });
    const client = new RegistryClient({
      registry: registry.host,
      credentials: dockerConfigCredentials({ env }),
      retry: fastRetry,
    });
    try {
      await assert.rejects(
        createRegistryStore({ repository: "team/x", client }).listTags(),
        (err: unknown) => {
          assert.ok(err instanceof RegistryError);
          assert.equal(err.status, 401);
          assert.equal(err.code, "AUTH");
          assert.equal(
            err.message.startsWith(
              `wrong credentials for ${registry.host}: user "alice" from ${join(env.DOCKER_CONFIG ?? "", "config.json")} was refused`,
            ),
            true,
          );
          assert.ok(!err.message.includes("nope-nope"));
          return true;
        },
      );
    } finally {
      await client.close();
    }
  });

  test("credsStore runs docker-credential-<store> get with the server on stdin", async () => {
    writeFileSync(helperLog, "");
    const { env } = dockerConfig("store", { credsStore: "test" });
    await roundTrip(dockerConfigCredentials({ env }), "team/store");
    const calls = readFileSync(helperLog, "utf8").trim().split("\n");
    assert.deepEqual(calls, [`get ${registry.host}`], "asked once per client");
  });

  test("credHelpers[host] wins over wrong auths for the same host", async () => {
    const { env } = dockerConfig("helpers", {
      credHelpers: { [registry.host]: "test" },
      auths: { [registry.host]: { auth: basic(USER, "stale") } },
    });
    await roundTrip(dockerConfigCredentials({ env }), "team/helpers");
  });

  test("a helper without credentials for the host falls through to auths", async () => {
    const { env } = dockerConfig(
      "fallthrough",
      { credsStore: "test", auths: { [registry.host]: { auth: basic(USER, PASSWORD) } } },
      "elsewhere.example",
    );
    await roundTrip(dockerConfigCredentials({ env }), "team/fallthrough");
  });

  test("explicit --username/--password credentials override config.json", async () => {
    const { env } = dockerConfig("override", {
      auths: { [registry.host]: { auth: basic(USER, "stale") } },
    });
    await roundTrip(
      firstOf(
        staticCredentials({ username: USER, password: PASSWORD }, [registry.host]),
        dockerConfigCredentials({ env }),
      ),
      "team/override",
    );
  });
});
