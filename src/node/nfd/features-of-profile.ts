// The NFD feature sets (NodeFeature spec.features) that discovery's facts support, so that NFD
// rules can be evaluated on a host NFD never ran on. Names follow NFD's sources: cpu.cpuid flags
// in NFD's spelling (AVX512F), cpu.model, kernel.version, kernel.config, kernel.selinux,
// system.osrelease and memory.numa attributes, pci.device and usb.device instances.
// What discovery does not see is left out rather than guessed (docs/discovery.md): NFD's
// pci.device `subsystem_vendor`/`subsystem_device`, and the split between kernel.loadedmodule
// and kernel.enabledmodule (both get the module list discovery found).
import type { NfdFeatures } from "../../compat/nfd/features.js";
import type { NodeProfile } from "../../compat/node-profile.js";
import { recordOf } from "../../compat/own-record.js";
import type { DeviceInventory } from "../probe.js";
import { nfdCpuidFlagsOf, VENDOR_TO_NFD } from "./names.js";

type Attrs = Record<string, string>;

function flagSet(names: readonly string[]): { elements: Record<string, object> } {
  return { elements: recordOf(names.map((n) => [n, {}] as const)) };
}

function kernelVersion(release: string): Attrs {
  const out: Attrs = { full: release };
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(release);
  if (m !== null) {
    out["major"] = m[1] as string;
    if (m[2] !== undefined) out["minor"] = m[2];
    if (m[3] !== undefined) out["revision"] = m[3];
  }
  return out;
}

export function nfdFeaturesOfDiscovery(
  profile: NodeProfile,
  devices: DeviceInventory,
): NfdFeatures {
  const labels = profile.labels;
  const flags: [string, { elements: Record<string, object> }][] = [];
  const attributes: [string, { elements: Attrs }][] = [];
  if (Array.isArray(labels["oci.cpu.features"])) {
    flags.push(["cpu.cpuid", flagSet(nfdCpuidFlagsOf(profile))]);
  }
  const modules = labels["oci.kernel.modules"];
  if (Array.isArray(modules)) {
    flags.push(
      ["kernel.loadedmodule", flagSet(modules)],
      ["kernel.enabledmodule", flagSet(modules)],
    );
  }
  const model: Attrs = {};
  const vendor = labels["oci.cpu.vendor"];
  const nfdVendor = typeof vendor === "string" ? VENDOR_TO_NFD.get(vendor) : undefined;
  if (nfdVendor !== undefined) model["vendor_id"] = nfdVendor;
  if (typeof labels["oci.cpu.family"] === "number")
    model["family"] = String(labels["oci.cpu.family"]);
  if (typeof labels["oci.cpu.model-id"] === "number")
    model["id"] = String(labels["oci.cpu.model-id"]);
  if (Object.keys(model).length > 0) attributes.push(["cpu.model", { elements: model }]);
  const release = labels["oci.kernel.version"];
  if (typeof release === "string")
    attributes.push(["kernel.version", { elements: kernelVersion(release) }]);
  const config = labels["oci.kernel.configurations"];
  if (Array.isArray(config))
    attributes.push([
      "kernel.config",
      { elements: recordOf(config.map((o) => [o, "true"] as const)) },
    ]);
  const selinux = labels["oci.kernel.selinux"];
  if (typeof selinux === "boolean")
    attributes.push(["kernel.selinux", { elements: { enabled: String(selinux) } }]);
  const os: Attrs = {};
  if (typeof labels["oci.os.id"] === "string") os["ID"] = labels["oci.os.id"];
  const version = labels["oci.os.version"];
  if (typeof version === "string") {
    os["VERSION_ID"] = version;
    const [major, minor] = version.split(".");
    if (major) os["VERSION_ID.major"] = major;
    if (minor) os["VERSION_ID.minor"] = minor;
  }
  if (Object.keys(os).length > 0) attributes.push(["system.osrelease", { elements: os }]);
  const numa = labels["oci.memory.numa-nodes"];
  if (typeof numa === "number")
    attributes.push([
      "memory.numa",
      { elements: { is_numa: String(numa > 1), node_count: String(numa) } },
    ]);

  const instances: [string, { elements: { attributes: Attrs }[] }][] = [];
  if (devices.pci !== undefined && devices.pci.length > 0) {
    instances.push([
      "pci.device",
      {
        elements: devices.pci.map((fn) => ({
          attributes: {
            class: fn.class,
            vendor: fn.vendor,
            ...(fn.device ? { device: fn.device } : {}),
          },
        })),
      },
    ]);
  }
  if (devices.usb !== undefined && devices.usb.length > 0) {
    instances.push([
      "usb.device",
      {
        elements: devices.usb.map((d) => ({
          attributes: { class: d.class, vendor: d.vendor, device: d.device },
        })),
      },
    ]);
  }
  const out: NfdFeatures = {};
  if (flags.length > 0) out.flags = recordOf(flags);
  if (attributes.length > 0) out.attributes = recordOf(attributes);
  if (instances.length > 0) out.instances = recordOf(instances);
  return out;
}

/**
 * The NFD feature sets of a saved profile written before profiles carried them (or by another
 * tool): derived from its labels, with pci.device and usb.device instances from the
 * vendor.device IDs of oci.pci.devices and oci.usb.devices (their classes are not in the labels).
 */
export function nfdFeaturesOfProfile(profile: NodeProfile): NfdFeatures {
  const ids = (label: string) => {
    const fact = profile.labels[label];
    return (Array.isArray(fact) ? fact : [])
      .map((id) => id.toLowerCase().split(/[.:]/))
      .filter((p): p is [string, string] => p.length === 2);
  };
  const devices: DeviceInventory = {
    pci: ids("oci.pci.devices").map(([vendor, device]) => ({ vendor, device, class: "" })),
    usb: ids("oci.usb.devices").map(([vendor, device]) => ({ vendor, device, class: "" })),
  };
  const out = nfdFeaturesOfDiscovery(profile, devices);
  // No class is known: leave the attribute out rather than write an empty one.
  for (const set of Object.values(out.instances ?? {}))
    for (const e of set.elements) if (e.attributes["class"] === "") delete e.attributes["class"];
  return out;
}
