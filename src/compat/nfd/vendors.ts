// How NFD names CPU vendors (cpu.model vendor_id, from klauspost/cpuid): a short name, where
// ocicompat keeps the CPUID vendor string or the Arm implementer code.
/** ocicompat's vendor (CPUID string, or Arm implementer code) → NFD's cpu-model.vendor_id. */
export const VENDOR_TO_NFD: ReadonlyMap<string, string> = new Map([
  ["GenuineIntel", "Intel"],
  ["AuthenticAMD", "AMD"],
  ["HygonGenuine", "Hygon"],
  ["CentaurHauls", "VIA"],
  ["0x41", "ARM"],
  ["0x42", "Broadcom"],
  ["0x43", "Cavium"],
  ["0x46", "Fujitsu"],
  ["0x4e", "NVIDIA"],
  ["0x51", "Qualcomm"],
  ["0x56", "Marvell"],
  ["0x61", "Apple"],
  ["0xc0", "Ampere"],
]);

export const NFD_TO_VENDOR: ReadonlyMap<string, string> = new Map(
  [...VENDOR_TO_NFD].map(([ours, nfd]) => [nfd.toLowerCase(), ours]),
);
