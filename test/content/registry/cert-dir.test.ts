// certs.d directories (cert-dir.ts): where a registry's directory is looked for, what is read
// from it and the errors of a half pair; then the real registry requiring client certificates
// (distribution's `clientcas`), reached with its directory and refused without it.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { certDirMaterial } from "../../../src/content/registry/cert-dir.js";
import { createRegistryStore } from "../../../src/content/registry/index.js";
import { OcicompatError } from "../../../src/oci/errors.js";
import type { TestRegistry } from "../../support/registry.js";
import { startMutualTlsRegistry } from "../../support/tls-registry.js";
import { tempDir } from "../layout-support.js";
import { pushAndReadBack, rejectsWithRegistryError } from "./checks.js";
import { image } from "./helpers.js";

const work = tempDir("ocicompat-certs-d-");

after(() => work.remove());

/** A directory holding `files` (name → content). */
function dirWith(path: string, files: Record<string, string>): string {
  mkdirSync(path, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text);
  return path;
}

function assertError(run: () => unknown, code: string, message: RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof OcicompatError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

describe("certs.d lookup and reading", () => {
  test("the registry's directory in the first root that has one is used, as containers/image does", () => {
    const roots = ["home", "etc-containers", "etc-docker"].map((r) => join(work.path, "order", r));
    dirWith(join(roots[1] as string, "registry.example:5000"), { "ca.crt": "CONTAINERS" });
    dirWith(join(roots[2] as string, "registry.example:5000"), { "ca.crt": "DOCKER" });
    dirWith(join(roots[2] as string, "other.example"), { "ca.crt": "OTHER" });
    const found = certDirMaterial("registry.example:5000", { roots });
    assert.equal(found?.dir, join(roots[1] as string, "registry.example:5000"));
    assert.deepEqual(found?.cas, ["CONTAINERS"]);
    assert.deepEqual(certDirMaterial("other.example", { roots })?.cas, ["OTHER"]);
    assert.equal(
      certDirMaterial("registry.example", { roots }),
      undefined,
      "the port is part of the name",
    );
    assert.equal(certDirMaterial("absent.example", { roots }), undefined);
  });

  test("CAs and client pairs are read in name order; other files are ignored", () => {
    const dir = dirWith(join(work.path, "read", "r.example"), {
      "b.crt": "CA-B",
      "a.crt": "CA-A",
      "client.cert": "CERT",
      "client.key": "KEY",
      README: "not a certificate",
    });
    const found = certDirMaterial("r.example", { roots: [join(work.path, "read")] });
    assert.deepEqual(found, {
      dir,
      cas: ["CA-A", "CA-B"],
      clientCerts: [{ cert: "CERT", key: "KEY" }],
    });
  });

  test("a directory without certificates gives nothing (no TLS context is made for it)", () => {
    dirWith(join(work.path, "empty", "e.example"), { notes: "nothing here" });
    assert.equal(certDirMaterial("e.example", { roots: [join(work.path, "empty")] }), undefined);
  });

  test("a client certificate without its key, or a key without its certificate, is an error naming both", () => {
    const noKey = dirWith(join(work.path, "half1", "h.example"), { "client.cert": "CERT" });
    assertError(
      () => certDirMaterial("h.example", { roots: [join(work.path, "half1")] }),
      "USAGE",
      new RegExp(
        `^${join(noKey, "client.cert")} is a client certificate without its key client\\.key \\(CA certificates end in \\.crt\\)$`,
      ),
    );
    const noCert = dirWith(join(work.path, "half2", "h.example"), { "client.key": "KEY" });
    assertError(
      () => certDirMaterial("h.example", { roots: [join(work.path, "half2")] }),
      "USAGE",
      new RegExp(
        `^${join(noCert, "client.key")} is a client key without its certificate client\\.cert$`,
      ),
    );
  });

  test("--cert-dir is used as it is, and must exist", () => {
    const dir = dirWith(join(work.path, "explicit"), { "ca.crt": "EXPLICIT" });
    assert.deepEqual(certDirMaterial("any.example:1", { certDir: dir })?.cas, ["EXPLICIT"]);
    const missing = join(work.path, "nowhere");
    assertError(
      () => certDirMaterial("any.example", { certDir: missing }),
      "IO",
      new RegExp(`^the certificate directory ${missing} does not exist$`),
    );
  });
});

describe("a registry that requires client certificates (the real registry with clientcas)", () => {
  let registry: TestRegistry;
  let serverCa: string;
  let certsDir: string;

  before(async () => {
    const dir = join(work.path, "mtls");
    ({
      registry,
      serverCa,
      certDir: certsDir,
    } = await startMutualTlsRegistry(dir, join(dir, "certs.d")));
  });

  after(async () => {
    await registry?.stop();
  });

  test("with the registry's directory (CA and client pair) content is pushed and read back", async () => {
    const img = image("amd64");
    const store = createRegistryStore({
      registry: registry.host,
      repository: "mtls/app",
      plainHttp: false,
      certDir: certsDir,
    });
    await pushAndReadBack(store, img);
  });

  test("without a client certificate the error says where one goes", async () => {
    const store = createRegistryStore({
      registry: registry.host,
      repository: "mtls/app",
      plainHttp: false,
      caFile: serverCa,
      certDir: false,
      retry: { maxAttempts: 1 },
    });
    try {
      await rejectsWithRegistryError(
        store.exists(image("amd64").manifest.desc),
        "UNREACHABLE",
        /if the registry requires a client certificate, put NAME\.cert and NAME\.key in its certs\.d directory, or pass --cert-dir$/,
      );
    } finally {
      await store.close();
    }
  });

  test("an unusable key in the directory is a USAGE error naming the directory", async () => {
    const broken = dirWith(join(work.path, "broken"), {
      "client.cert": "not a certificate",
      "client.key": "nor a key",
    });
    const store = createRegistryStore({
      registry: registry.host,
      repository: "mtls/app",
      plainHttp: false,
      certDir: broken,
      retry: { maxAttempts: 1 },
    });
    try {
      await assert.rejects(store.exists(image("amd64").manifest.desc), (err: unknown) => {
        assert.ok(err instanceof OcicompatError, String(err));
        assert.equal(err.code, "USAGE");
        assert.match(
          err.message,
          new RegExp(`^the TLS certificates or keys in ${broken} cannot be used: `),
        );
        return true;
      });
    } finally {
      await store.close();
    }
  });
});
