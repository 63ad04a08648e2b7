// A node profile from NFD's raw features: the output of `nfd export features`, or the spec of a
// NodeFeature object (JSON or YAML, parsed by the caller). The mapping is documented in
// docs/discovery.md; everything that maps to no ocicompat label is listed in `unmapped`.
import { createCatalog, type LabelCatalog } from "../compat/catalog.js";
import { ownValue } from "../compat/own-record.js";
import { OcicompatError } from "../oci/errors.js";
import type { ImportOptions, ImportResult } from "./imported-node.js";
import { ImportedNode } from "./imported-node.js";
import { cpuFlagSpellings, NFD_TO_VENDOR } from "./nfd/names.js";
import { readSiteEntry } from "./site/site-entry.js";
import { isObject, type Json } from "../oci/json-value.js";
import { nfdFeaturesOf } from "../compat/nfd/features.js";

/** `{flags, attributes, instances}` wherever it sits: top level, `features`, `spec.features`. */
function featuresOf(value: unknown): Json | undefined {
  if (!isObject(value)) return undefined;
  const looksLikeFeatures = (v: unknown): v is Json =>
    isObject(v) && ("flags" in v || "attributes" in v || "instances" in v);
  const spec = isObject(value["spec"]) ? value["spec"] : undefined;
  for (const candidate of [spec?.["features"], value["features"], value]) {
    if (looksLikeFeatures(candidate)) return candidate;
  }
  return undefined;
}

/** `elements` of one feature set: a name → {} map (flags) or name → string map (attributes). */
function elementMap(set: unknown): Map<string, string> {
  const elements = isObject(set) ? set["elements"] : undefined;
  const out = new Map<string, string>();
  if (!isObject(elements)) return out;
  for (const [k, v] of Object.entries(elements)) out.set(k, typeof v === "string" ? v : "");
  return out;
}

function instanceList(set: unknown): Map<string, string>[] {
  const elements = isObject(set) ? set["elements"] : undefined;
  if (!Array.isArray(elements)) return [];
  return elements.map((e) => {
    const attrs = isObject(e) && isObject(e["attributes"]) ? e["attributes"] : {};
    return new Map(
      Object.entries(attrs).filter((kv): kv is [string, string] => typeof kv[1] === "string"),
    );
  });
}

/** `2Mi` → bytes, for NFD's hugepages-<size> attribute names. */
function pageSize(size: string): number | undefined {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(size);
  if (m === null) return undefined;
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m[2] as "Ki" | "Mi" | "Gi"];
  return Number(m[1]) * unit;
}

const hex = (v: string | undefined, digits: number): string | undefined => {
  const m = v === undefined ? null : new RegExp(`^(?:0x)?([0-9a-fA-F]{${digits}})`).exec(v);
  return m?.[1]?.toLowerCase();
};

const X86_WITNESSES = ["SSE2", "CMOV", "X87", "SSE"];
const ARM64_WITNESSES = ["ASIMD", "FP", "EVTSTRM", "ATOMICS"];

type AttributeReader = (node: ImportedNode, elements: Map<string, string>, feature: string) => void;

const ATTRIBUTES: Readonly<Record<string, AttributeReader>> = {
  "cpu.model": (node, el, feature) => {
    for (const [key, value] of el) {
      const origin = `${feature}.${key}`;
      const vendor = key === "vendor_id" ? NFD_TO_VENDOR.get(value.toLowerCase()) : undefined;
      if (vendor !== undefined) node.add("oci.cpu.vendor", vendor, origin);
      else if (key === "family" && /^\d+$/.test(value))
        node.add("oci.cpu.family", Number(value), origin);
      else if (key === "id" && /^\d+$/.test(value))
        node.add("oci.cpu.model-id", Number(value), origin);
      else node.skip(origin);
    }
  },
  "kernel.version": (node, el, feature) => {
    for (const [key, value] of el) {
      if (key === "full") node.add("oci.kernel.version", value, `${feature}.full`);
      else if (!["major", "minor", "revision"].includes(key)) node.skip(`${feature}.${key}`);
    }
  },
  "kernel.config": (node, el, feature) => {
    // NFD records "true" for options set to y or m and the literal value for the others.
    const enabled = [...el].filter(([, v]) => v === "true" || v === "y" || v === "m");
    node.add(
      "oci.kernel.configurations",
      enabled.map(([k]) => k),
      feature,
    );
  },
  "kernel.selinux": (node, el, feature) => {
    const enabled = el.get("enabled");
    if (enabled === "true" || enabled === "false") {
      node.add("oci.kernel.selinux", enabled === "true", `${feature}.enabled`);
    }
  },
  "system.osrelease": (node, el, feature) => {
    for (const [key, value] of el) {
      if (key === "ID") node.add("oci.os.id", value, `${feature}.ID`);
      else if (key === "VERSION_ID") node.add("oci.os.version", value, `${feature}.VERSION_ID`);
      else if (!key.startsWith("VERSION_ID.")) node.skip(`${feature}.${key}`);
    }
  },
  "system.dmiid": (node, el, feature) => {
    for (const [key, value] of el) {
      if (key === "product_name" && value !== "") {
        node.add("oci.system.product", value, `${feature}.product_name`);
      } else node.skip(`${feature}.${key}`);
    }
  },
  "system.name": (node, el, feature) => {
    const name = el.get("nodename");
    if (name) node.name = name;
    for (const key of el.keys()) if (key !== "nodename") node.skip(`${feature}.${key}`);
  },
  "memory.numa": (node, el, feature) => {
    const count = el.get("node_count");
    if (count !== undefined && /^\d+$/.test(count)) {
      node.add("oci.memory.numa-nodes", Number(count), `${feature}.node_count`);
    }
  },
  "memory.hugepages": (node, el, feature) => {
    let total = 0;
    let seen = false;
    for (const [key, value] of el) {
      const size = key.startsWith("hugepages-") ? pageSize(key.slice(10)) : undefined;
      if (size !== undefined && /^\d+$/.test(value)) {
        total += size * Number(value);
        seen = true;
      } else if (key !== "enabled") node.skip(`${feature}.${key}`);
    }
    if (seen) node.add("oci.memory.hugepages", total, feature);
  },
};

function readLocalFeatures(
  node: ImportedNode,
  el: Map<string, string>,
  feature: string,
  catalog: LabelCatalog,
): void {
  // features.d content that NFD read: the same lines ocicompat's own features.d reader takes.
  for (const [key, value] of el) {
    const entry = readSiteEntry(key, value, catalog);
    if ("problem" in entry) node.skip(`${feature}.${key}`);
    else for (const { label, fact } of entry.facts) node.add(label, fact, `${feature}.${key}`);
  }
}

export function importNfdFeatures(
  value: unknown,
  source: string,
  options: ImportOptions = {},
): ImportResult {
  const features = featuresOf(value);
  if (features === undefined) {
    throw new OcicompatError(
      "VALIDATION",
      "is not an NFD feature export: expected flags, attributes and instances (the output of `nfd export features` or a NodeFeature spec)",
      { subject: source },
    );
  }
  const catalog = options.catalog ?? createCatalog();
  const node = new ImportedNode();
  if (isObject(value) && isObject(value["metadata"])) {
    const labels = value["metadata"]["labels"];
    const named = isObject(labels) ? labels["nfd.node.kubernetes.io/node-name"] : undefined;
    if (typeof named === "string" && named !== "") node.name = named;
  }

  const flags = isObject(features["flags"]) ? features["flags"] : {};
  for (const [feature, set] of Object.entries(flags)) {
    const names = [...elementMap(set).keys()];
    if (feature === "cpu.cpuid") {
      node.add("oci.cpu.features", names.flatMap(cpuFlagSpellings), feature);
      if (names.some((n) => X86_WITNESSES.includes(n))) node.architecture = "amd64";
      else if (names.some((n) => ARM64_WITNESSES.includes(n))) node.architecture = "arm64";
    } else if (feature === "kernel.enabledmodule") {
      node.add("oci.kernel.modules", names, feature);
    } else if (feature === "kernel.loadedmodule") {
      // Loaded modules alone are a subset of enabledmodule; used only when that is missing.
      if (!("kernel.enabledmodule" in flags)) node.add("oci.kernel.modules", names, feature);
    } else node.skip(feature);
  }

  const attributes = isObject(features["attributes"]) ? features["attributes"] : {};
  for (const [feature, set] of Object.entries(attributes)) {
    const el = elementMap(set);
    const reader = ownValue(ATTRIBUTES, feature);
    if (reader !== undefined) reader(node, el, feature);
    else if (feature === "local.feature" || feature === "local.label") {
      readLocalFeatures(node, el, feature, catalog);
    } else node.skip(feature);
  }

  const instances = isObject(features["instances"]) ? features["instances"] : {};
  for (const [feature, set] of Object.entries(instances)) {
    if (feature === "pci.device") {
      for (const attrs of instanceList(set)) {
        const vendor = hex(attrs.get("vendor"), 4);
        const device = hex(attrs.get("device"), 4);
        const klass = hex(attrs.get("class"), 4);
        if (vendor === undefined || device === undefined || klass === undefined) continue;
        node.pci.push({ vendor, device, class: klass });
        node.add("oci.pci.devices", [`${vendor}.${device}`], feature);
        node.add("oci.pci.classes", [klass], feature);
      }
    } else if (feature === "usb.device") {
      for (const attrs of instanceList(set)) {
        const vendor = hex(attrs.get("vendor"), 4);
        const device = hex(attrs.get("device"), 4);
        const klass = hex(attrs.get("class"), 2) ?? "00";
        if (vendor === undefined || device === undefined) continue;
        node.usb.push({ vendor, device, class: klass });
        node.add("oci.usb.devices", [`${vendor}.${device}`], feature);
      }
    } else node.skip(feature);
  }
  const result = node.build(source, options);
  // The raw feature sets too, for NFD rules (which look names up exactly, as NFD reported them).
  const raw = nfdFeaturesOf(value);
  if (raw !== undefined) result.profile.nfd = raw;
  return result;
}
