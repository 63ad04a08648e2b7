// Explicit credentials (--creds, --username with --password-stdin) belong to one registry: an
// opener given them refuses a reference to a second registry before sending it anything, so that
// registry's 401 is never answered with the first one's password. Two real distribution
// registries with htpasswd (bcrypt).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import bcrypt from "bcryptjs";
import { createStoreOpener } from "../../src/content/open.js";
import { isOcicompatError } from "../../src/oci/errors.js";
import { parseReference } from "../../src/oci/reference.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { image, pushImage, requestLog } from "./registry/helpers.js";

const USER = "alice";
const PASSWORD = "correct-horse";
let first: TestRegistry;
let second: TestRegistry;
let dir: string;
let noAuthFile: string;

before(async () => {
  const htpasswd = `${USER}:${bcrypt.hashSync(PASSWORD, 4)}\n`;
  [first, second] = await Promise.all([startRegistry({ htpasswd }), startRegistry({ htpasswd })]);
  dir = mkdtempSync(join(tmpdir(), "ocicompat-open-creds-"));
  noAuthFile = join(dir, "auth.json");
  writeFileSync(noAuthFile, "{}");
});

after(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

test("credentials given on the command line reach their registry, and a second registry is refused before any request", async () => {
  const { log, onRequest } = requestLog();
  const hosts: string[] = [];
  const opener = createStoreOpener({
    username: USER,
    password: PASSWORD,
    authFile: noAuthFile,
    onRequest: (method, url) => {
      hosts.push(new URL(url).host);
      onRequest(method, url);
    },
  });
  try {
    const { store } = await opener.open(parseReference(`${first.host}/team/app:v1`));
    const img = image("amd64");
    await pushImage(store, img);
    await store.tag(img.manifest.desc, "v1");
    // Another repository of the same registry is the same registry.
    const other = await opener.open(parseReference(`${first.host}/team/other:v1`));
    assert.equal(await other.store.exists(img.layer.desc), false);

    await assert.rejects(
      opener.open(parseReference(`${second.host}/team/app:v1`)),
      (err: unknown) =>
        isOcicompatError(err) &&
        err.code === "USAGE" &&
        err.message.includes(`are for ${first.host}`) &&
        err.message.includes(`also reads ${second.host}`) &&
        !err.message.includes(PASSWORD),
    );
    assert.ok(log.length > 0);
    assert.deepEqual(
      hosts.filter((h) => h === second.host),
      [],
      "nothing was sent to the second registry",
    );
  } finally {
    await opener.close();
  }
});

test("without command-line credentials one opener reads several registries", async () => {
  const opener = createStoreOpener({ authFile: noAuthFile });
  try {
    for (const registry of [first, second]) {
      const { store } = await opener.open(parseReference(`${registry.host}/team/app:v1`));
      // Anonymous: each registry asks for credentials, and none are sent.
      await assert.rejects(store.resolve("v1"), /authentication required/);
    }
  } finally {
    await opener.close();
  }
});
