// A node profile from a Kubernetes Node object (`kubectl get node NAME -o json|yaml`, parsed by
// the caller): NFD's feature.node.kubernetes.io labels, NVIDIA GPU feature discovery's driver
// labels, the well-known os/arch labels and the kubelet's status (kernel, CPU and memory
// capacity). Labels that map to no ocicompat label are listed in `unmapped`.
import { ownValue, recordOf } from "../compat/own-record.js";
import { OcicompatError } from "../oci/errors.js";
import type { ImportOptions, ImportResult } from "./imported-node.js";
import { ImportedNode } from "./imported-node.js";
import { readNfdLabel } from "./nfd/label-facts.js";
import { NFD_LABEL_PREFIX } from "./nfd/names.js";
import { isObject, type Json } from "../oci/json-value.js";

const K8S_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes resource quantity (`1056194872Ki`, `192`, `2Gi`) as a number. */
export function kubernetesQuantity(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  const unit = m === null ? undefined : ownValue(K8S_UNITS, m[2] as string);
  return m === null || unit === undefined ? undefined : Number(m[1]) * unit;
}

/** The Node object in a Node, or in a List holding exactly one. */
function nodeOf(value: unknown, source: string): Json {
  if (isObject(value) && value["kind"] === "List" && Array.isArray(value["items"])) {
    const items = value["items"];
    if (items.length === 1 && isObject(items[0])) return items[0];
    throw new OcicompatError(
      "VALIDATION",
      `holds ${items.length} objects; give one Node (kubectl get node NAME -o json)`,
      { subject: source },
    );
  }
  if (isObject(value) && isObject(value["metadata"])) {
    if (value["kind"] === undefined || value["kind"] === "Node") return value;
  }
  throw new OcicompatError(
    "VALIDATION",
    "is not a Kubernetes Node object: expected kind Node with metadata.labels",
    { subject: source },
  );
}

const PLATFORM_LABELS: Readonly<Record<string, "os" | "architecture">> = {
  "kubernetes.io/os": "os",
  "beta.kubernetes.io/os": "os",
  "kubernetes.io/arch": "architecture",
  "beta.kubernetes.io/arch": "architecture",
};

const GFD_FULL = "nvidia.com/cuda.driver-version.full";
// GPU feature discovery's split driver version, current and deprecated spellings.
const GFD_PARTS: readonly (readonly [string, string, string])[] = [
  [
    "nvidia.com/cuda.driver-version.major",
    "nvidia.com/cuda.driver-version.minor",
    "nvidia.com/cuda.driver-version.revision",
  ],
  ["nvidia.com/cuda.driver.major", "nvidia.com/cuda.driver.minor", "nvidia.com/cuda.driver.rev"],
];

function readLabels(node: ImportedNode, labels: Record<string, string>): void {
  const gfd = new Set([GFD_FULL, ...GFD_PARTS.flat()]);
  for (const [name, value] of Object.entries(labels)) {
    const platformField = ownValue(PLATFORM_LABELS, name);
    if (platformField === "os") node.os ??= value;
    else if (platformField === "architecture") node.architecture ??= value;
    else if (name === "kubernetes.io/hostname") node.name ??= value;
    else if (gfd.has(name)) continue;
    else if (name.startsWith(NFD_LABEL_PREFIX)) {
      const reading = readNfdLabel(name.slice(NFD_LABEL_PREFIX.length), value);
      if (reading === undefined) node.skip(name);
      else {
        for (const { label, fact } of reading.facts) node.add(label, fact, name);
        if (reading.pci) node.pci.push(reading.pci);
        if (reading.usb) node.usb.push(reading.usb);
      }
    } else node.skip(name);
  }
  const full = ownValue(labels, GFD_FULL);
  if (full !== undefined) node.add("oci.gpu.nvidia.driver", full, GFD_FULL);
  else {
    for (const parts of GFD_PARTS) {
      const values = parts.map((p) => ownValue(labels, p));
      if (values.every((v) => v !== undefined && /^\d+$/.test(v))) {
        node.add("oci.gpu.nvidia.driver", values.join("."), parts[0]);
        break;
      }
    }
  }
}

function readStatus(node: ImportedNode, status: Json): void {
  const info = isObject(status["nodeInfo"]) ? status["nodeInfo"] : {};
  // The kubelet reports `uname -r` as is; NFD's kernel-version.full has characters replaced.
  if (typeof info["kernelVersion"] === "string" && info["kernelVersion"] !== "") {
    node.add("oci.kernel.version", info["kernelVersion"], "status.nodeInfo.kernelVersion");
  }
  if (typeof info["operatingSystem"] === "string") node.os ??= info["operatingSystem"];
  if (typeof info["architecture"] === "string") node.architecture ??= info["architecture"];
  const capacity = isObject(status["capacity"]) ? status["capacity"] : {};
  const text = (key: string): string | undefined =>
    typeof capacity[key] === "string" ? capacity[key] : undefined;
  const cpu = kubernetesQuantity(text("cpu") ?? "");
  if (cpu !== undefined && Number.isInteger(cpu))
    node.add("oci.cpu.count", cpu, "status.capacity.cpu");
  // The kubelet's memory capacity is the machine's MemTotal.
  const memory = kubernetesQuantity(text("memory") ?? "");
  if (memory !== undefined) node.add("oci.memory.total", memory, "status.capacity.memory");
  const pools = Object.keys(capacity).filter((k) => k.startsWith("hugepages-"));
  if (pools.length > 0) {
    const total = pools.reduce((sum, k) => sum + (kubernetesQuantity(text(k) ?? "") ?? 0), 0);
    node.add("oci.memory.hugepages", total, "status.capacity.hugepages-*");
  }
}

export function importKubernetesNode(
  value: unknown,
  source: string,
  options: ImportOptions = {},
): ImportResult {
  const object = nodeOf(value, source);
  const metadata = object["metadata"] as Json;
  const node = new ImportedNode();
  if (typeof metadata["name"] === "string" && metadata["name"] !== "") node.name = metadata["name"];
  const labels = recordOf(
    Object.entries(isObject(metadata["labels"]) ? metadata["labels"] : {}).filter(
      (kv): kv is [string, string] => typeof kv[1] === "string",
    ),
  );
  readLabels(node, labels);
  if (isObject(object["status"])) readStatus(node, object["status"]);
  return node.build(source, options);
}
