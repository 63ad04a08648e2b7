// The system's CAs (system-ca.ts): where they are read from, as Go's clients read them, and a
// registry whose certificate only they vouch for (the real registry over TLS): accepted after
// one refused handshake, and the error when they do not vouch for it either.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createRegistryStore } from "../../../src/content/registry/index.js";
import {
  nodeExtraCas,
  readSystemCas,
  systemTrustEnabled,
} from "../../../src/content/registry/system-ca.js";
import { startTlsRegistry, type TlsRegistry } from "../../support/tls-registry.js";
import { tempDir } from "../layout-support.js";
import { pushAndReadBack, rejectsWithRegistryError } from "./checks.js";
import { image } from "./helpers.js";

const work = tempDir("ocicompat-system-ca-");
const PEM = (name: string): string =>
  `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`;

function file(path: string, text: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe("where the system's CAs are read from (Go's rules)", () => {
  const bundleA = file(join(work.path, "a", "bundle.crt"), PEM("A"));
  const bundleB = file(join(work.path, "b", "bundle.crt"), PEM("B"));
  const dir = join(work.path, "certs");
  file(join(dir, "one.pem"), PEM("ONE"));
  file(join(dir, "two.crt"), PEM("TWO"));
  file(join(dir, "README"), "not a certificate");

  test("the first bundle file that exists is read, and the directories only when there is none", () => {
    const missing = join(work.path, "nowhere.crt");
    assert.deepEqual(readSystemCas({}, { files: [missing, bundleA, bundleB], dirs: [dir] }), {
      pems: [PEM("A")],
      sources: [bundleA],
    });
    assert.deepEqual(readSystemCas({}, { files: [missing], dirs: [dir] }), {
      pems: [PEM("ONE"), PEM("TWO")],
      sources: [dir],
    });
    assert.equal(
      readSystemCas({}, { files: [missing], dirs: [join(work.path, "no-dir")] }),
      undefined,
    );
  });

  test("SSL_CERT_FILE replaces the list of files, and SSL_CERT_DIR's directories are read besides", () => {
    const env = { SSL_CERT_FILE: bundleB, SSL_CERT_DIR: `${join(work.path, "absent")}:${dir}` };
    assert.deepEqual(readSystemCas(env, { files: [bundleA], dirs: [] }), {
      pems: [PEM("B"), PEM("ONE"), PEM("TWO")],
      sources: [bundleB, dir],
    });
  });

  test("NODE_EXTRA_CA_CERTS is read back for the TLS contexts that replace Node's default", () => {
    assert.deepEqual(nodeExtraCas({ NODE_EXTRA_CA_CERTS: bundleA }), [PEM("A")]);
    assert.deepEqual(nodeExtraCas({}), []);
  });
});

describe("a registry certificate only the system's CAs vouch for (the real registry over TLS)", () => {
  let trusted: TlsRegistry;
  let stranger: TlsRegistry;
  let bundle: string;

  before(async () => {
    trusted = await startTlsRegistry();
    stranger = await startTlsRegistry();
    // The system bundle this process reads (the first read is memoized for the process).
    bundle = file(
      join(work.path, "system", "ca-certificates.crt"),
      readFileSync(trusted.caFile, "utf8"),
    );
    process.env["SSL_CERT_FILE"] = bundle;
    delete process.env["SSL_CERT_DIR"]; // this one file is the system's whole list here
  });

  after(async () => {
    await trusted?.stop();
    await stranger?.stop();
    work.remove();
  });

  test("is accepted after one refused handshake, and later connections trust the system at once", async () => {
    assert.equal(systemTrustEnabled(), false);
    const img = image("amd64");
    const store = createRegistryStore({
      registry: trusted.registry.host,
      repository: "system/app",
      plainHttp: false,
      retry: { maxAttempts: 1 },
    });
    await pushAndReadBack(store, img);
    assert.equal(systemTrustEnabled(), true);
  });

  test("a certificate the system does not vouch for either is refused, saying both were tried", async () => {
    const store = createRegistryStore({
      registry: stranger.registry.host,
      repository: "system/app",
      plainHttp: false,
      retry: { maxAttempts: 1 },
    });
    try {
      await rejectsWithRegistryError(
        store.exists(image("amd64").manifest.desc),
        "UNREACHABLE",
        new RegExp(
          `its TLS certificate is not trusted \\(the system's CAs, from ${bundle}, too\\) \\(DEPTH_ZERO_SELF_SIGNED_CERT\\); pass --ca-file`,
        ),
      );
    } finally {
      await store.close();
    }
  });
});
