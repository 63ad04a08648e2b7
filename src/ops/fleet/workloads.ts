// The workloads of a fleet report, from any mix of sources: image references on the command line,
// a file of references (one a line, `#` comments), or a workload dump (`kubectl get pods,
// deployments,statefulsets,daemonsets,jobs,cronjobs -A -o json`). In a dump every container and
// init container counts: a workload runs on a node only where every one of its images has a
// fitting entry. Pods a controller of the dump's kinds owns are counted through that controller.
import { stat } from "node:fs/promises";
import { OcicompatError } from "../../oci/errors.js";
import { isObject, type Json } from "../../oci/json-value.js";
import { readCapped, readDocument } from "../read-document.js";

export interface WorkloadContainer {
  name: string;
  /** An init container (or an ephemeral one): it runs on the same node too. */
  init: boolean;
  image: string;
}

export interface Workload {
  /** `namespace/Kind/name`, or the reference itself for an image given alone. */
  name: string;
  kind: string;
  namespace?: string;
  containers: WorkloadContainer[];
}

/** Controllers whose pods are counted through them (they are in the dump's kinds). */
const CONTROLLERS = new Set(["ReplicaSet", "StatefulSet", "DaemonSet", "Job"]);

/** Where each kind keeps its pod spec. */
function podSpecOf(object: Json): Json | undefined {
  const at = (value: unknown, ...path: string[]): Json | undefined => {
    let v: unknown = value;
    for (const key of path) v = isObject(v) ? v[key] : undefined;
    return isObject(v) ? v : undefined;
  };
  switch (object["kind"]) {
    case "Pod":
      return at(object, "spec");
    case "CronJob":
      return at(object, "spec", "jobTemplate", "spec", "template", "spec");
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "ReplicationController":
    case "Job":
      return at(object, "spec", "template", "spec");
    default:
      return undefined;
  }
}

function ownedByController(object: Json): boolean {
  const metadata = isObject(object["metadata"]) ? object["metadata"] : {};
  const owners = Array.isArray(metadata["ownerReferences"]) ? metadata["ownerReferences"] : [];
  return owners.some(
    (o) => isObject(o) && o["controller"] === true && CONTROLLERS.has(String(o["kind"])),
  );
}

function containersOf(spec: Json): WorkloadContainer[] {
  const out: WorkloadContainer[] = [];
  const take = (key: string, init: boolean): void => {
    const list = spec[key];
    if (!Array.isArray(list)) return;
    for (const c of list) {
      if (isObject(c) && typeof c["image"] === "string" && c["image"] !== "") {
        out.push({ name: typeof c["name"] === "string" ? c["name"] : "", init, image: c["image"] });
      }
    }
  };
  take("initContainers", true);
  take("containers", false);
  return out;
}

/** The workloads of a parsed dump (a List, or one object). */
export function workloadsOfDump(value: unknown, source: string): Workload[] {
  const objects =
    isObject(value) && Array.isArray(value["items"]) ? value["items"].filter(isObject) : [value];
  const out: Workload[] = [];
  for (const object of objects) {
    if (!isObject(object)) continue;
    const spec = podSpecOf(object);
    if (spec === undefined) continue;
    if (object["kind"] === "Pod" && ownedByController(object)) continue;
    const metadata = isObject(object["metadata"]) ? object["metadata"] : {};
    const name = typeof metadata["name"] === "string" ? metadata["name"] : "?";
    const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : undefined;
    const kind = String(object["kind"]);
    const containers = containersOf(spec);
    if (containers.length === 0) continue;
    out.push({
      name: `${namespace ?? "default"}/${kind}/${name}`,
      kind,
      ...(namespace === undefined ? {} : { namespace }),
      containers,
    });
  }
  if (out.length === 0) {
    throw new OcicompatError(
      "VALIDATION",
      "holds no workload with containers (expected `kubectl get pods,deployments,statefulsets,daemonsets,jobs,cronjobs -A -o json` output)",
      { subject: source },
    );
  }
  return out;
}

function single(reference: string): Workload {
  return {
    name: reference,
    kind: "Image",
    containers: [{ name: "", init: false, image: reference }],
  };
}

/** A file of references, one a line; blank lines and `#` comments are ignored. */
function referencesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Every workload of every source. A source that is an existing file is read; else a reference. */
export async function readWorkloads(sources: readonly string[]): Promise<Workload[]> {
  const out: Workload[] = [];
  for (const source of sources) {
    if (!(await isFile(source))) {
      out.push(single(source));
      continue;
    }
    const text = new TextDecoder().decode(await readCapped(source, 64 * 1024 * 1024));
    if (/^\s*[{[]/.test(text) || /\.ya?ml$/i.test(source)) {
      const { value } = await readDocument(source, 64 * 1024 * 1024);
      out.push(...workloadsOfDump(value, source));
    } else out.push(...referencesOf(text).map(single));
  }
  const seen = new Set<string>();
  return out.filter((w) => (seen.has(w.name) ? false : (seen.add(w.name), true)));
}

/** The distinct image references of the workloads, in first-seen order. */
export function imageReferences(workloads: readonly Workload[]): string[] {
  return [...new Set(workloads.flatMap((w) => w.containers.map((c) => c.image)))];
}
