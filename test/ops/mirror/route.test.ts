// Routing a mirror request (pure): the two mirror conventions, the refusal of unconfigured
// upstreams and of methods other than GET/HEAD, malformed paths, and Accept parsing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { acceptedMediaTypes, routeRequest } from "../../../src/ops/mirror/route.js";

const UPSTREAMS = ["registry.example", "127.0.0.1:5000", "docker.io"];
const DIGEST = `sha256:${"a".repeat(64)}`;

describe("routeRequest", () => {
  test("containerd's ?ns= names the upstream and keeps the whole path as the repository", () => {
    assert.deepEqual(
      routeRequest("GET", "/v2/library/alpine/manifests/3.20?ns=docker.io", UPSTREAMS),
      {
        kind: "manifest",
        upstream: "docker.io",
        repository: "library/alpine",
        reference: "3.20",
        byDigest: false,
      },
    );
  });

  test("ns is compared without case and with Docker Hub's other names", () => {
    const route = routeRequest("GET", "/v2/a/b/manifests/1?ns=Registry-1.Docker.io", UPSTREAMS);
    assert.equal(route.kind === "manifest" && route.upstream, "docker.io");
  });

  test("containers' same-path convention goes to the first upstream, the default", () => {
    const route = routeRequest("HEAD", "/v2/team/app/manifests/1.0", UPSTREAMS);
    assert.equal(route.kind === "manifest" && route.upstream, "registry.example");
    assert.equal(route.kind === "manifest" && route.repository, "team/app");
  });

  test("a mirror location with a namespace prefix that names an upstream selects it", () => {
    const route = routeRequest("GET", `/v2/docker.io/library/alpine/blobs/${DIGEST}`, UPSTREAMS);
    assert.deepEqual(route, {
      kind: "blob",
      upstream: "docker.io",
      repository: "library/alpine",
      digest: DIGEST,
    });
  });

  test("an upstream that is not configured is DENIED (403)", () => {
    const route = routeRequest("GET", "/v2/x/manifests/1?ns=evil.example", UPSTREAMS);
    assert.equal(route.kind, "error");
    assert.equal(route.kind === "error" && route.error.status, 403);
    assert.equal(route.kind === "error" && route.error.code, "DENIED");
  });

  test("every method but GET and HEAD is 405 UNSUPPORTED, before the path is looked at", () => {
    for (const method of ["PUT", "POST", "PATCH", "DELETE", "OPTIONS"]) {
      const route = routeRequest(method, "/v2/", UPSTREAMS);
      assert.equal(route.kind === "error" && route.error.status, 405, method);
    }
  });

  test("malformed names, tags and digests are refused with their distribution-spec codes", () => {
    const code = (target: string): string | false => {
      const r = routeRequest("GET", target, UPSTREAMS);
      return r.kind === "error" && r.error.code;
    };
    assert.equal(code("/v2/UPPER/manifests/1"), "NAME_INVALID");
    assert.equal(code("/v2/a//b/manifests/1"), "NAME_INVALID");
    assert.equal(code(`/v2/${"a/".repeat(200)}x/manifests/1`), "NAME_INVALID");
    assert.equal(code("/v2/a/blobs/sha256:short"), "DIGEST_INVALID");
    assert.equal(code(`/v2/a/manifests/${"t".repeat(200)}`), "MANIFEST_INVALID");
    assert.equal(code("/v2/a/tags/list"), "UNSUPPORTED");
    assert.equal(code("/v2/a/referrers/sha256:x"), "UNSUPPORTED");
  });

  test("/v2/, /healthz and /metrics are their own routes", () => {
    assert.equal(routeRequest("GET", "/v2/", UPSTREAMS).kind, "ping");
    assert.equal(routeRequest("GET", "/healthz", UPSTREAMS).kind, "healthz");
    assert.equal(routeRequest("GET", "/metrics", UPSTREAMS).kind, "metrics");
  });
});

describe("acceptedMediaTypes", () => {
  test("no header or a wildcard admits anything", () => {
    assert.equal(acceptedMediaTypes(undefined), undefined);
    assert.equal(acceptedMediaTypes("*/*"), undefined);
    assert.equal(acceptedMediaTypes("application/json, */*;q=0.5"), undefined);
  });

  test("a list (repeated headers too) admits its types, and q=0 refuses one", () => {
    const types = acceptedMediaTypes([
      "application/vnd.oci.image.index.v1+json;q=0.9",
      "application/vnd.oci.image.manifest.v1+json;q=0, application/vnd.docker.distribution.manifest.v2+json",
    ]);
    assert.deepEqual([...(types ?? [])].sort(), [
      "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.oci.image.index.v1+json",
    ]);
  });
});
