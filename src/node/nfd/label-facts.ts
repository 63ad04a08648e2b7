// One NFD node label (`feature.node.kubernetes.io/<name>=<value>`, prefix removed) read as
// ocicompat facts. Used for Kubernetes node labels and for NFD-style lines in features.d files.
import type { Fact } from "../../compat/label-types.js";
import type { PciFunction, UsbFunction } from "../probe.js";
import { cpuFlagSpellings, NFD_TO_VENDOR } from "./names.js";

export interface NfdLabelReading {
  /** Facts to add; empty for labels that only repeat another one (kernel-version.major). */
  facts: { label: string; fact: Fact }[];
  pci?: PciFunction;
  usb?: UsbFunction;
}

const RECOGNISED_ONLY: NfdLabelReading = { facts: [] };

function one(label: string, fact: Fact): NfdLabelReading {
  return { facts: [{ label, fact }] };
}

function integer(value: string): number | undefined {
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

type Reader = (m: RegExpExecArray, value: string) => NfdLabelReading | undefined;

const READERS: readonly [RegExp, Reader][] = [
  [
    /^cpu-cpuid\.([A-Za-z0-9_]+)$/,
    // cpuid attributes (AVX10_VERSION=2) carry values, not presence: not a flag.
    (m, v) =>
      v === "true" ? one("oci.cpu.features", cpuFlagSpellings(m[1] as string)) : undefined,
  ],
  [
    /^cpu-model\.vendor_id$/,
    (_m, v) => {
      const vendor = NFD_TO_VENDOR.get(v.toLowerCase());
      return vendor === undefined ? undefined : one("oci.cpu.vendor", vendor);
    },
  ],
  [
    /^cpu-model\.family$/,
    (_m, v) => (integer(v) === undefined ? undefined : one("oci.cpu.family", integer(v) as number)),
  ],
  [
    /^cpu-model\.id$/,
    (_m, v) =>
      integer(v) === undefined ? undefined : one("oci.cpu.model-id", integer(v) as number),
  ],
  [/^kernel-version\.full$/, (_m, v) => one("oci.kernel.version", v)],
  [/^kernel-version\.(major|minor|revision)$/, () => RECOGNISED_ONLY],
  [
    /^kernel-config\.(\w+)$/,
    // NFD writes "true" for options set to y or m, and the value itself for the others.
    (m, v) => (v === "true" ? one("oci.kernel.configurations", [m[1] as string]) : RECOGNISED_ONLY),
  ],
  [
    /^kernel-selinux\.enabled$/,
    (_m, v) =>
      v === "true" || v === "false" ? one("oci.kernel.selinux", v === "true") : undefined,
  ],
  [/^system-os_release\.ID$/, (_m, v) => one("oci.os.id", v)],
  [/^system-os_release\.VERSION_ID$/, (_m, v) => one("oci.os.version", v)],
  [/^system-os_release\.VERSION_ID\.(major|minor)$/, () => RECOGNISED_ONLY],
  [
    /^pci-([0-9a-fA-F]{4})_([0-9a-fA-F]{4})(?:_([0-9a-fA-F]{4}))?\.present$/,
    (m, v) => {
      if (v !== "true") return undefined;
      const klass = (m[1] as string).toLowerCase();
      const vendor = (m[2] as string).toLowerCase();
      const device = m[3]?.toLowerCase();
      const facts: NfdLabelReading["facts"] = [{ label: "oci.pci.classes", fact: [klass] }];
      if (device !== undefined)
        facts.push({ label: "oci.pci.devices", fact: [`${vendor}.${device}`] });
      return {
        facts,
        pci: device === undefined ? { vendor, class: klass } : { vendor, device, class: klass },
      };
    },
  ],
  [
    /^usb-([0-9a-fA-F]{2})_([0-9a-fA-F]{4})_([0-9a-fA-F]{4})\.present$/,
    (m, v) => {
      if (v !== "true") return undefined;
      const [klass, vendor, device] = [m[1], m[2], m[3]].map((s) =>
        (s as string).toLowerCase(),
      ) as [string, string, string];
      return {
        facts: [{ label: "oci.usb.devices", fact: [`${vendor}.${device}`] }],
        usb: { vendor, device, class: klass },
      };
    },
  ],
];

/** The facts an NFD label name (without its prefix) carries; undefined when none map. */
export function readNfdLabel(name: string, value: string): NfdLabelReading | undefined {
  for (const [pattern, read] of READERS) {
    const m = pattern.exec(name);
    if (m !== null) return read(m, value);
  }
  return undefined;
}
