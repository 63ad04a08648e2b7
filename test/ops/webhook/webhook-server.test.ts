// The webhook server over real HTTPS (a certificate made in the test) apart from what it patches:
// registries that hang or are not allowed (--on-error), malformed reviews, many reviews and large
// bodies at once, health and metrics, and certificate reload. Real AdmissionReview documents
// (test/fixtures/admission) and the real registry behind a counting proxy (webhook-support.ts).
import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { after, before, test } from "node:test";
import type { WebhookServer } from "../../../src/ops/webhook/index.js";
import type { CountingProxy } from "../select-support.js";
import { makeCertificate, post, review } from "./support.js";
import { startWebhookFixture, type WebhookFixture } from "./webhook-support.js";

let fixture: WebhookFixture;
let proxy: CountingProxy;
let hanging: WebhookFixture["hanging"];
let dir: WebhookFixture["dir"];
let cert: WebhookFixture["cert"];
let open: WebhookServer;
let deny: WebhookServer;
let hpc: string;
let plain: string;
let start: WebhookFixture["start"];
let send: WebhookFixture["send"];

before(async () => {
  fixture = await startWebhookFixture();
  ({ proxy, hanging, dir, cert, open, deny, hpc, plain, start, send } = fixture);
  // The metrics test expects a count of patched reviews, and no test here has `open` patch one.
  await send(open, review("pod", [hpc]));
});

after(() => fixture.close());

test("a registry that never answers (an in-test server that accepts and stays silent): fail-open admits with a warning", async () => {
  const quick = await start("allow", 300);
  const answer = await send(quick, review("pod", [`${hanging.host}/app:1`]));
  assert.equal(answer.review.response.allowed, true);
  assert.equal(answer.review.response.patch, undefined);
  assert.match(
    answer.review.response.warnings?.[0] ?? "",
    /admitted without a node affinity: .*300 ms/,
  );
});

test("a registry that never answers (an in-test server that accepts and stays silent): --on-error deny refuses with the reason", async () => {
  const answer = await send(deny, review("pod", [`${hanging.host}/other:1`]));
  assert.equal(answer.review.response.allowed, false);
  assert.equal(answer.review.response.status?.code, 403);
  assert.match(
    answer.review.response.status?.message ?? "",
    /could not check the images: .*300 ms/,
  );
});

test("a registry outside the allowlist is never contacted", async () => {
  proxy.reset();
  const answer = await send(deny, review("pod", ["registry.example.com/app:1"]));
  assert.equal(answer.review.response.allowed, false);
  assert.match(
    answer.review.response.status?.message ?? "",
    /registry registry\.example\.com is not allowed \(--allow-registry\)/,
  );
  assert.deepEqual(proxy.requests, []);
});

test("a malformed review is a 400 that names what is wrong", async () => {
  const body = review("pod", [hpc]);
  delete (body["request"] as Record<string, unknown>)["uid"];
  const missing = await post(open.port, cert.cert, "/mutate", JSON.stringify(body));
  assert.equal(missing.status, 400);
  assert.equal(missing.body, "malformed AdmissionReview: $.request.uid: missing or not a string\n");
  const notJson = await post(open.port, cert.cert, "/mutate", '{"apiVersion":');
  assert.equal(notJson.status, 400);
  assert.match(notJson.body, /^the body is not JSON: /);
  const wrongVersion = await post(
    open.port,
    cert.cert,
    "/mutate",
    JSON.stringify({ ...body, apiVersion: "admission.k8s.io/v1beta1" }),
  );
  assert.equal(wrongVersion.status, 400);
  assert.match(
    wrongVersion.body,
    /\$\.apiVersion: expected "admission\.k8s\.io\/v1", found "admission\.k8s\.io\/v1beta1"/,
  );
});

test("500 concurrent reviews of one image cost one tag resolution and one read of each document", async () => {
  const fresh = await start("allow");
  proxy.reset();
  const image = `${proxy.host}/fma:1`;
  const answers = await Promise.all(
    Array.from({ length: 500 }, () => send(fresh, review("pod", [image]))),
  );
  assert.ok(answers.every((a) => a.review.response.patchType === "JSONPatch"));
  const manifests = proxy.requests.filter((r) => r.includes("/manifests/"));
  assert.equal(manifests.filter((r) => r.startsWith("HEAD")).length, 1, manifests.join("\n"));
  // The index, the compat manifest (by digest), and its config blob: once each.
  const gets = proxy.requests.filter((r) => r.startsWith("GET"));
  assert.equal(new Set(gets).size, gets.length, gets.join("\n"));
  assert.equal(gets.length, 3, gets.join("\n"));
});

test("review bodies held at once are bounded: past 32 MiB in flight the next one is answered 503, and the server keeps serving", async () => {
  const server = await start("allow");
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  // Five senders each hold 7 MiB of an 8 MB body without finishing it: 35 MiB in flight.
  const holders = Array.from({ length: 5 }, () => {
    const req = httpsRequest({
      host: "127.0.0.1",
      port: server.port,
      path: "/mutate",
      method: "POST",
      ca: readFileSync(cert.cert),
      agent: false,
      headers: { "content-type": "application/json", "content-length": 8_000_000 },
    });
    const answered = new Promise<number>((resolve) => {
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", () => resolve(-1));
    });
    for (let i = 0; i < 7; i++) req.write(chunk);
    return { req, answered };
  });
  const first = await Promise.race(holders.map((h) => h.answered));
  assert.equal(first, 503);
  for (const h of holders) h.req.destroy();
  const after = await send(server, review("pod", [plain]));
  assert.equal(after.review.response.allowed, true);
});

test("health, readiness and Prometheus metrics are served", async () => {
  assert.equal((await post(open.port, cert.cert, "/healthz", "", "GET")).status, 200);
  assert.equal((await post(open.port, cert.cert, "/readyz", "", "GET")).status, 200);
  const metrics = await post(open.port, cert.cert, "/metrics", "", "GET");
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /ocicompat_webhook_reviews_total\{outcome="patched"\} \d+/);
  assert.match(metrics.body, /ocicompat_webhook_review_seconds_bucket/);
});

test("a new certificate written over the files is served without a restart", async () => {
  const before = await post(open.port, cert.cert, "/healthz", "", "GET");
  const next = makeCertificate(dir.path, "renewed");
  const reloaded = open.nextReload();
  copyFileSync(next.key, cert.key);
  copyFileSync(next.cert, cert.cert);
  // The key may land before the certificate: wait for the reload that sees both.
  let result = await reloaded;
  while (result !== "ok") result = await open.nextReload();
  let after = await post(open.port, cert.cert, "/healthz", "", "GET");
  while (after.fingerprint === before.fingerprint) {
    await open.nextReload();
    after = await post(open.port, cert.cert, "/healthz", "", "GET");
  }
  assert.notEqual(after.fingerprint, before.fingerprint);
  assert.equal(after.status, 200);
});
