// deploy/mirror/*.yaml against the Kubernetes OpenAPI schemas (kubernetes-models), and against
// what the mirror needs: host network on loopback, the probes on /healthz, a config file the
// mirror accepts.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { ConfigMap, Namespace } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";
import { checkMirrorConfig, parseListen } from "../../src/ops/mirror/config.js";

const DIR = "deploy/mirror";

interface Manifest {
  file: string;
  object: Record<string, unknown> & { kind?: string };
}

function manifests(): Manifest[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((doc) => ({
        file,
        object: doc.toJS() as Manifest["object"],
      })),
    );
}

const MODELS: Record<string, (o: Record<string, unknown>) => { validate(): void }> = {
  DaemonSet: (o) => new DaemonSet(o as never),
  ConfigMap: (o) => new ConfigMap(o as never),
  Namespace: (o) => new Namespace(o as never),
};

test("every manifest in deploy/mirror is valid against the Kubernetes OpenAPI schema of its kind", () => {
  const all = manifests();
  assert.deepEqual(all.map((m) => m.object.kind).sort(), ["ConfigMap", "DaemonSet", "Namespace"]);
  for (const { file, object } of all) {
    const model = MODELS[object.kind ?? ""];
    assert.ok(model, `${file}: no model for kind ${object.kind}`);
    assert.doesNotThrow(() => model(object).validate(), `${file} (${object.kind})`);
  }
});

test("the schema check catches a broken DaemonSet (a port that is not a number)", () => {
  const daemonSet = manifests().find((m) => m.object.kind === "DaemonSet")?.object;
  assert.ok(daemonSet);
  const broken = structuredClone(daemonSet) as {
    spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } };
  };
  const port = broken.spec.template.spec.containers[0]?.ports[0];
  assert.ok(port);
  port.containerPort = "five thousand";
  assert.throws(() => new DaemonSet(broken as never).validate());
});

test("the DaemonSet runs the mirror on the host network, on loopback, probed on /healthz, with the ConfigMap's file", () => {
  const all = manifests();
  const ds = new DaemonSet(all.find((m) => m.object.kind === "DaemonSet")?.object as never);
  const pod = ds.spec?.template.spec;
  assert.equal(pod?.hostNetwork, true);
  const container = pod?.containers[0];
  assert.deepEqual(container?.args, ["mirror", "--config", "/etc/ocicompat/mirror.yaml"]);
  assert.equal(container?.livenessProbe?.httpGet?.path, "/healthz");
  assert.equal(container?.livenessProbe?.httpGet?.host, "127.0.0.1");
  const configMap = all.find((m) => m.object.kind === "ConfigMap")?.object as {
    data: Record<string, string>;
  };
  const file = parseAllDocuments(configMap.data["mirror.yaml"] ?? "")[0]?.toJS() as unknown;
  const config = checkMirrorConfig(file, "configmap.yaml");
  const listen = parseListen(config.listen ?? "");
  assert.equal(listen.host, "127.0.0.1");
  assert.equal(container?.ports?.[0]?.containerPort, listen.port);
  assert.ok((config.upstreams ?? []).length > 0);
});
