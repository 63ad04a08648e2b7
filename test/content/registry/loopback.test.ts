// One loopback rule (loopback.ts) for plain-HTTP defaults and proxy bypass: what is written counts,
// in any spelling of 127.0.0.0/8 and ::1; names are never resolved.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isLoopbackRegistry } from "../../../src/content/registry/http.js";
import { proxyFor, proxySettings } from "../../../src/content/registry/proxy-env.js";
import { isLoopbackHost } from "../../../src/content/registry/loopback.js";

const LOOPBACK = [
  "localhost",
  "LocalHost",
  "registry.localhost",
  "127.0.0.1",
  "127.255.255.254",
  "::1",
  "0:0:0:0:0:0:0:1",
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
];
const NOT_LOOPBACK = [
  "localhost.example",
  "mylocalhost",
  "128.0.0.1",
  "126.255.255.255",
  "::2",
  "::ffff:10.0.0.1",
  // Not an address as written (inet_aton would read 127.0.0.1): a name, and names are not resolved.
  "127.1",
  "registry.example",
];

test("loopback hosts are localhost, *.localhost, and 127.0.0.0/8 and ::1 in any spelling", () => {
  for (const host of LOOPBACK) assert.equal(isLoopbackHost(host), true, host);
  for (const host of NOT_LOOPBACK) assert.equal(isLoopbackHost(host), false, host);
});

test("a registry on a loopback host, port and brackets aside, is a loopback registry", () => {
  assert.equal(isLoopbackRegistry("[::ffff:127.0.0.1]:5000"), true);
  assert.equal(isLoopbackRegistry("[::1]:5000"), true);
  assert.equal(isLoopbackRegistry("127.0.0.1:5000"), true);
  assert.equal(isLoopbackRegistry("127.1:5000"), false);
});

test("the proxy rules use the same loopback hosts: none of them is ever proxied", () => {
  const settings = proxySettings({ httpsProxy: "http://proxy.example:3128" });
  assert.ok(settings !== undefined);
  for (const host of LOOPBACK) {
    const url = new URL(`https://${host.includes(":") ? `[${host}]` : host}:5000/v2/`);
    assert.equal(proxyFor(settings, url), undefined, host);
  }
  assert.notEqual(proxyFor(settings, new URL("https://registry.example/v2/")), undefined);
});
