// The webhook over real HTTPS, fed real AdmissionReview documents that create objects
// (test/fixtures/admission), resolving images in the real registry (setup in webhook-support.ts).
// Every patch is applied and the result validated against the Kubernetes OpenAPI schemas
// (kubernetes-models). Updates: webhook-updates.test.ts; the server itself: webhook-server.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CronJob } from "kubernetes-models/batch/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Pod } from "kubernetes-models/v1";
import type { WebhookServer } from "../../../src/ops/webhook/index.js";
import { DECISION_ANNOTATION } from "../../../src/ops/webhook/decision.js";
import { review } from "./support.js";
import { patched, startWebhookFixture, type WebhookFixture } from "./webhook-support.js";

describe("webhook over HTTPS with real AdmissionReviews", () => {
  let fixture: WebhookFixture;
  let open: WebhookServer;
  let hpc: string;
  let fma: string;
  let plain: string;
  let start: WebhookFixture["start"];
  let send: WebhookFixture["send"];

  before(async () => {
    fixture = await startWebhookFixture();
    ({ open, hpc, fma, plain, start, send } = fixture);
  });

  after(() => fixture.close());

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
});
