// The webhook over real HTTPS, fed real AdmissionReview documents (test/fixtures/admission) that
// update a Deployment, resolving images in the real registry (setup in webhook-support.ts): the
// webhook's own terms are replaced, never intersected, and recorded digests hold while the images
// stay. Every patch is applied and the result validated with kubernetes-models.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Deployment } from "kubernetes-models/apps/v1";
import { Pod } from "kubernetes-models/v1";
import type { WebhookServer } from "../../../src/ops/webhook/index.js";
import { DECISION_ANNOTATION } from "../../../src/ops/webhook/decision.js";
import type { TestRegistry } from "../../support/registry.js";
import type { CountingProxy } from "../select-support.js";
import { review } from "./support.js";
import { patched, pushImage, startWebhookFixture, type WebhookFixture } from "./webhook-support.js";

let fixture: WebhookFixture;
let registry: TestRegistry;
let proxy: CountingProxy;
let open: WebhookServer;
let hpc: string;
let fma: string;
let plain: string;
let start: WebhookFixture["start"];
let send: WebhookFixture["send"];

before(async () => {
  fixture = await startWebhookFixture();
  ({ registry, proxy, open, hpc, fma, plain, start, send } = fixture);
});

after(() => fixture.close());

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
