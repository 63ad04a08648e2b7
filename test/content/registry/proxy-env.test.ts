// Proxy selection from HTTPS_PROXY, HTTP_PROXY and NO_PROXY: Go's httpproxy rules and test table,
// plus ocicompat's deviations (`.localhost` never proxied, bad or SOCKS values a USAGE error).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  proxyEnvironment,
  proxyFor,
  proxySettings,
  type ProxySettings,
} from "../../../src/content/registry/proxy-env.js";
import { OcicompatError } from "../../../src/oci/errors.js";

/** The settings for `env`, which must name a proxy. */
function settingsOf(env: NodeJS.ProcessEnv): ProxySettings {
  const settings = proxySettings(proxyEnvironment(env));
  assert.ok(settings !== undefined, "a proxy is set");
  return settings;
}

function proxied(settings: ProxySettings, url: string): boolean {
  return proxyFor(settings, new URL(url)) !== undefined;
}

/** Asserts that `run` throws a USAGE OcicompatError whose message passes `check`. */
function assertUsage(run: () => unknown, check: (message: string) => void): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof OcicompatError, `expected an OcicompatError, got ${String(err)}`);
    assert.equal(err.code, "USAGE");
    check(err.message);
    return true;
  });
}

function base64(text: string): string {
  return Buffer.from(text).toString("base64");
}

describe("NO_PROXY matching (Go's table)", () => {
  const noProxy =
    "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, " +
    "10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, " +
    "2002:db8:a::45/64";
  const table: [host: string, proxied: boolean][] = [
    ["localhost", false],
    ["127.0.0.1", false],
    ["127.0.0.2", false],
    ["[::1]", false],
    ["[::2]", true],
    ["192.168.1.1", false],
    ["192.168.1.2", true],
    ["192.168.1.3", false],
    ["192.168.1.4", true],
    ["10.0.0.2", false],
    ["[2001:db8::52:0:1]", false],
    ["[2001:db8::52:0:2]", true],
    ["[2001:db8::52:0:3]", false],
    ["[2002:db8:a::123]", false],
    ["[fe80::424b:c8be:1643:a1b6]", true],
    ["barbaz.net", true],
    ["www.barbaz.net", false],
    ["foobar.com", false],
    ["www.foobar.com", false],
    ["foofoobar.com", true],
    ["baz.com", true],
    ["localhost.net", true],
    ["barbarbaz.net", true],
    ["wildcard.io", true],
    ["nested.wildcard.io", false],
    ["awildcard.io", true],
  ];

  test("each host of Go's table is proxied or bypassed as Go decides", () => {
    const settings = settingsOf({ HTTP_PROXY: "proxy.corp:3128", NO_PROXY: noProxy });
    for (const [host, expected] of table) {
      assert.equal(proxied(settings, `http://${host}:80/`), expected, host);
    }
  });

  test("names under .localhost are never proxied (beyond Go)", () => {
    const settings = settingsOf({ HTTP_PROXY: "proxy.corp:3128", NO_PROXY: noProxy });
    assert.equal(proxied(settings, "http://local.localhost:80/"), false);
    const bare = settingsOf({ HTTP_PROXY: "proxy.corp:3128" });
    assert.equal(proxied(bare, "http://registry.localhost:5000/"), false);
  });

  test("loopback hosts are never proxied even without NO_PROXY", () => {
    const settings = settingsOf({ HTTP_PROXY: "proxy.corp:3128" });
    for (const host of ["localhost", "127.0.0.1", "127.9.9.9", "[::1]"]) {
      assert.equal(proxied(settings, `http://${host}:80/`), false, host);
    }
    assert.equal(proxied(settings, "http://registry.example/"), true);
  });

  test('NO_PROXY "*" bypasses every host of the table', () => {
    const settings = settingsOf({ HTTP_PROXY: "proxy.corp:3128", NO_PROXY: "*" });
    for (const [host] of table) {
      assert.equal(proxied(settings, `http://${host}:80/`), false, host);
    }
  });
});

describe("proxy values", () => {
  test("a bare host[:port] or URL becomes the origin Go would use", () => {
    const cases: [value: string, origin: string][] = [
      ["127.0.0.1:8080", "http://127.0.0.1:8080"],
      ["cache.corp.example.com:1234", "http://cache.corp.example.com:1234"],
      ["cache.corp.example.com", "http://cache.corp.example.com"],
      ["localhost", "http://localhost"],
      ["https://cache.corp.example.com", "https://cache.corp.example.com"],
      ["http://cache.corp.example.com:3128", "http://cache.corp.example.com:3128"],
      ["https://127.0.0.1:8080", "https://127.0.0.1:8080"],
    ];
    for (const [value, origin] of cases) {
      const settings = settingsOf({ HTTPS_PROXY: value });
      const proxy = proxyFor(settings, new URL("https://registry.example/v2/"));
      assert.ok(proxy !== undefined);
      assert.equal(proxy.origin, origin, value);
      assert.equal(proxy.variable, "HTTPS_PROXY");
      assert.equal(proxy.authorization, undefined, value);
    }
  });

  test("https requests use HTTPS_PROXY and http requests HTTP_PROXY", () => {
    const settings = settingsOf({
      HTTPS_PROXY: "https://secure-proxy:443",
      HTTP_PROXY: "plain-proxy:3128",
    });
    const secure = proxyFor(settings, new URL("https://secure.tld/"));
    assert.deepEqual(secure, { origin: "https://secure-proxy", variable: "HTTPS_PROXY" });
    const plain = proxyFor(settings, new URL("http://insecure.tld/"));
    assert.deepEqual(plain, { origin: "http://plain-proxy:3128", variable: "HTTP_PROXY" });
  });

  test("HTTP_PROXY alone gives no proxy for https requests", () => {
    const settings = settingsOf({ HTTP_PROXY: "cache.corp.example.com:1234" });
    assert.equal(proxyFor(settings, new URL("https://secure.tld/")), undefined);
    assert.equal(proxied(settings, "http://insecure.tld/"), true);
  });

  test("HTTPS_PROXY alone gives no proxy for http requests", () => {
    const settings = settingsOf({ HTTPS_PROXY: "cache.corp.example.com:1234" });
    assert.equal(proxyFor(settings, new URL("http://insecure.tld/")), undefined);
  });

  test("a request that is neither http nor https gets no proxy", () => {
    const settings = settingsOf({
      HTTPS_PROXY: "cache.corp.example.com:1234",
      HTTP_PROXY: "cache.corp.example.com:1234",
    });
    assert.equal(proxyFor(settings, new URL("ftp://files.example/pub/")), undefined);
  });

  test("credentials become a percent-decoded Basic authorization, not part of the origin", () => {
    const settings = settingsOf({ HTTP_PROXY: "http://us%40er:p%3Ass@proxy:3128" });
    const proxy = proxyFor(settings, new URL("http://registry.example/"));
    assert.ok(proxy !== undefined);
    assert.equal(proxy.origin, "http://proxy:3128");
    assert.equal(proxy.authorization, `Basic ${base64("us@er:p:ss")}`);
    assert.ok(!proxy.origin.includes("us"), proxy.origin);
  });

  test("plain credentials are encoded as user:password", () => {
    const settings = settingsOf({ HTTPS_PROXY: "https://alice:s3cret@proxy.corp:8443" });
    const proxy = proxyFor(settings, new URL("https://registry.example/"));
    assert.ok(proxy !== undefined);
    assert.equal(proxy.origin, "https://proxy.corp:8443");
    assert.equal(proxy.authorization, `Basic ${base64("alice:s3cret")}`);
  });
});

describe("unusable proxy values", () => {
  test("a socks5 proxy is a USAGE error naming the scheme", () => {
    assertUsage(
      () => proxySettings({ httpsProxy: "socks5://127.0.0.1:1080" }),
      (message) => assert.match(message, /socks5/),
    );
  });

  test("an unknown scheme is a USAGE error naming the scheme", () => {
    assertUsage(
      () => proxySettings({ httpProxy: "foo://host" }),
      (message) => assert.match(message, /\bfoo\b/),
    );
  });

  test("the error names the variable it came from as its subject", () => {
    assert.throws(
      () => proxySettings({ httpProxy: "socks5h://proxy:1080" }),
      (err: unknown) => err instanceof OcicompatError && err.subject === "HTTP_PROXY",
    );
  });

  test("a value without a host is a USAGE error that never shows the password", () => {
    assertUsage(
      () => proxySettings({ httpProxy: "http://user:secret@" }),
      (message) => assert.ok(!message.includes("secret"), message),
    );
  });

  test("a password with an unencoded / or @ is masked whole in the message", () => {
    for (const value of ["http://user:se/cret@proxy:3128", "http://user:se@cret@"]) {
      assertUsage(
        () => proxySettings({ httpsProxy: value }),
        (message) => assert.ok(!/se\/?@?cret|cret/.test(message), message),
      );
    }
  });

  test("a refused socks value with credentials never shows the password", () => {
    assertUsage(
      () => proxySettings({ httpsProxy: "socks5://user:secret@proxy:1080" }),
      (message) => {
        assert.ok(!message.includes("secret"), message);
        assert.match(message, /socks5/);
      },
    );
  });
});

describe("proxyEnvironment", () => {
  test("the upper-case name wins when both are set and not empty", () => {
    const env = proxyEnvironment({
      HTTPS_PROXY: "upper-https:1",
      https_proxy: "lower-https:1",
      HTTP_PROXY: "upper-http:1",
      http_proxy: "lower-http:1",
      NO_PROXY: "upper.example",
      no_proxy: "lower.example",
    });
    assert.deepEqual(env, {
      httpsProxy: "upper-https:1",
      httpProxy: "upper-http:1",
      noProxy: "upper.example",
    });
  });

  test("an empty upper-case value falls back to the lower-case one", () => {
    const env = proxyEnvironment({
      HTTPS_PROXY: "",
      https_proxy: "lower-https:1",
      HTTP_PROXY: "",
      http_proxy: "lower-http:1",
      NO_PROXY: "",
      no_proxy: "lower.example",
    });
    assert.deepEqual(env, {
      httpsProxy: "lower-https:1",
      httpProxy: "lower-http:1",
      noProxy: "lower.example",
    });
  });

  test("REQUEST_METHOD marks the process as a CGI handler", () => {
    assert.equal(proxyEnvironment({ REQUEST_METHOD: "GET" }).cgi, true);
    assert.equal(proxyEnvironment({}).cgi, undefined);
  });

  test("with no proxy variable set there are no settings", () => {
    assert.equal(proxySettings(proxyEnvironment({})), undefined);
    assert.equal(proxySettings(proxyEnvironment({ HTTP_PROXY: "", https_proxy: "" })), undefined);
    assert.equal(proxySettings(proxyEnvironment({ NO_PROXY: "*" })), undefined);
  });
});

describe("CGI handlers (httpoxy)", () => {
  const env = {
    REQUEST_METHOD: "GET",
    HTTP_PROXY: "http://from-a-header:3128",
    HTTPS_PROXY: "https://secure-proxy:8443",
  };

  test("an http request through HTTP_PROXY is refused, naming REQUEST_METHOD", () => {
    const settings = settingsOf(env);
    assertUsage(
      () => proxyFor(settings, new URL("http://registry.example/v2/")),
      (message) => assert.match(message, /REQUEST_METHOD/),
    );
  });

  test("an https request still goes through HTTPS_PROXY", () => {
    const settings = settingsOf(env);
    const proxy = proxyFor(settings, new URL("https://registry.example/v2/"));
    assert.ok(proxy !== undefined);
    assert.equal(proxy.origin, "https://secure-proxy:8443");
    assert.equal(proxy.variable, "HTTPS_PROXY");
  });
});

describe("NO_PROXY entries", () => {
  test("a domain with a port bypasses that port only", () => {
    const settings = settingsOf({
      HTTPS_PROXY: "proxy.corp:3128",
      NO_PROXY: "registry.example:5000",
    });
    assert.equal(proxied(settings, "https://registry.example:5000/v2/"), false);
    assert.equal(proxied(settings, "https://registry.example/v2/"), true);
    assert.equal(proxied(settings, "https://sub.registry.example:5000/v2/"), false);
  });

  test("the request's default port comes from its scheme", () => {
    const https = settingsOf({ HTTPS_PROXY: "proxy.corp:3128", NO_PROXY: "registry.example:443" });
    assert.equal(proxied(https, "https://registry.example/"), false);
    const http = settingsOf({ HTTP_PROXY: "proxy.corp:3128", NO_PROXY: "registry.example:443" });
    assert.equal(proxied(http, "http://registry.example/"), true);
    const http80 = settingsOf({ HTTP_PROXY: "proxy.corp:3128", NO_PROXY: "registry.example:80" });
    assert.equal(proxied(http80, "http://registry.example/"), false);
  });

  test("matching ignores case", () => {
    const settings = settingsOf({ HTTPS_PROXY: "proxy.corp:3128", NO_PROXY: "Registry.Example" });
    assert.equal(proxied(settings, "https://REGISTRY.example/"), false);
    assert.equal(proxied(settings, "https://Mirror.REGISTRY.EXAMPLE/"), false);
  });

  test("a CIDR range bypasses the addresses inside it", () => {
    const settings = settingsOf({ HTTP_PROXY: "proxy.corp:3128", NO_PROXY: "10.0.0.0/8" });
    assert.equal(proxied(settings, "http://10.1.2.3/"), false);
    assert.equal(proxied(settings, "http://11.1.2.3/"), true);
  });

  test("an IPv4-mapped IPv6 address matches IPv4 entries, as Go's net.IP does", () => {
    const settings = settingsOf({
      HTTP_PROXY: "proxy.corp:3128",
      NO_PROXY: "10.0.0.0/8, 192.168.1.1",
    });
    assert.equal(proxied(settings, "http://[::ffff:10.1.2.3]/"), false);
    assert.equal(proxied(settings, "http://[::ffff:192.168.1.1]/"), false);
    assert.equal(proxied(settings, "http://[::ffff:192.168.1.2]/"), true);
    assert.equal(proxied(settings, "http://[::ffff:127.0.0.1]/"), false);
  });

  test("an invalid CIDR range is ignored without breaking the other entries", () => {
    const settings = settingsOf({
      HTTP_PROXY: "proxy.corp:3128",
      NO_PROXY: "10.0.0.0/33, 300.0.0.0/8, 10.0.0.0/x, keep.example",
    });
    assert.equal(proxied(settings, "http://10.0.0.1/"), true);
    assert.equal(proxied(settings, "http://keep.example/"), false);
  });

  test("empty entries and stray spaces are ignored", () => {
    const settings = settingsOf({ HTTP_PROXY: "proxy.corp:3128", NO_PROXY: " , ,a.example ,, " });
    assert.equal(proxied(settings, "http://a.example/"), false);
    assert.equal(proxied(settings, "http://b.example/"), true);
  });

  test("an internationalized domain matches its punycode hostname", () => {
    const unicode = settingsOf({ HTTP_PROXY: "proxy.corp:3128", NO_PROXY: ".示例.com" });
    assert.equal(proxied(unicode, "http://www.示例.com/"), false);
    assert.equal(proxied(unicode, "http://示例.com/"), true);
    const punycode = settingsOf({ HTTP_PROXY: "proxy.corp:3128", NO_PROXY: "xn--fsq092h.com" });
    assert.equal(proxied(punycode, "http://www.示例.com/"), false);
    assert.equal(proxied(punycode, "http://示例.com/"), false);
  });
});
