// registries.conf's credential-helpers, as containers/image reads them: the helpers are asked in
// order, `containers-auth.json` standing for the auth files. Against a real distribution registry
// with htpasswd (bcrypt), fake docker-credential helpers on PATH, and an auth file per test.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { createStoreOpener } from "../../src/content/open.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import { staticCredentials } from "../../src/content/auth/credentials.js";
import { isOcicompatError } from "../../src/oci/errors.js";
import { parseReference } from "../../src/oci/reference.js";
import { knowingHelper, writeHelper } from "../support/auth-registry.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { image, pushImage } from "./registry/helpers.js";

const USER = "alice";
const PASSWORD = "correct-horse";
let registry: TestRegistry;
let dir: string;
let helperLog: string;
let savedPath: string | undefined;

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** An auth file holding `password` for the registry. */
function authFile(name: string, password: string): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({ auths: { [registry.host]: { auth: b64(`${USER}:${password}`) } } }),
  );
  return path;
}

/** A registries.conf whose only setting is `credential-helpers`. */
function conf(name: string, helpers: readonly string[]): string {
  const path = join(dir, `${name}.conf`);
  writeFileSync(path, `credential-helpers = ${JSON.stringify(helpers)}\n`);
  return path;
}

async function resolveWith(registriesConf: string, auth: string): Promise<string> {
  const opener = createStoreOpener({ registriesConf, authFile: auth });
  try {
    const { store } = await opener.open(parseReference(`${registry.host}/team/app:v1`));
    return (await store.resolve("v1")).digest;
  } finally {
    await opener.close();
  }
}

const helperCalls = () => readFileSync(helperLog, "utf8").trim().split("\n").filter(Boolean);

before(async () => {
  registry = await startRegistry({ htpasswd: `${USER}:${bcrypt.hashSync(PASSWORD, 4)}\n` });
  dir = mkdtempSync(join(tmpdir(), "ocicompat-helper-list-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  helperLog = join(dir, "helper.log");
  writeHelper(
    bin,
    "fake",
    knowingHelper(registry.host, { user: USER, password: PASSWORD }, helperLog),
  );
  writeHelper(bin, "broken", ['echo "keychain locked" >&2', "exit 3"]);
  writeHelper(bin, "empty", ['echo "credentials not found in native keychain"', "exit 1"]);
  // The helpers run with this process's environment.
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath ?? ""}`;
  const store = createRegistryStore({
    registry: registry.host,
    repository: "team/app",
    credentials: staticCredentials({ username: USER, password: PASSWORD }),
  });
  const img = image("amd64");
  await pushImage(store, img);
  await store.tag(img.manifest.desc, "v1");
  await store.close();
});

after(async () => {
  process.env.PATH = savedPath;
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("credential-helpers in registries.conf (real registry, htpasswd)", () => {
  test("a helper listed first answers for the registry host, before an auth file with a wrong password", async () => {
    writeFileSync(helperLog, "");
    await resolveWith(
      conf("fake-first", ["fake", "containers-auth.json"]),
      authFile("stale", "wrong"),
    );
    assert.deepEqual(helperCalls(), [`get ${registry.host}`]);
  });

  test("containers-auth.json listed first: the auth file answers and the helper is not run", async () => {
    writeFileSync(helperLog, "");
    await resolveWith(
      conf("files-first", ["containers-auth.json", "fake"]),
      authFile("good", PASSWORD),
    );
    assert.deepEqual(helperCalls(), []);
  });

  test("a helper that fails, or has nothing, is passed over for the next", async () => {
    await resolveWith(
      conf("passed-over", ["broken", "empty", "containers-auth.json"]),
      authFile("good2", PASSWORD),
    );
  });

  test("a list without containers-auth.json never reads the auth files", async () => {
    const auth = authFile("unused", PASSWORD);
    await assert.rejects(resolveWith(conf("no-files", ["empty"]), auth), (err: unknown) => {
      assert.ok(isOcicompatError(err), String(err));
      assert.match(err.message, /authentication required/);
      assert.match(
        err.message,
        /docker-credential-empty \(credential-helpers in .*no-files\.conf\)/,
      );
      assert.ok(!err.message.includes(auth), "the auth file was not consulted");
      return true;
    });
  });

  test("when no helper answers and one failed, the failure is the error, naming the helper and the file", async () => {
    await assert.rejects(
      resolveWith(conf("failing", ["broken"]), authFile("none", "wrong")),
      (err: unknown) => {
        assert.ok(isOcicompatError(err), String(err));
        assert.match(err.message, /docker-credential-broken/);
        assert.match(err.message, /credential-helpers in .*failing\.conf/);
        assert.match(err.message, /keychain locked/);
        return true;
      },
    );
  });

  test("without credential-helpers, or with an empty list, the auth files answer as before", async () => {
    writeFileSync(helperLog, "");
    const plain = join(dir, "plain.conf");
    writeFileSync(plain, "# nothing\n");
    await resolveWith(plain, authFile("good3", PASSWORD));
    await resolveWith(conf("empty-list", []), authFile("good4", PASSWORD));
    assert.deepEqual(helperCalls(), []);
  });
});
