// Credentials as a user gives them: --username with --password-stdin, or a DOCKER_CONFIG, against
// the real registry with htpasswd Basic auth.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { credentialSandbox } from "../support/cli-env.js";
import { hasStackTrace, runCli } from "./run-cli.js";

const USER = "bob";
const PASSWORD = "tr0ub4dor&3";
let registry: TestRegistry;
const work = tempDir("ocicompat-cli-auth-");
// Never the real user's auth files: a temporary HOME and runtime directory for every run.
const isolated = () => credentialSandbox(join(work.path, "sandbox")).env;

before(async () => {
  registry = await startRegistry({ htpasswd: `${USER}:${bcrypt.hashSync(PASSWORD, 4)}\n` });
});
after(async () => {
  await registry.stop();
  work.remove();
});

describe("registry credentials (spawned, real registry with htpasswd)", () => {
  test("--username with --password-stdin authenticates", () => {
    const r = runCli(["ls", "--username", USER, "--password-stdin", `${registry.host}/none/here`], {
      input: `${PASSWORD}\n`,
      env: isolated(),
    });
    // The repository does not exist, so a 404 after authenticating proves the credentials worked.
    assert.equal(r.status, 2);
    assert.match(r.stderr, /NAME_UNKNOWN|not found|unknown/i);
    assert.doesNotMatch(r.stderr, /auth/i);
  });

  test("wrong credentials are a clear error with exit 2, and the password is never printed", () => {
    const r = runCli(["ls", "--username", USER, "--password-stdin", `${registry.host}/none/here`], {
      input: "wrong-password\n",
      env: isolated(),
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /authentication|credentials|unauthorized/i);
    assert.doesNotMatch(r.stdout + r.stderr, /wrong-password/);
    assert.equal(hasStackTrace(r.stderr), false);
  });

  test("no credentials at all asks for them with exit 2", () => {
    const config = join(work.path, "empty-config");
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, "config.json"), "{}");
    const r = runCli(["ls", `${registry.host}/none/here`], {
      env: { ...isolated(), DOCKER_CONFIG: config },
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /authentication required|credentials|unauthorized/i);
  });

  test("credentials from DOCKER_CONFIG auths are used", () => {
    const config = join(work.path, "config");
    mkdirSync(config, { recursive: true });
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
    writeFileSync(
      join(config, "config.json"),
      JSON.stringify({ auths: { [registry.host]: { auth } } }),
    );
    const r = runCli(["ls", `${registry.host}/none/here`], {
      env: { ...isolated(), DOCKER_CONFIG: config },
    });
    assert.equal(r.status, 2);
    assert.doesNotMatch(r.stderr, /auth/i);
  });

  test("--username without --password-stdin is a usage error", () => {
    const r = runCli(["ls", "--username", USER, `${registry.host}/none/here`], {
      env: isolated(),
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--username needs --password-stdin/);
  });
});
