// The mirror in process against the real CNCF distribution registry, on what it serves besides a
// tag's answer: blobs by digest (verified, ranged, missing) and the distribution-spec errors for
// what it does not serve (other methods, unconfigured upstreams, malformed paths), with /v2/,
// /healthz and /metrics. A tag's answer and the decision log: mirror.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { computeDigest } from "../../../src/oci/digest.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { pushToRegistry } from "../select-support.js";
import { get, levelsImage, mirrorFor, profile, type TestMirror } from "./support.js";

const image = levelsImage("mirror");
let registry: TestRegistry;

before(async () => {
  registry = await startRegistry();
  await pushToRegistry(registry.host, "team/app", image.blobs, image.index.desc, "1.0");
});
after(async () => {
  await registry?.stop();
});

describe("content addressed by digest", () => {
  let mirror: TestMirror;
  const layer = image.v3.blobs[1];
  before(async () => {
    mirror = await mirrorFor([registry.host], await profile("intel-spr"));
  });
  after(async () => {
    await mirror?.close();
  });

  test("a blob streams through unchanged, with its digest", async () => {
    assert.ok(layer);
    const answer = await get(`${mirror.url}/v2/team/app/blobs/${layer.desc.digest}`);
    assert.equal(answer.status, 200);
    assert.equal(computeDigest(answer.bytes), layer.desc.digest);
    assert.equal(answer.headers.get("docker-content-digest"), layer.desc.digest);
  });

  test("a Range request gets the part asked for (206)", async () => {
    assert.ok(layer);
    const answer = await get(`${mirror.url}/v2/team/app/blobs/${layer.desc.digest}`, {
      headers: { range: "bytes=10-19" },
    });
    assert.equal(answer.status, 206);
    assert.deepEqual(answer.bytes, layer.bytes.subarray(10, 20));
  });

  test("a Range past the end is 416 with a zero Content-Length, so a kept-alive connection stays in step", async () => {
    assert.ok(layer);
    const url = `${mirror.url}/v2/team/app/blobs/${layer.desc.digest}`;
    const refused = await get(url, { headers: { range: `bytes=${layer.desc.size + 100}-` } });
    assert.equal(refused.status, 416);
    assert.equal(refused.headers.get("content-length"), "0");
    assert.equal(refused.bytes.length, 0);
    const next = await get(url);
    assert.equal(computeDigest(next.bytes), layer.desc.digest);
  });

  test("HEAD of a blob gives its size and no body", async () => {
    assert.ok(layer);
    const answer = await get(`${mirror.url}/v2/team/app/blobs/${layer.desc.digest}`, {
      method: "HEAD",
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("content-length"), String(layer.desc.size));
  });

  test("a blob the upstream lacks is BLOB_UNKNOWN (404)", async () => {
    const missing = computeDigest(Buffer.from("nothing"));
    const answer = await get(`${mirror.url}/v2/team/app/blobs/${missing}`);
    assert.equal(answer.status, 404);
    assert.equal((answer.json() as { errors: { code: string }[] }).errors[0]?.code, "BLOB_UNKNOWN");
  });
});

describe("what the mirror does not serve", () => {
  let mirror: TestMirror;
  before(async () => {
    mirror = await mirrorFor([registry.host], await profile("intel-spr"));
  });
  after(async () => {
    await mirror?.close();
  });

  const codeOf = (a: { json(): unknown }): string | undefined =>
    (a.json() as { errors: { code: string }[] }).errors[0]?.code;

  test("methods other than GET and HEAD get 405 UNSUPPORTED, and nothing reaches the upstream", async () => {
    for (const method of ["PUT", "POST", "DELETE", "PATCH"]) {
      const answer = await get(`${mirror.url}/v2/team/app/manifests/1.0`, { method });
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.get("allow"), "GET, HEAD");
      assert.equal(codeOf(answer), "UNSUPPORTED");
    }
    const still = await get(`${mirror.url}/v2/team/app/manifests/1.0`);
    assert.equal(still.headers.get("docker-content-digest"), image.v3.manifest.desc.digest);
  });

  test("an upstream that is not configured is DENIED: the mirror is not an open proxy", async () => {
    const answer = await get(`${mirror.url}/v2/library/alpine/manifests/3?ns=docker.io`);
    assert.equal(answer.status, 403);
    assert.equal(codeOf(answer), "DENIED");
    assert.match(
      (answer.json() as { errors: { message: string }[] }).errors[0]?.message ?? "",
      /"docker.io" is not configured/,
    );
  });

  test("malformed paths get NAME_INVALID, DIGEST_INVALID or UNSUPPORTED, never a stack trace", async () => {
    const cases: [string, number, string][] = [
      ["/v2/Team/App/manifests/1.0", 400, "NAME_INVALID"],
      ["/v2/team/app/blobs/latest", 400, "DIGEST_INVALID"],
      ["/v2/team/app/manifests/bad%20tag", 400, "MANIFEST_INVALID"],
      ["/v2/team/app/tags/list", 404, "UNSUPPORTED"],
      ["/v2/team/app/blobs/uploads/", 404, "UNSUPPORTED"],
      ["/etc/passwd", 404, "UNSUPPORTED"],
    ];
    for (const [path, status, code] of cases) {
      const answer = await get(`${mirror.url}${path}`);
      assert.equal(answer.status, status, path);
      assert.equal(codeOf(answer), code, path);
    }
  });

  test("/v2/ answers like a registry, /healthz names the node, /metrics counts requests and decisions", async () => {
    for (let i = 0; i < 2; i++) await get(`${mirror.url}/v2/team/app/manifests/1.0`);
    const ping = await get(`${mirror.url}/v2/`);
    assert.equal(ping.status, 200);
    assert.equal(ping.headers.get("docker-distribution-api-version"), "registry/2.0");
    const health = await get(`${mirror.url}/healthz`);
    assert.equal(health.status, 200);
    assert.match(health.bytes.toString(), /ok intel-spr/);
    const metrics = (await get(`${mirror.url}/metrics`)).bytes.toString();
    assert.match(
      metrics,
      /ocicompat_mirror_requests_total\{method="GET",route="manifest",status="200"\} \d+/,
    );
    assert.match(
      metrics,
      /ocicompat_mirror_decisions_total\{decision="chosen",reason="chosen"\} \d+/,
    );
    assert.match(metrics, /ocicompat_mirror_upstream_seconds_count\{operation="resolve"\} \d+/);
    assert.match(metrics, /ocicompat_mirror_cache_hits_total\{cache="verdict"\} \d+/);
  });
});
