// The webhook over real HTTPS (a certificate made in the test), fed real AdmissionReview documents
// (test/fixtures/admission), resolving images in the real registry. Every patch is applied and the
// result validated against the Kubernetes OpenAPI schemas (kubernetes-models).
import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { CronJob } from "kubernetes-models/batch/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Pod } from "kubernetes-models/v1";
import { createCatalog } from "../../../src/compat/catalog.js";
import { createStoreOpener, type StoreOpener } from "../../../src/content/open.js";
import {
  ImageCache,
  startWebhookServer,
  type WebhookServer,
} from "../../../src/ops/webhook/index.js";
import { DECISION_ANNOTATION } from "../../../src/ops/webhook/decision.js";
import { tempDir } from "../../content/layout-support.js";
import { applyPatch } from "../../support/json-patch.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import {
  compatManifest,
  indexBlob,
  pushToRegistry,
  startCountingProxy,
  variantImage,
  type CountingProxy,
} from "../select-support.js";
import { makeCertificate, post, review } from "./support.js";

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64" };

async function pushImage(
  host: string,
  repo: string,
  sets: Record<string, unknown>[] | undefined,
): Promise<void> {
  const x86 = variantImage(`${repo} amd64`, amd64);
  const arm = variantImage(`${repo} arm64`, arm64);
  const compat = sets === undefined ? undefined : compatManifest(sets, amd64);
  const index = indexBlob([
    {
      descriptor: x86.manifest.desc,
      platform: { ...amd64, ...(compat ? { compatibilities: compat.descriptor } : {}) },
    },
    { descriptor: arm.manifest.desc, platform: arm64 },
  ]);
  await pushToRegistry(
    host,
    repo,
    [...x86.blobs, ...arm.blobs, ...(compat?.blobs ?? []), index],
    index.desc,
    "1",
  );
}

interface Answer {
  status: number;
  review: {
    apiVersion: string;
    kind: string;
    response: {
      uid: string;
      allowed: boolean;
      patchType?: string;
      patch?: string;
      warnings?: string[];
      status?: { code: number; message: string };
    };
  };
}

/** A TCP server that accepts connections and never answers: a registry that hangs. */
async function hangingServer(): Promise<{ host: string; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => void sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("webhook over HTTPS with real AdmissionReviews", () => {
  let registry: TestRegistry;
  let proxy: CountingProxy;
  let hanging: { host: string; close(): Promise<void> };
  let opener: StoreOpener;
  let dir: ReturnType<typeof tempDir>;
  let cert: { cert: string; key: string };
  const servers: WebhookServer[] = [];
  let open: WebhookServer;
  let deny: WebhookServer;
  let hpc: string;
  let fma: string;
  let plain: string;

  async function start(onError: "allow" | "deny", deadlineMs = 5000): Promise<WebhookServer> {
    const server = await startWebhookServer({
      host: "127.0.0.1",
      port: 0,
      certFile: cert.cert,
      keyFile: cert.key,
      onError,
      deadlineMs,
      reloadIntervalMs: 50,
      log: () => undefined,
      images: new ImageCache({
        opener,
        catalog: createCatalog(),
        allowRegistries: [proxy.host, hanging.host],
        readTimeoutMs: deadlineMs,
      }),
    });
    servers.push(server);
    return server;
  }

  async function send(server: WebhookServer, body: unknown): Promise<Answer> {
    const answer = await post(server.port, cert.cert, "/mutate", JSON.stringify(body));
    assert.equal(answer.status, 200, answer.body);
    return { status: answer.status, review: JSON.parse(answer.body) as Answer["review"] };
  }

  function patched<T>(body: Record<string, unknown>, answer: Answer): T {
    const { patch, patchType } = answer.review.response;
    assert.equal(patchType, "JSONPatch");
    const ops = JSON.parse(Buffer.from(patch ?? "", "base64").toString("utf8")) as [];
    return applyPatch((body["request"] as Record<string, unknown>)["object"], ops) as T;
  }

  before(async () => {
    dir = tempDir("ocicompat-webhook-");
    cert = makeCertificate(dir.path);
    registry = await startRegistry();
    proxy = await startCountingProxy(registry.host);
    hanging = await hangingServer();
    opener = createStoreOpener({});
    await pushImage(registry.host, "hpc", [
      { "oci.cpu.features": "avx512f", score: 10 },
      { "oci.cpu.features": "avx2" },
    ]);
    await pushImage(registry.host, "fma", [
      { "oci.cpu.features": "fma", "oci.kernel.version": ">=5.15" },
    ]);
    await pushImage(registry.host, "plain", undefined);
    hpc = `${proxy.host}/hpc:1`;
    fma = `${proxy.host}/fma:1`;
    plain = `${proxy.host}/plain:1`;
    open = await start("allow");
    deny = await start("deny", 300);
  });

  after(async () => {
    for (const s of servers) await s.close();
    await opener.close();
    await hanging.close();
    await proxy.close();
    await registry.stop();
    dir.remove();
  });

  test("a Pod gets a nodeAffinity over NFD labels and an annotation with the digest; the result is a valid Pod", async () => {
    const body = review("pod", [hpc]);
    const answer = await send(open, body);
    assert.equal(answer.review.apiVersion, "admission.k8s.io/v1");
    assert.equal(answer.review.kind, "AdmissionReview");
    assert.equal(answer.review.response.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert.equal(answer.review.response.allowed, true);
    const pod = patched<Pod>(body, answer);
    new Pod(pod as never).validate();
    const terms =
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms ?? [];
    const keys = terms.map((t) => (t.matchExpressions ?? []).map((e) => e.key).sort());
    // amd64 with either set (in the document's order), or arm64, whose entry has no compat data.
    assert.deepEqual(keys, [
      ["feature.node.kubernetes.io/cpu-cpuid.AVX512F", "kubernetes.io/arch", "kubernetes.io/os"],
      ["feature.node.kubernetes.io/cpu-cpuid.AVX2", "kubernetes.io/arch", "kubernetes.io/os"],
      ["kubernetes.io/arch", "kubernetes.io/os"],
    ]);
    const preferred =
      pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    assert.equal(preferred[0]?.weight, 100);
    const decision = JSON.parse(pod.metadata?.annotations?.[DECISION_ANNOTATION] ?? "{}");
    assert.equal(decision.decision, "affinity-added");
    assert.match(decision.images[hpc], /^sha256:[0-9a-f]{64}$/);
  });

  test("a Deployment's pod template is patched; the result is a valid Deployment", async () => {
    const body = review("deployment", [hpc]);
    const deployment = patched<Deployment>(body, await send(open, body));
    new Deployment(deployment as never).validate();
    assert.ok(
      deployment.spec?.template.spec?.affinity?.nodeAffinity
        ?.requiredDuringSchedulingIgnoredDuringExecution,
    );
    assert.ok(deployment.spec?.template.metadata?.annotations?.[DECISION_ANNOTATION]);
    assert.equal(deployment.metadata?.annotations, undefined);
  });

  test("a CronJob's job template pod spec is patched; the result is a valid CronJob", async () => {
    const body = review("cronjob", [fma]);
    const cronjob = patched<CronJob>(body, await send(open, body));
    new CronJob(cronjob as never).validate();
    const spec = cronjob.spec?.jobTemplate.spec?.template.spec;
    assert.ok(spec?.affinity?.nodeAffinity);
  });

  test("two containers whose images need different features: every term needs both, and the user's own zone term stays", async () => {
    const body = review("pod-two-containers", [hpc, fma]);
    const answer = await send(open, body);
    const pod = patched<Pod>(body, answer);
    new Pod(pod as never).validate();
    const terms =
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms ?? [];
    assert.ok(terms.length >= 2);
    let amd64Terms = 0;
    for (const t of terms) {
      const keys = (t.matchExpressions ?? []).map((e) => e.key);
      assert.ok(keys.includes("topology.kubernetes.io/zone"), "the user's requirement is kept");
      const arch = t.matchExpressions?.find((e) => e.key === "kubernetes.io/arch")?.values;
      // Both images also have an arm64 entry without compat data: arm64 nodes need nothing more.
      if (arch?.[0] === "arm64") continue;
      amd64Terms++;
      assert.ok(keys.includes("feature.node.kubernetes.io/cpu-cpuid.FMA3"), "fma's requirement");
      assert.ok(
        keys.some((k) => /AVX2|AVX512F/.test(k)),
        "hpc's requirement",
      );
      assert.ok(keys.includes("feature.node.kubernetes.io/kernel-version.major"));
    }
    assert.ok(amd64Terms >= 2);
    const decision = JSON.parse(pod.metadata?.annotations?.[DECISION_ANNOTATION] ?? "{}");
    assert.deepEqual(Object.keys(decision.images).sort(), [fma, hpc].sort());
  });

  test("a second review of an already patched pod leaves its affinity as it was", async () => {
    const body = review("pod-two-containers", [hpc, fma]);
    const once = patched<Pod>(body, await send(open, body));
    const again = structuredClone(body);
    (again["request"] as Record<string, unknown>)["object"] = once;
    const answer = await send(open, again);
    assert.equal(answer.review.response.allowed, true);
    assert.equal(answer.review.response.patch, undefined, "nothing to change, so no patch");
  });

  /** A review of `object` (a Deployment) as an UPDATE: the object as it will be stored. */
  function updateOf(object: unknown, before: unknown): Record<string, unknown> {
    const body = review("deployment", [hpc]);
    const request = body["request"] as Record<string, unknown>;
    request["operation"] = "UPDATE";
    request["object"] = structuredClone(object);
    request["oldObject"] = structuredClone(before);
    return body;
  }

  function withImage(deployment: Deployment, image: string): Deployment {
    const next = structuredClone(deployment);
    for (const c of next.spec?.template.spec?.containers ?? []) c.image = image;
    return next;
  }

  const ZONE = { key: "topology.kubernetes.io/zone", operator: "In", values: ["zone-a"] };

  function ownAffinityDeployment(): Record<string, unknown> {
    const body = review("deployment", [hpc]);
    const object = (body["request"] as Record<string, unknown>)["object"] as Deployment;
    (object.spec as unknown as { template: { spec: Record<string, unknown> } }).template.spec[
      "affinity"
    ] = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [ZONE] }],
        },
      },
    };
    return body;
  }

  test("an update that changes the image replaces the webhook's earlier terms instead of intersecting them as if the user had written them; the user's own term stays", async () => {
    const created = ownAffinityDeployment();
    const first = patched<Deployment>(created, await send(open, created));
    const update = updateOf(withImage(first, fma), first);
    const second = patched<Deployment>(update, await send(open, update));
    new Deployment(second as never).validate();
    const terms =
      second.spec?.template.spec?.affinity?.nodeAffinity
        ?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    const keys = terms.flatMap((t) => (t.matchExpressions ?? []).map((e) => e.key));
    assert.ok(keys.includes("feature.node.kubernetes.io/cpu-cpuid.FMA3"), "fma's requirement");
    assert.ok(!keys.some((k) => /AVX2|AVX512F/.test(k)), `hpc's terms are gone: ${keys.join(" ")}`);
    for (const t of terms)
      assert.deepEqual(
        t.matchExpressions?.filter((e) => e.key === ZONE.key),
        [ZONE],
      );
    const decision = JSON.parse(
      second.spec?.template.metadata?.annotations?.[DECISION_ANNOTATION] ?? "{}",
    );
    assert.deepEqual(Object.keys(decision.images), [fma]);
    assert.deepEqual(
      decision.own,
      (created["request"] as { object: Deployment }).object.spec?.template.spec?.affinity
        ?.nodeAffinity,
    );
  });

  test("an update to images without compatibility data gives the pod template back its own affinity and drops the annotation", async () => {
    const created = ownAffinityDeployment();
    const first = patched<Deployment>(created, await send(open, created));
    const update = updateOf(withImage(first, plain), first);
    const second = patched<Deployment>(update, await send(open, update));
    new Deployment(second as never).validate();
    assert.deepEqual(second.spec?.template.spec?.affinity, {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [ZONE] }],
        },
      },
    });
    assert.equal(second.spec?.template.metadata?.annotations?.[DECISION_ANNOTATION], undefined);
  });

  test("an update that keeps the images keeps their recorded digests, so a moved tag does not rewrite the template; a pod created from it is placed by the tag's new digest", async () => {
    await pushImage(registry.host, "mover", [{ "oci.cpu.features": "avx2" }]);
    const mover = `${proxy.host}/mover:1`;
    const created = review("deployment", [mover]);
    const first = patched<Deployment>(created, await send(open, created));
    const before = JSON.parse(
      first.spec?.template.metadata?.annotations?.[DECISION_ANNOTATION] ?? "{}",
    );
    await pushImage(registry.host, "mover", [{ "oci.cpu.features": "avx512f" }]);
    const fresh = await start("allow");
    const scaled = structuredClone(first);
    if (scaled.spec) scaled.spec.replicas = 7;
    const update = await send(fresh, updateOf(scaled, first));
    assert.equal(update.review.response.allowed, true);
    assert.equal(update.review.response.patch, undefined, "the template is left as it was");
    // The ReplicaSet's pod: the template's metadata and spec, created (CREATE) now.
    const pod = review("pod", [mover]);
    const podObject = (pod["request"] as Record<string, unknown>)["object"] as Pod;
    podObject.metadata = {
      ...podObject.metadata,
      annotations: first.spec?.template.metadata?.annotations ?? {},
    };
    podObject.spec = structuredClone(first.spec?.template.spec) as NonNullable<Pod["spec"]>;
    const placed = patched<Pod>(pod, await send(fresh, pod));
    new Pod(placed as never).validate();
    const after = JSON.parse(placed.metadata?.annotations?.[DECISION_ANNOTATION] ?? "{}");
    assert.notEqual(after.images[mover], before.images[mover], "the tag's new digest");
    const keys = (
      placed.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms ?? []
    ).flatMap((t) => (t.matchExpressions ?? []).map((e) => e.key));
    assert.ok(keys.includes("feature.node.kubernetes.io/cpu-cpuid.AVX512F"), keys.join(" "));
    assert.ok(
      !keys.includes("feature.node.kubernetes.io/cpu-cpuid.AVX2"),
      "the old digest's terms are gone",
    );
  });

  test("a pod whose own node affinity leaves no node its images run on is never patched to an empty nodeSelectorTerms: fail-open admits with a warning, deny refuses", async () => {
    const body = review("pod", [hpc]);
    const pod = (body["request"] as Record<string, Record<string, Record<string, unknown>>>)[
      "object"
    ] as Record<string, Record<string, unknown>>;
    (pod["spec"] as Record<string, unknown>)["affinity"] = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["s390x"] }],
            },
          ],
        },
      },
    };
    const admitted = await send(open, body);
    assert.equal(admitted.review.response.allowed, true);
    assert.equal(admitted.review.response.patch, undefined);
    assert.match(
      (admitted.review.response.warnings ?? []).join("\n"),
      /no node both meets the pod's own node affinity and can run every image/,
    );
    const strict = await start("deny");
    const refused = await send(strict, body);
    assert.equal(refused.review.response.allowed, false);
    assert.match(refused.review.response.status?.message ?? "", /^ocicompat: no node both meets/);
  });

  test("a pod spec of an unexpected shape (initContainers not a list) is decided by --on-error, not answered 500", async () => {
    const body = review("pod", [hpc]);
    const object = (body["request"] as Record<string, Record<string, Record<string, unknown>>>)[
      "object"
    ];
    (object?.["spec"] as Record<string, unknown>)["initContainers"] = {};
    const admitted = await send(open, body);
    assert.equal(admitted.review.response.allowed, true);
    assert.equal(admitted.review.response.patch, undefined);
    assert.match(
      (admitted.review.response.warnings ?? []).join("\n"),
      /admitted without a node affinity/,
    );
    const refused = await send(await start("deny"), body);
    assert.equal(refused.review.response.allowed, false);
  });

  test("a pod whose image has no compat data is admitted without a patch", async () => {
    const answer = await send(open, review("pod", [plain]));
    assert.equal(answer.review.response.allowed, true);
    assert.equal(answer.review.response.patch, undefined);
    assert.equal(answer.review.response.patchType, undefined);
  });

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
    assert.equal(
      missing.body,
      "malformed AdmissionReview: $.request.uid: missing or not a string\n",
    );
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
});
