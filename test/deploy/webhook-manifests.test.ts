// deploy/webhook: every Kubernetes object validates against the Kubernetes OpenAPI schemas
// (kubernetes-models), and the pieces agree with each other and with the webhook's flags.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { MutatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Namespace, Service, ServiceAccount } from "kubernetes-models/v1";
import { parseListen } from "../../src/ops/webhook/index.js";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

function docs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as Obj);
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": MutatingWebhookConfiguration,
};

describe("deploy/webhook manifests", () => {
  const objects = docs("deploy/webhook/webhook.yaml");
  const find = <T>(kind: string): T => objects.find((o) => o.kind === kind) as T;

  test("every object validates against the Kubernetes OpenAPI schemas", () => {
    assert.equal(objects.length, 6);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      assert.ok(Model, `${o.apiVersion} ${o.kind} has a schema`);
      new Model(o as never).validate();
    }
  });

  test("an invalid object is refused by the same validation", () => {
    const deployment = structuredClone(find<Deployment>("Deployment"));
    (deployment.spec as { replicas: unknown }).replicas = "two";
    assert.throws(() => new Deployment(deployment as never).validate(), /replicas/);
  });

  test("the webhook configuration calls the Service on the port and path the server listens on", () => {
    const config = find<MutatingWebhookConfiguration>("MutatingWebhookConfiguration");
    const service = find<Service>("Service");
    const deployment = find<Deployment>("Deployment");
    const hook = config.webhooks?.[0];
    assert.equal(hook?.clientConfig.service?.name, service.metadata?.name);
    assert.equal(hook?.clientConfig.service?.namespace, service.metadata?.namespace);
    assert.equal(hook?.clientConfig.service?.path, "/mutate");
    assert.equal(hook?.clientConfig.service?.port, service.spec?.ports?.[0]?.port);
    assert.deepEqual(hook?.admissionReviewVersions, ["v1"]);
    const container = deployment.spec?.template.spec?.containers[0];
    const listen = container?.args?.find((a) => a.startsWith("--listen="))?.slice(9) ?? "";
    assert.equal(parseListen(listen).port, container?.ports?.[0]?.containerPort);
    const mount = container?.volumeMounts?.find((m) => m.name === "tls")?.mountPath;
    assert.ok(container?.args?.includes(`--tls-cert=${mount}/tls.crt`));
    assert.ok(container?.args?.includes(`--tls-key=${mount}/tls.key`));
    assert.ok(container?.args?.some((a) => a.startsWith("--allow-registry=")));
  });

  test("opt-in is a namespace label, and the CA comes from the cert-manager Certificate", () => {
    const config = find<MutatingWebhookConfiguration>("MutatingWebhookConfiguration");
    assert.deepEqual(config.webhooks?.[0]?.namespaceSelector?.matchLabels, {
      "ocicompat.io/affinity": "enabled",
    });
    const [, certificate] = docs("deploy/webhook/cert-manager.yaml") as [
      Obj,
      Obj & { spec: { secretName: string } },
    ];
    assert.equal(
      config.metadata?.annotations?.["cert-manager.io/inject-ca-from"],
      `${certificate.metadata.namespace}/${certificate.metadata.name}`,
    );
    const deployment = find<Deployment>("Deployment");
    const tls = deployment.spec?.template.spec?.volumes?.find((v) => v.name === "tls");
    assert.equal(tls?.secret?.secretName, certificate.spec.secretName);
  });

  test("the rules cover exactly the kinds the server mutates", () => {
    const config = find<MutatingWebhookConfiguration>("MutatingWebhookConfiguration");
    const resources = (config.webhooks?.[0]?.rules ?? []).flatMap((r) =>
      (r.resources ?? []).map((res) => `${r.apiGroups?.[0] ?? ""}/${res}`),
    );
    assert.deepEqual(resources.sort(), [
      "/pods",
      "apps/daemonsets",
      "apps/deployments",
      "apps/replicasets",
      "apps/statefulsets",
      "batch/cronjobs",
      "batch/jobs",
    ]);
  });
});
