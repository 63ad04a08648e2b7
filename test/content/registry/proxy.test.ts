// Registry clients through a real squid proxy (test/support/proxy.ts) to the real registry. The
// registries are named by host names that only the proxy resolves, so a request that reaches
// them went through it: TLS registries through CONNECT tunnels (HTTP/2 inside included), a plain
// HTTP one by forwarding, an HTTPS proxy, proxy authentication, NO_PROXY and loopback bypass,
// and the errors a user sees when the proxy fails.
import assert from "node:assert/strict";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { after, before, describe, test } from "node:test";
import { createRegistryStore } from "../../../src/content/registry/index.js";
import { RegistryError } from "../../../src/content/registry/errors.js";
import type { ProxyEnvironment } from "../../../src/content/registry/proxy-env.js";
import { fetchBytes } from "../../../src/content/store.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { startProxy, type ProxyLogEntry, type TestProxy } from "../../support/proxy.js";
import { freePort, startRegistry, type TestRegistry } from "../../support/registry.js";
import { startTlsRegistry, type TlsRegistry } from "../../support/tls-registry.js";
import { pushAndReadBack, rejectsWithRegistryError } from "./checks.js";
import { content, image, pushImage, randomBytes, streamOf } from "./helpers.js";

const TLS_NAME = "registry.ocicompat.test";
const PLAIN_NAME = "plain.ocicompat.test";
const BYPASS_NAME = "bypass.ocicompat.test";
/** The registry again, under a name of its own for the HTTPS proxy's test. */
const VIA_TLS_NAME = "via-tls.ocicompat.test";

let served: TlsRegistry;
let plain: TestRegistry;

let proxy: TestProxy;
/** `registry.ocicompat.test:PORT` and `plain.ocicompat.test:PORT`. */
let tlsHost: string;
let plainHost: string;

before(async () => {
  served = await startTlsRegistry({ dnsNames: [TLS_NAME, VIA_TLS_NAME] });
  plain = await startRegistry();
  tlsHost = `${TLS_NAME}:${port(served.registry.host)}`;
  plainHost = `${PLAIN_NAME}:${port(plain.host)}`;
  // The proxy serves TLS with the registry's certificate, so one CA file trusts both.
  proxy = await startProxy({
    hosts: {
      [TLS_NAME]: "127.0.0.1",
      [PLAIN_NAME]: "127.0.0.1",
      [BYPASS_NAME]: "127.0.0.1",
      [VIA_TLS_NAME]: "127.0.0.1",
    },
    tls: { cert: served.caFile, key: served.keyFile },
  });
});

after(async () => {
  await proxy?.stop();
  await served?.stop();
  await plain?.stop();
});

function port(host: string): string {
  return host.slice(host.lastIndexOf(":") + 1);
}

function tlsStore(repository: string, proxySettings: ProxyEnvironment | false, http2 = false) {
  return createRegistryStore({
    registry: tlsHost,
    repository,
    caFile: served.caFile,
    proxy: proxySettings,
    http2,
    retry: { maxAttempts: 1 },
  });
}

function isTunnelTo(host: string): (e: ProxyLogEntry) => boolean {
  return (e) => e.method === "CONNECT" && e.url === host;
}

describe("a TLS registry through a proxy (real squid, real registry)", () => {
  test("content is pushed and read back through CONNECT tunnels; the proxy sees only host and port", async () => {
    const img = image("amd64");
    const store = tlsStore("proxy/tunnel", { httpsProxy: proxy.url });
    await pushAndReadBack(store, img);
    const tunnels = await proxy.waitForLog(isTunnelTo(tlsHost));
    assert.ok(tunnels.length >= 1);
    assert.ok(
      tunnels.every((e) => e.result === "TCP_TUNNEL/200"),
      JSON.stringify(tunnels),
    );
    // No request of the registry's is visible to the proxy: they travel inside the tunnels.
    assert.deepEqual(
      proxy.log().filter((e) => e.url.includes(TLS_NAME) && e.method !== "CONNECT"),
      [],
    );
  });

  test("a name only the proxy resolves is not found without the proxy, nor for a host NO_PROXY names", async () => {
    // A name of its own, so that no earlier test's tunnel (logged when it closes) can count.
    const host = `${BYPASS_NAME}:${port(tlsHost)}`;
    for (const settings of [
      false as const,
      { httpsProxy: proxy.url, noProxy: "ocicompat.test" },
      { httpsProxy: proxy.url, noProxy: `.ocicompat.test:${port(tlsHost)}` },
    ]) {
      const store = createRegistryStore({
        registry: host,
        repository: "proxy/bypass",
        caFile: served.caFile,
        proxy: settings,
        retry: { maxAttempts: 1 },
      });
      try {
        await rejectsWithRegistryError(
          store.exists(image("amd64").manifest.desc),
          "UNREACHABLE",
          /host name not found/,
        );
      } finally {
        await store.close();
      }
    }
    // Through the proxy, the name resolves and the tunnel's line appears when it closes.
    assert.deepEqual(await proxy.waitForLog((e) => e.url === host, 1, 500), []);
  });

  test("reads in flight share one HTTP/2 connection inside one tunnel", async () => {
    const img = image("arm64");
    const writer = tlsStore("proxy/h2", { httpsProxy: proxy.url });
    try {
      await pushImage(writer, img);
    } finally {
      await writer.close();
    }
    const protocols: (string | undefined)[] = [];
    const onConnected = (message: unknown): void => {
      const { connectParams } = message as {
        connectParams: { hostname: string; version?: string };
      };
      if (connectParams.hostname === TLS_NAME) protocols.push(connectParams.version);
    };
    const reader = tlsStore("proxy/h2", { httpsProxy: proxy.url }, true);
    subscribe("undici:client:connected", onConnected);
    try {
      assert.equal(await reader.exists(img.manifest.desc), true);
      const absent = [1, 2, 3, 4, 5].map((i) => content(MediaType.ImageLayer, `absent ${i}`).desc);
      const answers = await Promise.all(
        [img.config.desc, img.layer.desc, ...absent].map((d) => reader.exists(d)),
      );
      assert.deepEqual(answers, [true, true, false, false, false, false, false]);
    } finally {
      unsubscribe("undici:client:connected", onConnected);
      await reader.close();
    }
    assert.deepEqual(protocols, ["h2"]);
  });

  test("an HTTPS proxy: TLS to the proxy, and the registry's own TLS inside the tunnel", async () => {
    const host = `${VIA_TLS_NAME}:${port(tlsHost)}`;
    const img = image("s390x");
    const store = createRegistryStore({
      registry: host,
      repository: "proxy/https-proxy",
      caFile: served.caFile,
      proxy: { httpsProxy: proxy.httpsUrl as string },
    });
    try {
      await pushImage(store, img);
      assert.equal(await store.exists(img.layer.desc), true);
    } finally {
      await store.close();
    }
    const tunnels = await proxy.waitForLog(isTunnelTo(host));
    assert.ok(tunnels.length >= 1 && tunnels.every((e) => e.result === "TCP_TUNNEL/200"));
  });

  test("a proxy that cannot be reached is an UNREACHABLE error naming it and its variable", async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const store = tlsStore("proxy/tunnel", { httpsProxy: nobody });
    try {
      await rejectsWithRegistryError(
        store.exists(image("amd64").manifest.desc),
        "UNREACHABLE",
        new RegExp(`^cannot reach the proxy ${nobody} \\(from HTTPS_PROXY\\): connection refused$`),
      );
    } finally {
      await store.close();
    }
  });
});

describe("a plain-HTTP registry through a proxy (forwarded requests)", () => {
  test("every request, uploads included, reaches the proxy with its absolute URL", async () => {
    const img = image("ppc64le");
    const store = createRegistryStore({
      registry: plainHost,
      repository: "proxy/forward",
      plainHttp: true,
      proxy: { httpProxy: proxy.url },
    });
    try {
      await pushImage(store, img);
      const bytes = await fetchBytes(store, img.layer.desc);
      assert.deepEqual(Buffer.from(bytes), Buffer.from(img.layer.bytes));
    } finally {
      await store.close();
    }
    // Squid logs a request once it has answered it: the last one read is the last to appear.
    await proxy.waitForLog((e) => e.method === "GET" && e.url.endsWith(img.layer.desc.digest));
    const forwarded = proxy.log().filter((e) => e.url.startsWith(`http://${plainHost}/`));
    const methods = new Set(forwarded.map((e) => e.method));
    for (const m of ["POST", "PUT", "GET"]) assert.ok(methods.has(m), `${m} in ${[...methods]}`);
    assert.ok(
      forwarded.some((e) => e.method === "PUT" && e.url.includes("/v2/proxy/forward/manifests/")),
    );
  });
});

describe("a large streamed blob through a proxy (real squid, real registry)", () => {
  // 24 MiB in 64 KiB pieces: an upload and a download that outlast any buffer on the way.
  const big = content(MediaType.ImageLayerGzip, randomBytes(24 * 1024 * 1024, 9));

  test("goes up and comes back whole through a CONNECT tunnel and through forwarding", async () => {
    const tunnelled = tlsStore("proxy/big", { httpsProxy: proxy.url });
    // Forwarded, the upload goes chunked: squid 5 drops a fast large Content-Length body.
    const forwarded = createRegistryStore({
      registry: plainHost,
      repository: "proxy/big",
      plainHttp: true,
      proxy: { httpProxy: proxy.url },
    });
    try {
      for (const store of [tunnelled, forwarded]) {
        await store.push(big.desc, streamOf(big.bytes, 384));
        // fetchBytes verifies the digest of what arrives.
        const back = await fetchBytes(store, big.desc, big.desc.size);
        assert.ok(Buffer.from(back).equals(Buffer.from(big.bytes)));
      }
    } finally {
      await tunnelled.close();
      await forwarded.close();
    }
    const puts = await proxy.waitForLog(
      (e) => e.method === "PUT" && e.url.startsWith(`http://${plainHost}/v2/proxy/big/blobs/`),
    );
    assert.ok(puts.length >= 1 && puts.every((e) => e.result === "TCP_MISS/201"));
  });
});

describe("a proxy that requires Basic authentication (squid with basic_ncsa_auth)", () => {
  let guarded: TestProxy;
  const USER = "alice";
  const PASSWORD = "pr0xy-s3cret";

  before(async () => {
    guarded = await startProxy({
      hosts: { [TLS_NAME]: "127.0.0.1", [PLAIN_NAME]: "127.0.0.1" },
      users: { [USER]: PASSWORD },
    });
  });

  after(async () => {
    await guarded?.stop();
  });

  const withCredentials = (user: string, password: string): string =>
    guarded.url.replace("//", `//${user}:${encodeURIComponent(password)}@`);

  test("the credentials in HTTPS_PROXY open the tunnel, and the proxy logs the user", async () => {
    const store = tlsStore("proxy/auth", { httpsProxy: withCredentials(USER, PASSWORD) });
    try {
      await pushImage(store, image("amd64"));
    } finally {
      await store.close();
    }
    const tunnels = await guarded.waitForLog(isTunnelTo(tlsHost));
    assert.ok(tunnels.some((e) => e.user === USER && e.result === "TCP_TUNNEL/200"));
  });

  test("the credentials in HTTP_PROXY go with forwarded requests", async () => {
    const img = image("riscv64");
    const store = createRegistryStore({
      registry: plainHost,
      repository: "proxy/auth",
      plainHttp: true,
      proxy: { httpProxy: withCredentials(USER, PASSWORD) },
    });
    try {
      await pushImage(store, img);
      assert.equal(await store.exists(img.manifest.desc), true);
    } finally {
      await store.close();
    }
    const seen = await guarded.waitForLog(
      (e) => e.user === USER && e.url.startsWith(`http://${plainHost}/`),
    );
    assert.ok(seen.length >= 1);
  });

  test("without credentials: an AUTH error that says where to put them, for tunnels and forwarding", async () => {
    const tunnel = tlsStore("proxy/auth", { httpsProxy: guarded.url });
    const forward = createRegistryStore({
      registry: plainHost,
      repository: "proxy/auth",
      plainHttp: true,
      proxy: { httpProxy: guarded.url },
      retry: { maxAttempts: 1 },
    });
    try {
      await rejectsWithRegistryError(
        tunnel.exists(image("amd64").manifest.desc),
        "AUTH",
        /the proxy http:\/\/127\.0\.0\.1:\d+ \(from HTTPS_PROXY\) asks for credentials; give them in HTTPS_PROXY as http:\/\/USER:PASSWORD@127\.0\.0\.1:\d+ \(407/,
      );
      await rejectsWithRegistryError(
        forward.exists(image("amd64").manifest.desc),
        "AUTH",
        /\(from HTTP_PROXY\) asks for credentials; give them in HTTP_PROXY/,
      );
    } finally {
      await tunnel.close();
      await forward.close();
    }
  });

  test("wrong credentials are refused, and the password is never in the message", async () => {
    const store = tlsStore("proxy/auth", { httpsProxy: withCredentials(USER, "not-it") });
    try {
      await assert.rejects(store.exists(image("amd64").manifest.desc), (err: unknown) => {
        assert.ok(err instanceof RegistryError, String(err));
        assert.equal(err.code, "AUTH");
        assert.match(err.message, /refused the credentials in HTTPS_PROXY \(407/);
        assert.doesNotMatch(err.message, /not-it/);
        return true;
      });
    } finally {
      await store.close();
    }
  });
});

describe("hosts that are never proxied", () => {
  test("a loopback registry is reached directly whatever HTTPS_PROXY and HTTP_PROXY say", async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const img = image("amd64");
    const store = createRegistryStore({
      registry: plain.host,
      repository: "proxy/loopback",
      proxy: { httpProxy: nobody, httpsProxy: nobody },
    });
    try {
      await pushImage(store, img);
      assert.equal(await store.exists(img.manifest.desc), true);
    } finally {
      await store.close();
    }
  });
});
