// The CLI through a real squid proxy, configured as users configure Go's container tools: by
// HTTPS_PROXY / https_proxy and NO_PROXY. The registry's name resolves only at the proxy.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startProxy, type TestProxy } from "../support/proxy.js";
import { startTlsRegistry, type TlsRegistry } from "../support/tls-registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

const NAME = "registry.ocicompat.test";

let served: TlsRegistry;
let proxy: TestProxy;
let host: string;

before(async () => {
  served = await startTlsRegistry({ dnsNames: [NAME] });
  host = `${NAME}:${served.registry.host.split(":")[1]}`;
  proxy = await startProxy({ hosts: { [NAME]: "127.0.0.1" } });
});

after(async () => {
  await proxy?.stop();
  await served?.stop();
});

describe("ocicompat through a proxy named by the environment (spawned, real squid and registry)", () => {
  test("copy, ls and select reach a registry only the proxy can resolve, through HTTPS_PROXY", async () => {
    const env = { HTTPS_PROXY: proxy.url };
    const tls = ["--ca-file", served.caFile];
    const copied = runCli(
      ["copy", ...tls, "oci:examples/demo-layout:demo", `${host}/demo/app:v1`],
      {
        env,
      },
    );
    assert.equal(copied.status, 0, copied.stderr);
    const listed = runCli(["ls", ...tls, `${host}/demo/app`], { env });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^v1$/m);
    const selected = runCli(
      ["select", ...tls, `${host}/demo/app:v1`, "--node", "examples/nodes/intel-spr.json"],
      { env },
    );
    assert.equal(selected.status, 0, selected.stderr);
    assert.match(selected.stdout, /^sha256:[0-9a-f]{64}$/m);
    const tunnels = await proxy.waitForLog((e) => e.method === "CONNECT" && e.url === host);
    assert.ok(tunnels.length >= 1);
  });

  test("the lower-case https_proxy works too, and NO_PROXY sends the host direct", () => {
    const tls = ["--ca-file", served.caFile];
    const viaLower = runCli(["ls", ...tls, `${host}/demo/app`], {
      env: { https_proxy: proxy.url },
    });
    assert.equal(viaLower.status, 0, viaLower.stderr);
    const direct = runCli(["ls", ...tls, `${host}/demo/app`], {
      env: { HTTPS_PROXY: proxy.url, NO_PROXY: "localhost,.ocicompat.test" },
    });
    assert.equal(direct.status, 2);
    assert.equal(direct.stderr, `ocicompat: ${host}: cannot reach ${host}: host name not found\n`);
  });

  test("an unusable HTTPS_PROXY is exit 2 with one line naming the variable, password masked", () => {
    const result = runCli(["ls", `${host}/demo/app`], {
      env: { HTTPS_PROXY: "socks5://alice:s3cret@127.0.0.1:1080" },
    });
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr,
      'ocicompat: HTTPS_PROXY: "socks5://***@127.0.0.1:1080" is a socks5 proxy, which ocicompat does not support; use an HTTP or HTTPS proxy\n',
    );
    assert.ok(!hasStackTrace(result.stderr));
  });
});
