// containerd's hosts.toml as containerd v2's hosts.go reads it: hosts in file order, URLs turned
// into scheme, host and API root, capabilities and TLS files per entry, and an error naming file
// and entry for everything containerd refuses.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  parseHostsToml,
  type HostsToml,
  type HostsTomlHost,
} from "../../../src/content/registry/hosts-toml.js";
import { OcicompatError, type ErrorCode } from "../../../src/oci/errors.js";

const DIR = "/etc/containerd/certs.d/docker.io";
const FILE = `${DIR}/hosts.toml`;
const ALL = ["pull", "resolve", "push", "referrers"];

function parsed(text: string): HostsToml {
  return parseHostsToml(text, FILE, DIR);
}

function onlyHost(text: string): HostsTomlHost {
  const hosts = parsed(text).hosts;
  assert.equal(hosts.length, 1);
  return hosts[0] as HostsTomlHost;
}

/** Asserts that parsing `text` throws an error with `code`, naming the file and matching every pattern. */
function assertRefused(text: string, patterns: RegExp[], code: ErrorCode = "USAGE"): void {
  assert.throws(
    () => parsed(text),
    (err: unknown) => {
      assert.ok(err instanceof OcicompatError, `expected an OcicompatError, got ${String(err)}`);
      assert.equal(err.code, code);
      assert.equal(err.subject, FILE);
      assert.ok(err.message.startsWith(`${FILE}: `), err.message);
      assert.ok(!err.message.includes("\n"), `one line: ${err.message}`);
      for (const pattern of patterns) assert.match(err.message, pattern);
      return true;
    },
  );
}

describe("containerd's documented examples", () => {
  test("docker.io with a server and two mirrors keeps each mirror's capabilities", () => {
    const conf = parsed(`
server = "https://registry-1.docker.io"

[host."https://public-mirror.example.com"]
  capabilities = ["pull"]

[host."https://docker-mirror.internal"]
  capabilities = ["pull", "resolve"]
  ca = "docker-mirror.internal/ca.crt"
`);
    assert.deepEqual(conf, {
      file: FILE,
      hosts: [
        {
          at: '[host."https://public-mirror.example.com"]',
          scheme: "https",
          host: "public-mirror.example.com",
          apiRoot: "/v2",
          capabilities: ["pull"],
          caFiles: [],
          clientCerts: [],
          headers: {},
        },
        {
          at: '[host."https://docker-mirror.internal"]',
          scheme: "https",
          host: "docker-mirror.internal",
          apiRoot: "/v2",
          capabilities: ["pull", "resolve"],
          caFiles: [`${DIR}/docker-mirror.internal/ca.crt`],
          clientCerts: [],
          headers: {},
        },
      ],
      server: {
        at: "server",
        scheme: "https",
        host: "registry-1.docker.io",
        apiRoot: "/v2",
        capabilities: ALL,
        caFiles: [],
        clientCerts: [],
        headers: {},
      },
    });
  });

  test("_default with only a host leaves the server entry as the registry itself", () => {
    const conf = parseHostsToml(
      `[host."https://registry.example.com"]\n  capabilities = ["pull", "resolve"]\n`,
      "/etc/containerd/certs.d/_default/hosts.toml",
      "/etc/containerd/certs.d/_default",
    );
    assert.equal(conf.hosts[0]?.host, "registry.example.com");
    assert.deepEqual(conf.server, {
      at: "server",
      scheme: "https",
      host: "",
      apiRoot: "/v2",
      capabilities: ALL,
      caFiles: [],
      clientCerts: [],
      headers: {},
    });
  });

  test("bypassing TLS verification for a plain-http host keeps scheme, port and skip_verify", () => {
    const host = onlyHost(`[host."http://192.168.31.250:5000"]\n  skip_verify = true\n`);
    assert.equal(host.scheme, "http");
    assert.equal(host.host, "192.168.31.250:5000");
    assert.equal(host.skipVerify, true);
  });
});

describe("hosts and their URLs", () => {
  test("hosts keep the file's order, not alphabetical order", () => {
    const conf = parsed(`
[host."https://zeta.example"]
[host."https://alpha.example"]
[host."https://mid.example"]
`);
    assert.deepEqual(
      conf.hosts.map((h) => h.host),
      ["zeta.example", "alpha.example", "mid.example"],
    );
  });

  test("a server without a scheme gets https", () => {
    const conf = parsed(`server = "registry.example:5000"\n`);
    assert.equal(conf.server.scheme, "https");
    assert.equal(conf.server.host, "registry.example:5000");
    assert.equal(conf.server.apiRoot, "/v2");
  });

  test("a URL path becomes the API root with /v2 appended", () => {
    assert.equal(
      onlyHost(`[host."https://mirror.example/some/prefix"]`).apiRoot,
      "/some/prefix/v2",
    );
  });

  test("a URL path already ending in /v2 is not doubled", () => {
    assert.equal(onlyHost(`[host."https://mirror.example/proxy/v2"]`).apiRoot, "/proxy/v2");
  });

  test("trailing slashes, // and .. in the path are cleaned as Go's path.Clean does", () => {
    assert.equal(onlyHost(`[host."https://m.example/a//b/"]`).apiRoot, "/a/b/v2");
    assert.equal(onlyHost(`[host."https://m.example/a/../b/./c"]`).apiRoot, "/b/c/v2");
    assert.equal(onlyHost(`[host."https://m.example/"]`).apiRoot, "/v2");
  });

  test("override_path keeps the URL path as the API root, cleaned", () => {
    const host = onlyHost(`[host."https://m.example/api/registry//"]\noverride_path = true\n`);
    assert.equal(host.apiRoot, "/api/registry");
  });

  test("override_path with no URL path leaves the API root empty (the server root)", () => {
    const conf = parsed(`server = "https://m.example"\noverride_path = true\n`);
    assert.equal(conf.server.apiRoot, "");
  });

  test("without a server, the top-level capabilities and override_path give way to the defaults", () => {
    const conf = parsed(`capabilities = ["pull"]\noverride_path = true\nskip_verify = false\n`);
    assert.equal(conf.server.apiRoot, "/v2");
    assert.deepEqual(conf.server.capabilities, ALL);
    assert.equal(conf.server.skipVerify, false);
  });

  test("a URL with a scheme other than http or https is refused, naming the entry", () => {
    assertRefused(`[host."httpx://m.example"]`, [
      /\[host\."httpx:\/\/m\.example"\]: /,
      /http or https/,
    ]);
  });

  test("a URL with no host, a bad port or user info is refused", () => {
    assertRefused(`server = "https:///v2"`, [/^[^:]+: server: /, /not a host name/]);
    assertRefused(`server = "m.example:port"`, [/server: /, /"m\.example:port" is not a host/]);
    assertRefused(`[host."https://u:p@m.example"]`, [/user info/]);
    assertRefused(`[host."https://m.example/a%zz"]`, [/invalid %-escape/]);
  });
});

describe("capabilities", () => {
  test("absent or empty capabilities mean all four", () => {
    const conf = parsed(
      `server = "https://r.example"\n[host."https://m.example"]\ncapabilities = []\n`,
    );
    assert.deepEqual(conf.server.capabilities, ALL);
    assert.deepEqual(conf.hosts[0]?.capabilities, ALL);
  });

  test("capabilities are case-insensitive, kept in canonical order without duplicates", () => {
    const host = onlyHost(
      `[host."https://m.example"]\ncapabilities = ["Referrers", "PUSH", "pull", "Pull"]\n`,
    );
    assert.deepEqual(host.capabilities, ["pull", "push", "referrers"]);
  });

  test("an unknown capability is refused with the known ones listed", () => {
    assertRefused(`[host."https://mirror.example"]\ncapabilities = ["pul"]\n`, [
      /: \[host\."https:\/\/mirror\.example"\]: unknown capability "pul" \(pull, resolve, push, referrers\)$/,
    ]);
  });
});

describe("TLS files", () => {
  test("ca as a string or an array; relative paths join the directory, absolute ones stay", () => {
    assert.deepEqual(onlyHost(`[host."https://m.example"]\nca = "ca.crt"\n`).caFiles, [
      `${DIR}/ca.crt`,
    ]);
    assert.deepEqual(
      onlyHost(`[host."https://m.example"]\nca = ["/etc/ssl/a.pem", "sub/b.pem"]\n`).caFiles,
      ["/etc/ssl/a.pem", `${DIR}/sub/b.pem`],
    );
  });

  test("client as one file holds cert and key together", () => {
    assert.deepEqual(onlyHost(`[host."https://m.example"]\nclient = "client.pem"\n`).clientCerts, [
      { cert: `${DIR}/client.pem` },
    ]);
  });

  test("client as an array of files, each holding cert and key", () => {
    const host = onlyHost(`[host."https://m.example"]\nclient = ["a.pem", "/abs/b.pem"]\n`);
    assert.deepEqual(host.clientCerts, [{ cert: `${DIR}/a.pem` }, { cert: "/abs/b.pem" }]);
  });

  test("client as [cert, key] pairs; an empty key means the key is in the cert file", () => {
    const host = onlyHost(
      `[host."https://m.example"]\nclient = [["c.cert", "c.key"], ["/d.cert", ""]]\n`,
    );
    assert.deepEqual(host.clientCerts, [
      { cert: `${DIR}/c.cert`, key: `${DIR}/c.key` },
      { cert: "/d.cert" },
    ]);
  });

  test("a client pair that is not two strings is refused, naming the entry", () => {
    assertRefused(`[host."https://m.example"]\nclient = [["only.cert"]]\n`, [
      /\[host\."https:\/\/m\.example"\]: client\[0\] must be .*pair/,
    ]);
    assertRefused(`[host."https://m.example"]\nclient = ["a.pem", 3]\n`, [
      /client\[1\] .*the number 3/,
    ]);
  });

  test("skip_verify absent is undefined, not false", () => {
    const host = onlyHost(`[host."https://m.example"]\n`);
    assert.equal("skipVerify" in host, false);
  });
});

describe("types, unsupported and ignored keys", () => {
  test("wrong types for known keys are refused, naming the key", () => {
    assertRefused(`[host."https://m.example"]\nskip_verify = "yes"\n`, [
      /\[host\."https:\/\/m\.example"\]: skip_verify must be true or false, not the string "yes"/,
    ]);
    assertRefused(`capabilities = "pull"\n`, [/^[^:]+: capabilities must be an array of strings/]);
    assertRefused(`[host."https://m.example"]\nca = 3\n`, [
      /: ca must be a file name .*the number 3/,
    ]);
    assertRefused(`server = 5\n`, [/server must be a string/]);
    assertRefused(`override_path = 1\n`, [/override_path must be true or false/]);
    assertRefused(`host = "x"\n`, [/host must be a table/]);
  });

  test("keys match case-insensitively, as go-toml does for containerd", () => {
    const host = onlyHost(`[host."https://m.example"]\nSkip_Verify = true\n`);
    assert.equal(host.skipVerify, true);
  });

  test("header values are a string or an array of strings, kept per host with lower-case names", () => {
    const host = onlyHost(
      `[host."https://m.example"]\n[host."https://m.example".header]\nX-Custom = "1"\nx-list = ["a", "b"]\n`,
    );
    assert.deepEqual(host.headers, { "x-custom": ["1"], "x-list": ["a", "b"] });
    assert.deepEqual(parsed(`[header]\nx-top = "t"\n`).server.headers, { "x-top": ["t"] });
    assert.deepEqual(onlyHost(`[host."https://m.example"]\n`).headers, {});
  });

  test("a header that is not a string, not a header name, or has a control character is refused", () => {
    assertRefused(`[header]\nx-n = 1\n`, [
      /header "x-n" must be a string or an array of strings, not the number 1/,
    ]);
    assertRefused(`[header]\n"bad name" = "v"\n`, [/header "bad name" is not an HTTP header name/]);
    assertRefused(`[header]\nx-v = "a\\nb"\n`, [
      /header "x-v" has a value with a control character/,
    ]);
  });

  test("an empty header table is accepted", () => {
    assert.equal(onlyHost(`[host."https://m.example".header]\n`).host, "m.example");
  });

  test("dial_timeout as a string is accepted; another type is refused", () => {
    assert.equal(onlyHost(`[host."https://m.example"]\ndial_timeout = "3s"\n`).host, "m.example");
    assertRefused(`dial_timeout = 3\n`, [/dial_timeout must be a string, not the number 3/]);
  });

  test("unknown keys are ignored", () => {
    const host = onlyHost(`color = "blue"\n[host."https://m.example"]\nmystery = [1, 2]\n`);
    assert.equal(host.host, "m.example");
  });
});

describe("the file as a whole", () => {
  test("a TOML syntax error names the file and line:column on one line", () => {
    assertRefused(`server = "https://r.example"\n[host."https://m.example"\n`, [
      /^\/etc\/containerd\/certs\.d\/docker\.io\/hosts\.toml: line 2:\d+: /,
    ]);
  });

  test("an empty file or one with only comments has no hosts and a default server entry", () => {
    for (const text of ["", "# nothing here\n\n"]) {
      const conf = parsed(text);
      assert.deepEqual(conf.hosts, []);
      assert.equal(conf.server.host, "");
      assert.equal(conf.server.scheme, "https");
      assert.equal(conf.server.apiRoot, "/v2");
    }
  });
});
