// registries.conf `insecure = true` against the real registry: TLS certificates are not checked,
// and a registry that speaks only plain HTTP is reached after HTTPS fails, as containers/image
// does. "127.1" names the loopback host without being spelt as one, so the client starts on
// HTTPS as it would for any remote registry (Node resolves it to 127.0.0.1, as inet_aton does).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createStoreOpener } from "../../../src/content/open.js";
import { isOcicompatError } from "../../../src/oci/errors.js";
import { parseReference } from "../../../src/oci/reference.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { startTlsRegistry, type TlsRegistry } from "../../support/tls-registry.js";
import { tempDir } from "../layout-support.js";
import { image, putTagged } from "./helpers.js";

let plain: TestRegistry;
let secure: TlsRegistry;
const work = tempDir("ocicompat-insecure-");
const img = image("amd64");

before(async () => {
  [plain, secure] = await Promise.all([startRegistry(), startTlsRegistry()]);
  for (const [host, caFile] of [
    [plain.host, undefined],
    [secure.registry.host, secure.caFile],
  ] as const) {
    await putTagged(`${host}/team/app:v1`, img, caFile ? { caFile } : {});
  }
});

after(async () => {
  await Promise.all([plain?.stop(), secure?.stop()]);
  work.remove();
});

function confFile(name: string, text: string): string {
  const file = join(work.path, name);
  writeFileSync(file, text);
  return file;
}

async function resolveWith(reference: string, registriesConf: string | false) {
  const requests: string[] = [];
  const opener = createStoreOpener({
    registriesConf,
    onRequest: (method, url) => requests.push(`${method} ${url}`),
  });
  try {
    const { store } = await opener.open(parseReference(reference), { pull: true });
    return { digest: (await store.resolve("v1")).digest, requests };
  } finally {
    await opener.close();
  }
}

describe("registries marked insecure", () => {
  test("a registry that speaks only HTTP is read over HTTP after HTTPS fails", async () => {
    const port = plain.host.split(":")[1];
    const host = `127.1:${port}`;
    const file = confFile("plain.conf", `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
    const { digest, requests } = await resolveWith(`${host}/team/app:v1`, file);
    assert.equal(digest, img.manifest.desc.digest);
    // URLs spell the address out (WHATWG's IPv4 parser): 127.1 is 127.0.0.1 in them.
    assert.equal(requests[0], `HEAD https://127.0.0.1:${port}/v2/team/app/manifests/v1`);
    assert.ok(requests.length > 1, requests.join("\n"));
    assert.ok(requests.slice(1).every((r) => r.includes(`http://127.0.0.1:${port}/`)));
  });

  test("without the entry, HTTPS to that registry fails and says how to speak HTTP", async () => {
    const port = plain.host.split(":")[1];
    const host = `127.1:${port}`;
    await assert.rejects(
      resolveWith(`${host}/team/app:v1`, false),
      (err: unknown) =>
        isOcicompatError(err) && err.code === "UNREACHABLE" && err.message.includes("--plain-http"),
    );
  });

  test("a registry's certificate is not checked, where it would be refused otherwise", async () => {
    const host = secure.registry.host;
    await assert.rejects(resolveWith(`${host}/team/app:v1`, false), /not trusted/);
    const file = confFile("tls.conf", `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
    const { digest } = await resolveWith(`${host}/team/app:v1`, file);
    assert.equal(digest, img.manifest.desc.digest);
  });

  test("a mirror marked insecure is read without checks, and its primary keeps them", async () => {
    const host = secure.registry.host;
    const conf = (mirrorPath: string) =>
      `[[registry]]\nprefix = "registry.example/team"\nlocation = "${host}/team"\n[[registry.mirror]]\nlocation = "${host}/${mirrorPath}"\ninsecure = true\n`;
    const served = await resolveWith(
      "registry.example/team/app:v1",
      confFile("mirror.conf", conf("team")),
    );
    assert.equal(served.digest, img.manifest.desc.digest);
    // The mirror lacks the image: the primary, on the same host, still checks the certificate.
    await assert.rejects(
      resolveWith("registry.example/team/app:v1", confFile("empty-mirror.conf", conf("empty"))),
      (err: unknown) =>
        isOcicompatError(err) &&
        err.message.includes("not trusted") &&
        err.message.includes("mirrors also failed"),
    );
  });
});
