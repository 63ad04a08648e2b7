// The mirror's upstream credentials follow registries.conf's credential-helpers, as podman and
// CRI-O on the node do; nothing else of that file is read (its mirrors would send the mirror to
// itself). Against a real distribution registry with htpasswd (bcrypt), a fake docker-credential
// helper on PATH, and an empty auth file as the node's ($REGISTRY_AUTH_FILE).
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isOcicompatError } from "../../../src/oci/errors.js";
import { tempDir } from "../../content/layout-support.js";
import { knowingHelper, startRegistryWithImage, writeHelper } from "../../support/auth-registry.js";
import type { TestRegistry } from "../../support/registry.js";
import { get, levelsImage, mirrorFor, OCI_ACCEPT, profile } from "./support.js";

const LOGIN = { user: "alice", password: "correct-horse" };
const image = levelsImage("credentials");
const work = tempDir("ocicompat-mirror-credentials-");
let registry: TestRegistry;
let helperLog: string;
const saved = { PATH: process.env.PATH, REGISTRY_AUTH_FILE: process.env.REGISTRY_AUTH_FILE };

/** A registries.conf with `lines`. */
function conf(name: string, lines: readonly string[]): string {
  const path = join(work.path, `${name}.conf`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

before(async () => {
  registry = await startRegistryWithImage(
    LOGIN,
    { blobs: image.blobs, root: image.index.desc },
    { repository: "team/app", tag: "1.0" },
  );
  const bin = join(work.path, "bin");
  mkdirSync(bin);
  helperLog = join(work.path, "helper.log");
  writeHelper(bin, "fake", knowingHelper(registry.host, LOGIN, helperLog));
  // The helper runs with this process's environment; the node's own auth files are not read.
  process.env.PATH = `${bin}:${saved.PATH ?? ""}`;
  const empty = join(work.path, "auth.json");
  writeFileSync(empty, "{}");
  process.env.REGISTRY_AUTH_FILE = empty;
});
after(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await registry?.stop();
  work.remove();
});

/** The mirror's answer for the tag, on a node that fits v3. */
async function tagThrough(registriesConf: string | false) {
  writeFileSync(helperLog, "");
  const mirror = await mirrorFor([registry.host], await profile("intel-spr"), {
    access: { registriesConf },
  });
  try {
    return await get(`${mirror.url}/v2/team/app/manifests/1.0`, {
      headers: { accept: OCI_ACCEPT },
    });
  } finally {
    await mirror.close();
  }
}

const helperCalls = () => readFileSync(helperLog, "utf8").trim().split("\n").filter(Boolean);

describe("the mirror's upstream credentials (real registry, htpasswd)", () => {
  test("a helper listed in registries.conf's credential-helpers logs the mirror in: the tag answers with the node's variant", async () => {
    const answer = await tagThrough(conf("helper", ['credential-helpers = ["fake"]']));
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("docker-content-digest"), image.v3.manifest.desc.digest);
    assert.ok(helperCalls().includes(`get ${registry.host}`), helperCalls().join("\n"));
  });

  test("without registries.conf (or with only containers-auth.json listed) the empty auth file gives no login, and the runtime gets DENIED", async () => {
    for (const setting of [
      false as const,
      conf("files", ['credential-helpers = ["containers-auth.json"]']),
    ]) {
      const answer = await tagThrough(setting);
      // The mirror answers DENIED, not 401: its client has no credentials to offer it.
      assert.equal(answer.status, 403, `registriesConf ${String(setting)}`);
      assert.match(JSON.stringify(answer.json()), /"code":"DENIED".*node's credentials/);
      assert.deepEqual(helperCalls(), []);
    }
  });

  test("the file's mirrors are not followed: the mirror reads its upstream itself, with the helper's credentials", async () => {
    const answer = await tagThrough(
      conf("mirrored", [
        'credential-helpers = ["fake"]',
        "[[registry]]",
        `location = "${registry.host}"`,
        "[[registry.mirror]]",
        'location = "127.0.0.1:1"',
      ]),
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("docker-content-digest"), image.v3.manifest.desc.digest);
  });

  test("a registries.conf that does not parse stops the mirror at start, naming the file", async () => {
    const broken = conf("broken", ["credential-helpers = [fake"]);
    await assert.rejects(
      mirrorFor([registry.host], await profile("intel-spr"), {
        access: { registriesConf: broken },
      }),
      (err: unknown) => isOcicompatError(err) && err.message.includes(broken),
    );
  });
});
