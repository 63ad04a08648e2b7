// The real CNCF distribution registry serving HTTPS with a throwaway certificate: a store that
// trusts the certificate through a CA file pushes and reads back; one that does not is refused.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createRegistryStore } from "../../../src/content/registry/index.js";
import { RegistryError } from "../../../src/content/registry/errors.js";
import { fetchBytes } from "../../../src/content/store.js";
import { computeDigest } from "../../../src/oci/digest.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { tempDir } from "../layout-support.js";
import { makeCertificate } from "../../support/certificate.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";

let registry: TestRegistry;
let caFile: string;
const work = tempDir("ocicompat-tls-registry-");

before(async () => {
  const { cert, key } = makeCertificate(work.path);
  caFile = cert;
  registry = await startRegistry({ tls: { cert, key } });
});

after(async () => {
  await registry?.stop();
  work.remove();
});

describe("the real registry over TLS", () => {
  test("plain HTTP to it (the loopback default) fails, saying it speaks HTTPS and naming --no-plain-http", async () => {
    const desc = {
      mediaType: MediaType.ImageLayer,
      digest: computeDigest(Buffer.from("x")),
      size: 1,
    };
    const store = createRegistryStore({
      registry: registry.host,
      repository: "tls/app",
      retry: { maxAttempts: 1 },
    });
    try {
      await assert.rejects(store.exists(desc), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.code, "UNREACHABLE");
        assert.match(
          err.message,
          /^cannot reach 127\.0\.0\.1:\d+ over plain HTTP: it speaks HTTPS \(a loopback registry gets plain HTTP unless --no-plain-http is given\) \[400\]$/,
        );
        return true;
      });
    } finally {
      await store.close();
    }
  });

  test("a store trusting the CA file pushes a blob and reads it back, verified", async () => {
    const bytes = Buffer.from("over tls");
    const desc = {
      mediaType: MediaType.ImageLayer,
      digest: computeDigest(bytes),
      size: bytes.length,
    };
    const store = createRegistryStore({
      registry: registry.host,
      repository: "tls/app",
      plainHttp: false,
      caFile,
    });
    try {
      await store.push(desc, bytes);
      assert.equal(await store.exists(desc), true);
      assert.deepEqual(Buffer.from(await fetchBytes(store, desc)), bytes);
    } finally {
      await store.close();
    }
  });

  test("a store without the CA file is refused: the certificate is not trusted", async () => {
    const desc = {
      mediaType: MediaType.ImageLayer,
      digest: computeDigest(Buffer.from("x")),
      size: 1,
    };
    const store = createRegistryStore({
      registry: registry.host,
      repository: "tls/app",
      plainHttp: false,
    });
    try {
      await assert.rejects(store.exists(desc), /TLS certificate is not trusted/);
    } finally {
      await store.close();
    }
  });
});
