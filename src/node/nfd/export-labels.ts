// A node profile as the node labels NFD would publish with its default configuration
// (`ocicompat discover -o nfd`). Only facts with an NFD label are written; names and values that
// Kubernetes would refuse (over 63 characters, characters outside [A-Za-z0-9-_.]) are reported
// rather than written.
import type { NodeProfile } from "../../compat/node-profile.js";
import type { DeviceInventory } from "../probe.js";
import {
  nfdCpuidFlagsOf,
  NFD_DEFAULT_KERNEL_CONFIG,
  NFD_HIDDEN_CPUID_FLAGS,
  NFD_LABEL_PREFIX,
  NFD_PCI_CLASSES,
  NFD_USB_CLASSES,
  VENDOR_TO_NFD,
} from "./names.js";

export interface NfdLabel {
  /** Full label name, `feature.node.kubernetes.io/cpu-cpuid.AVX512F`. */
  name: string;
  value: string;
}

export interface NfdLabelExport {
  labels: NfdLabel[];
  /** Labels that would break Kubernetes' rules, with the reason; not in `labels`. */
  refused: { name: string; value: string; reason: string }[];
}

const LABEL_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why Kubernetes would refuse this label, or undefined when it is valid. */
export function labelProblem(name: string, value: string): string | undefined {
  const slash = name.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : name.slice(0, slash);
  const local = slash < 0 ? name : name.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return "the name's prefix is not a DNS subdomain";
  }
  if (local.length > 63) return "the name is longer than 63 characters";
  if (!LABEL_PART.test(local)) return "the name has characters outside [A-Za-z0-9-_.]";
  if (value.length > 63) return "the value is longer than 63 characters";
  if (value !== "" && !LABEL_PART.test(value)) {
    return "the value has characters outside [A-Za-z0-9-_.] or does not start and end with one";
  }
  return undefined;
}

/** NFD's kernel-version labels: the release with unsafe characters replaced, and its parts. */
function kernelVersionLabels(release: string): [string, string][] {
  const full = release.replace(/[^-A-Za-z0-9_.]/g, "_").replace(/^[-_.]+|[-_.]+$/g, "");
  const out: [string, string][] = [["kernel-version.full", full]];
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(-.*)?$/.exec(full);
  if (m !== null) {
    out.push(["kernel-version.major", m[1] as string]);
    if (m[2] !== undefined) out.push(["kernel-version.minor", m[2]]);
    if (m[3] !== undefined) out.push(["kernel-version.revision", m[3]]);
  }
  return out;
}

function osReleaseLabels(id: unknown, version: unknown): [string, string][] {
  const out: [string, string][] = [];
  if (typeof id === "string") out.push(["system-os_release.ID", id]);
  if (typeof version === "string") {
    out.push(["system-os_release.VERSION_ID", version]);
    const [major, minor] = version.split(".");
    if (major) out.push(["system-os_release.VERSION_ID.major", major]);
    if (minor) out.push(["system-os_release.VERSION_ID.minor", minor]);
  }
  return out;
}

function cpuLabels(profile: NodeProfile): [string, string][] {
  const out: [string, string][] = [];
  const labels = profile.labels;
  for (const nfd of nfdCpuidFlagsOf(profile)) {
    if (!NFD_HIDDEN_CPUID_FLAGS.has(nfd)) out.push([`cpu-cpuid.${nfd}`, "true"]);
  }
  const vendor = labels["oci.cpu.vendor"];
  const nfdVendor = typeof vendor === "string" ? VENDOR_TO_NFD.get(vendor) : undefined;
  if (nfdVendor !== undefined) out.push(["cpu-model.vendor_id", nfdVendor]);
  for (const [label, name] of [
    ["oci.cpu.family", "cpu-model.family"],
    ["oci.cpu.model-id", "cpu-model.id"],
  ] as const) {
    const fact = labels[label];
    if (typeof fact === "number") out.push([name, String(fact)]);
  }
  return out;
}

function deviceLabels(devices: DeviceInventory | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const fn of devices?.pci ?? []) {
    if (NFD_PCI_CLASSES.some((c) => fn.class.startsWith(c))) {
      out.push([`pci-${fn.class}_${fn.vendor}.present`, "true"]);
    }
  }
  for (const dev of devices?.usb ?? []) {
    if (NFD_USB_CLASSES.some((c) => dev.class.startsWith(c))) {
      out.push([`usb-${dev.class}_${dev.vendor}_${dev.device}.present`, "true"]);
    }
  }
  return out;
}

export function nfdLabelsOf(profile: NodeProfile, devices?: DeviceInventory): NfdLabelExport {
  const labels = profile.labels;
  const pairs: [string, string][] = [...cpuLabels(profile)];
  const release = labels["oci.kernel.version"] ?? labels["oci.kernel.versions"];
  if (typeof release === "string") pairs.push(...kernelVersionLabels(release));
  const config = labels["oci.kernel.configurations"];
  if (Array.isArray(config)) {
    for (const option of NFD_DEFAULT_KERNEL_CONFIG) {
      if (config.includes(option)) pairs.push([`kernel-config.${option}`, "true"]);
    }
  }
  // NFD labels SELinux only when it enforces.
  if (labels["oci.kernel.selinux"] === true) pairs.push(["kernel-selinux.enabled", "true"]);
  pairs.push(...osReleaseLabels(labels["oci.os.id"], labels["oci.os.version"]));
  const numa = labels["oci.memory.numa-nodes"];
  if (typeof numa === "number" && numa > 1) pairs.push(["memory-numa", "true"]);
  pairs.push(...deviceLabels(devices));

  const out: NfdLabelExport = { labels: [], refused: [] };
  const seen = new Set<string>();
  const add = (name: string, value: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const problem = labelProblem(name, value);
    if (problem === undefined) out.labels.push({ name, value });
    else out.refused.push({ name, value, reason: problem });
  };
  for (const [name, value] of pairs) add(`${NFD_LABEL_PREFIX}${name}`, value);
  // Namespaced labels a features.d file declared are published by NFD as they are.
  for (const [name, fact] of Object.entries(labels)) {
    if (name.includes("/") && typeof fact === "string") add(name, fact);
  }
  out.labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}
