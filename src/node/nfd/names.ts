// How NFD spells the facts ocicompat discovers. NFD reads CPU flags through the klauspost/cpuid
// library, which names a few flags after CPUID rather than /proc/cpuinfo, and reports a short
// vendor name instead of the CPUID vendor string. These tables translate both ways.

import { canonicalCpuFeature } from "../../compat/canonical-names.js";
import type { NodeProfile } from "../../compat/node-profile.js";
import { nfdCpuidNames } from "../../compat/nfd/cpuid-flags.js";
import { normalizePlatform } from "../../oci/platform.js";

export const NFD_LABEL_PREFIX = "feature.node.kubernetes.io/";

/** Flags NFD leaves out of its node labels by default (its cpu source's attributeBlacklist). */
export const NFD_HIDDEN_CPUID_FLAGS: ReadonlySet<string> = new Set([
  "AVX10",
  "BMI1",
  "BMI2",
  "CLMUL",
  "CMOV",
  "CX16",
  "ERMS",
  "F16C",
  "HTT",
  "LZCNT",
  "MMX",
  "MMXEXT",
  "NX",
  "POPCNT",
  "RDRAND",
  "RDSEED",
  "RDTSCP",
  "SGX",
  "SGXLC",
  "SSE",
  "SSE2",
  "SSE3",
  "SSE4",
  "SSE42",
  "SSSE3",
  "TDX_GUEST",
]);

// The vendor tables live with the NFD rules (compat/nfd/vendors.ts), which convert needs too.
export { NFD_TO_VENDOR, VENDOR_TO_NFD } from "../../compat/nfd/vendors.js";

/** Kernel options NFD labels by default (its kernel source's configOpts). */
export const NFD_DEFAULT_KERNEL_CONFIG: readonly string[] = [
  "NO_HZ",
  "NO_HZ_IDLE",
  "NO_HZ_FULL",
  "PREEMPT",
];

/** PCI class prefixes NFD labels by default: display, co-processor, processing accelerator. */
export const NFD_PCI_CLASSES: readonly string[] = ["03", "0b40", "12"];

/** USB classes NFD labels by default: video, miscellaneous, application and vendor specific. */
export const NFD_USB_CLASSES: readonly string[] = ["0e", "ef", "fe", "ff"];

/**
 * An NFD (CPUID) flag as a fact: NFD's own spelling, plus the canonical (cpuinfo) one when they
 * differ. Matching reads both as one feature; the profile shows where the fact came from.
 */
export function cpuFlagSpellings(nfdFlag: string): string[] {
  const canonical = canonicalCpuFeature(nfdFlag);
  return canonical === nfdFlag ? [nfdFlag] : [nfdFlag, canonical];
}

/**
 * The CPU flags NFD's cpu source reports on this node (`cpu.cpuid`), in NFD's spelling for the
 * node's architecture: flags NFD does not report there (cpuinfo-only flags such as
 * `constant_tsc`, ocicompat's x86-64 level flags) and every flag of an architecture whose names
 * are unknown are left out, as NFD leaves them out.
 */
export function nfdCpuidFlagsOf(profile: NodeProfile): string[] {
  const features = profile.labels["oci.cpu.features"];
  const names = nfdCpuidNames(normalizePlatform(profile.platform).architecture);
  if (!Array.isArray(features) || names === undefined) return [];
  const out = new Set<string>();
  for (const flag of features as readonly string[]) {
    const nfd = names.get(canonicalCpuFeature(flag));
    if (nfd !== undefined) out.add(nfd);
  }
  return [...out];
}
