// The real CNCF distribution registry serving HTTPS with a throwaway certificate: a store that
// trusts the certificate through a CA file pushes and reads back; one that does not is refused.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { syncBuiltinESMExports } from "node:module";
import { after, before, describe, test } from "node:test";
import tls from "node:tls";
import { createRegistryStore } from "../../../src/content/registry/index.js";
import { RegistryError } from "../../../src/content/registry/errors.js";
import { fetchBytes } from "../../../src/content/store.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { tempDir } from "../layout-support.js";
import type { TestRegistry } from "../../support/registry.js";
import { content } from "./helpers.js";
import { startTlsRegistry, type TlsRegistry } from "../../support/tls-registry.js";

let served: TlsRegistry;
let registry: TestRegistry;
let caFile: string;
const work = tempDir("ocicompat-tls-registry-");

before(async () => {
  served = await startTlsRegistry();
  ({ registry, caFile } = served);
});

after(async () => {
  await served?.stop();
  work.remove();
});

/**
 * A store of `repository` on the loopback default (plain HTTP first), trusting the CA file, one
 * attempt per request; `onRequest` sees each request sent.
 */
function loopbackStore(repository: string, onRequest?: (method: string, url: string) => void) {
  return createRegistryStore({
    registry: registry.host,
    repository,
    caFile,
    retry: { maxAttempts: 1 },
    ...(onRequest === undefined ? {} : { onRequest }),
  });
}

/** Records each request in `sent` as its method and origin. */
function originsInto(sent: string[]) {
  return (method: string, url: string) => {
    sent.push(`${method} ${url.split("/v2/")[0]}`);
  };
}

describe("the real registry over TLS", () => {
  test("on the loopback default of plain HTTP, its first answer (a bare 400) moves the client to HTTPS for good", async () => {
    const store = loopbackStore("tls/upgrade");
    const sent: string[] = [];
    const client = loopbackStore("tls/upgrade", originsInto(sent));
    try {
      const { desc, bytes } = content(MediaType.ImageLayer, "upgraded to HTTPS");
      await store.push(desc, bytes);
      assert.deepEqual(Buffer.from(await fetchBytes(store, desc)), Buffer.from(bytes));
      assert.equal(store.client.baseUrl, `https://${registry.host}`);
      assert.equal(await client.exists(desc), true);
      assert.equal(await client.exists(desc), true);
      assert.deepEqual(sent, [
        `HEAD http://${registry.host}`,
        `HEAD https://${registry.host}`,
        `HEAD https://${registry.host}`,
      ]);
    } finally {
      await store.close();
      await client.close();
    }
  });

  test("requests in flight at once on the loopback default all reach it: the first bare 400 moves the client to HTTPS, and the others are sent again over it", async () => {
    const blobs = ["one", "two", "three"].map((text) => content(MediaType.ImageLayer, text));
    const writer = createRegistryStore({ registry: registry.host, repository: "tls/many", caFile });
    const sent: string[] = [];
    const reader = loopbackStore("tls/many", originsInto(sent));
    try {
      for (const { desc, bytes } of blobs) await writer.push(desc, bytes);
      const found = await Promise.all(blobs.map(({ desc }) => reader.exists(desc)));
      assert.deepEqual(found, [true, true, true]);
      assert.deepEqual(sent.slice(0, 3), Array(3).fill(`HEAD http://${registry.host}`));
      assert.deepEqual(sent.slice(3), Array(3).fill(`HEAD https://${registry.host}`));
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  test("after the move to HTTPS, a request whose URL names the plain-HTTP origin itself fails once, and is not sent again and again", async () => {
    const sent: string[] = [];
    const store = loopbackStore("tls/absolute", (method, url) => sent.push(`${method} ${url}`));
    try {
      const { desc } = content(MediaType.ImageLayer, "absolute");
      assert.equal(await store.exists(desc), false); // moves the client to HTTPS
      sent.splice(0);
      const asked = store.client.request({
        method: "HEAD",
        url: `http://${registry.host}/v2/`,
        accept: [200, 401],
        signal: AbortSignal.timeout(5000),
      });
      await assert.rejects(asked, (err: unknown) => {
        assert.ok(err instanceof RegistryError, String(err));
        assert.equal(err.code, "UNREACHABLE");
        return true;
      });
      assert.deepEqual(sent, [`HEAD http://${registry.host}/v2/`]);
    } finally {
      await store.close();
    }
  });

  test("with plain HTTP asked for (--plain-http), it fails, saying it speaks HTTPS and naming the flag", async () => {
    const { desc } = content(MediaType.ImageLayer, "x");
    const store = createRegistryStore({
      registry: registry.host,
      repository: "tls/app",
      plainHttp: true,
      retry: { maxAttempts: 1 },
    });
    try {
      await assert.rejects(store.exists(desc), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.code, "UNREACHABLE");
        assert.match(
          err.message,
          /^cannot reach 127\.0\.0\.1:\d+ over plain HTTP: it speaks HTTPS \(drop --plain-http\) \[400\]$/,
        );
        return true;
      });
    } finally {
      await store.close();
    }
  });

  test("a store trusting the CA file pushes a blob and reads it back, verified", async () => {
    const { desc, bytes } = content(MediaType.ImageLayer, "over tls");
    const store = createRegistryStore({
      registry: registry.host,
      repository: "tls/app",
      plainHttp: false,
      caFile,
    });
    try {
      await store.push(desc, bytes);
      assert.equal(await store.exists(desc), true);
      assert.deepEqual(Buffer.from(await fetchBytes(store, desc)), Buffer.from(bytes));
    } finally {
      await store.close();
    }
  });

  test("a store without the CA file is refused: the certificate is not trusted", async () => {
    const { desc } = content(MediaType.ImageLayer, "x");
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

  test("clients trusting one CA file build its certificate store once, however many connections and hosts", async () => {
    const original = tls.createSecureContext;
    let built = 0;
    tls.createSecureContext = (options) => {
      built++;
      return original(options);
    };
    syncBuiltinESMExports();
    // A CA file of its own (PEM allows text around the certificate), as the store of the other
    // tests' file may be built already. Two clients (one per store, as for two registry hosts),
    // each with requests in flight at once, so that each opens several connections.
    const ownFile = join(work.path, "count-ca.pem");
    writeFileSync(ownFile, `the test registry's certificate\n${readFileSync(caFile, "utf8")}`);
    const stores = ["tls/a", "tls/b"].map((repository) =>
      createRegistryStore({
        registry: registry.host,
        repository,
        plainHttp: false,
        caFile: ownFile,
      }),
    );
    try {
      const missing = [1, 2, 3, 4].map((i) => content(MediaType.ImageLayer, `absent ${i}`).desc);
      const answers = await Promise.all(
        stores.flatMap((store) => missing.map((d) => store.exists(d))),
      );
      assert.deepEqual(answers, Array(8).fill(false));
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      tls.createSecureContext = original;
      syncBuiltinESMExports();
    }
    assert.equal(built, 1);
  });
});
