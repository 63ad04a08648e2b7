// The registry client's pure helpers: host rules, Link paging, Retry-After and backoff, error
// bodies and redaction.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import {
  errorFromResponse,
  parseErrorBody,
  redactUrl,
} from "../../../src/content/registry/errors.js";
import {
  apiHostOf,
  isLoopbackRegistry,
  nextLink,
  withQueryParam,
  registryUrl,
} from "../../../src/content/registry/http.js";
import {
  backoffDelay,
  mayRetry,
  parseRetryAfter,
  retryPolicy,
} from "../../../src/content/registry/retry.js";
import { createRegistryStore } from "../../../src/content/registry/store.js";
import { referrersTag } from "../../../src/content/registry/documents.js";

describe("registry hosts", () => {
  test("loopback hosts are 127.0.0.0/8, ::1 and localhost", () => {
    for (const h of [
      "127.0.0.1:5000",
      "127.1.2.3",
      "localhost",
      "localhost:5000",
      "[::1]:5000",
      "reg.localhost",
    ]) {
      assert.equal(isLoopbackRegistry(h), true, h);
    }
    for (const h of [
      "10.0.0.1:5000",
      "registry.example",
      "127.0.0.1.nip.io",
      "docker.io",
      "128.0.0.1",
    ]) {
      assert.equal(isLoopbackRegistry(h), false, h);
    }
  });

  test("loopback registries default to plain HTTP, others to HTTPS unless told", async () => {
    const clients = [
      new RegistryClient({ registry: "127.0.0.1:5000" }),
      new RegistryClient({ registry: "registry.example" }),
      new RegistryClient({ registry: "registry.example:5000", plainHttp: true }),
      new RegistryClient({ registry: "localhost:5000", plainHttp: false }),
      new RegistryClient({ registry: "docker.io" }),
    ];
    assert.deepEqual(
      clients.map((c) => c.baseUrl),
      [
        "http://127.0.0.1:5000",
        "https://registry.example",
        "http://registry.example:5000",
        "https://localhost:5000",
        "https://registry-1.docker.io",
      ],
    );
    for (const c of clients) await c.close();
    assert.equal(apiHostOf("index.docker.io"), "registry-1.docker.io");
  });

  test("a store without a client makes its own from the same options, and closes it", async () => {
    const store = createRegistryStore({
      registry: "127.0.0.1:5000",
      repository: "team/app",
      plainHttp: false,
      chunkSize: 10,
    });
    assert.equal(store.client.baseUrl, "https://127.0.0.1:5000");
    assert.equal(store.name, "127.0.0.1:5000/team/app");
    await store.close();
    assert.throws(() => createRegistryStore({ registry: "r.example", repository: "Team/App" }), {
      code: "INVALID_REFERENCE",
    });
  });

  test("an unreadable CA file is a clear IO error", () => {
    assert.throws(
      () => new RegistryClient({ registry: "r.example", caFile: "/nonexistent/ca.pem" }),
      {
        code: "IO",
        message: /cannot read the CA file \/nonexistent\/ca\.pem/,
      },
    );
  });
});

describe("paging and upload URLs", () => {
  test("the rel=next target of a Link header is found among other links", () => {
    assert.equal(
      nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"'),
      "/v2/a/tags/list?n=2&last=b",
    );
    assert.equal(
      nextLink('<https://x/prev>; rel="prev", <https://x/next>; rel=next'),
      "https://x/next",
    );
    assert.equal(nextLink('<https://x/p>; rel="prev"'), undefined);
    assert.equal(nextLink(undefined), undefined);
  });

  test("the digest is appended to a Location while its query stays exactly as sent", () => {
    assert.equal(
      withQueryParam("http://h/v2/a/blobs/uploads/u?_state=ab%3D%3D", "digest", "sha256:00"),
      "http://h/v2/a/blobs/uploads/u?_state=ab%3D%3D&digest=sha256%3A00",
    );
    assert.equal(
      withQueryParam("/v2/a/blobs/uploads/u", "digest", "sha256:00"),
      "/v2/a/blobs/uploads/u?digest=sha256%3A00",
    );
  });

  test("the referrers fallback tag is <alg>-<hex>", () => {
    const hex = "a".repeat(64);
    assert.equal(referrersTag(`sha256:${hex}`), `sha256-${hex}`);
    assert.equal(referrersTag(`sha512:${"b".repeat(128)}`), `sha512-${"b".repeat(64)}`);
  });
});

describe("retry policy", () => {
  test("Retry-After is read as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(parseRetryAfter("3", now), 3000);
    assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
    assert.equal(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now), 0);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  test("backoff doubles with jitter, and Retry-After is capped", () => {
    const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 });
    assert.equal(
      backoffDelay(policy, 1, undefined, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(policy, 1, undefined, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(policy, 3, undefined, () => 1),
      400,
    );
    assert.equal(
      backoffDelay(policy, 10, undefined, () => 1),
      1000,
    );
    assert.equal(backoffDelay(policy, 1, 60_000), 5000);
  });

  test("retries stop at the attempt limit and at the total time budget", () => {
    const policy = retryPolicy({ maxAttempts: 3, totalTimeMs: 1000 });
    assert.equal(mayRetry(policy, 1, 0, 100, 0), true);
    assert.equal(mayRetry(policy, 3, 0, 100, 0), false);
    assert.equal(mayRetry(policy, 1, 0, 500, 600), false);
  });
});

describe("registry errors", () => {
  test("an OCI error body is parsed into codes, messages and details", () => {
    assert.deepEqual(
      parseErrorBody(
        '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}',
      ),
      [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown", detail: { Tag: "x" } }],
    );
    assert.deepEqual(parseErrorBody("404 page not found"), []);
    assert.deepEqual(parseErrorBody('{"errors":"nope"}'), []);
  });

  test("403 DENIED is an AUTH error naming the repository", () => {
    const err = errorFromResponse({
      method: "GET",
      url: "https://r.example/v2/team/app/manifests/v1",
      status: 403,
      body: '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}',
      context: { registry: "r.example", repository: "team/app", reference: "v1" },
    });
    assert.equal(err.code, "AUTH");
    assert.deepEqual(err.registryCodes, ["DENIED"]);
    assert.equal(
      err.message,
      "access denied to r.example/team/app: requested access to the resource is denied [403 DENIED]",
    );
    assert.equal(err.subject, "r.example/team/app:v1");
  });

  test("URLs on errors keep safe query values and redact the rest", () => {
    assert.equal(
      redactUrl("https://user:pw@s3.example/b/o?X-Amz-Signature=abc&digest=sha256:00&n=2"),
      "https://s3.example/b/o?X-Amz-Signature=…&digest=sha256%3A00&n=2",
    );
    const err = errorFromResponse({
      method: "GET",
      url: "https://s3.example/b/o?sig=secret",
      status: 500,
      body: "",
      context: { registry: "r.example" },
    });
    assert.equal(err.url, "https://s3.example/b/o?sig=…");
    assert.equal(err.temporary, true);
  });
});

describe("API paths on a mirror (containerd's hosts.toml)", () => {
  const base = "https://mirror.example";
  test("API paths move under the API root and carry the query; other URLs are left alone", () => {
    const ns = { ns: "registry.example:5000" };
    assert.equal(
      registryUrl(base, "/v2/team/app/manifests/v1", "/prefix/v2", ns).href,
      "https://mirror.example/prefix/v2/team/app/manifests/v1?ns=registry.example%3A5000",
    );
    assert.equal(
      registryUrl(base, "/v2/team/app/tags/list?n=2&last=a", "/root", ns).href,
      "https://mirror.example/root/team/app/tags/list?n=2&last=a&ns=registry.example%3A5000",
    );
    assert.equal(
      registryUrl(base, "/v2/", "", ns).href,
      "https://mirror.example/?ns=registry.example%3A5000",
    );
    // A next page the mirror linked with the parameter already in it keeps its query as it is.
    assert.equal(
      registryUrl(base, "/v2/team/app/tags/list?last=a%2Fb&ns=registry.example%3A5000", "/v2", ns)
        .href,
      "https://mirror.example/v2/team/app/tags/list?last=a%2Fb&ns=registry.example%3A5000",
    );
    // An upload Location or a redirect is the server's own URL: neither moved nor extended.
    assert.equal(
      registryUrl(base, "/uploads/abc?_state=x", "/prefix/v2", ns).href,
      "https://mirror.example/uploads/abc?_state=x",
    );
    assert.equal(
      registryUrl(base, "https://storage.example/blob?sig=1", "/prefix/v2", ns).href,
      "https://storage.example/blob?sig=1",
    );
  });

  test("without an API root or query, paths are as given", () => {
    assert.equal(
      registryUrl(base, "/v2/team/app/blobs/sha256:ab").href,
      `${base}/v2/team/app/blobs/sha256:ab`,
    );
  });
});
