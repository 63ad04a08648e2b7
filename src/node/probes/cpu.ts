// CPU facts from /proc/cpuinfo, and the online CPU count from sysfs.
import type { Fact } from "../../compat/label-types.js";
import { countIdList } from "../parse/cpu-list.js";
import { describeCpu, parseCpuinfo, type Cpuinfo } from "../parse/cpuinfo.js";
import { levelFlags, x86Level } from "../parse/x86-level.js";
import type { HostRoot } from "../host-root.js";
import type { Probe } from "../probe.js";
import { setFact } from "../set-fact.js";

/** Parsed /proc/cpuinfo, shared by the cpu probe and platform detection. */
export async function readCpuinfo(root: HostRoot): Promise<Cpuinfo | undefined> {
  const text = await root.readText("/proc/cpuinfo");
  return text === undefined ? undefined : parseCpuinfo(text);
}

/** True when the flags are x86 ones (the levels mean nothing on other architectures). */
function isX86(info: Cpuinfo): boolean {
  return info.processors.some((p) => p.has("flags") && p.has("vendor_id"));
}

export const cpuProbe: Probe = {
  name: "cpu",
  provides: [
    "oci.cpu.vendor",
    "oci.cpu.features",
    "oci.cpu.count",
    "oci.cpu.model",
    "oci.cpu.family",
    "oci.cpu.model-id",
  ],
  async run({ root }) {
    const facts: Record<string, Fact> = {};
    const info = await readCpuinfo(root);
    if (info !== undefined) {
      const cpu = describeCpu(info);
      if (cpu.vendor !== undefined) facts["oci.cpu.vendor"] = cpu.vendor;
      if (cpu.flags !== undefined) {
        const levels = isX86(info) ? levelFlags(x86Level(new Set(cpu.flags))) : [];
        facts["oci.cpu.features"] = setFact([...cpu.flags, ...levels]);
      }
      if (cpu.model !== undefined) facts["oci.cpu.model"] = cpu.model;
      if (cpu.family !== undefined) facts["oci.cpu.family"] = cpu.family;
      if (cpu.modelId !== undefined) facts["oci.cpu.model-id"] = cpu.modelId;
      if (cpu.processorCount > 0) facts["oci.cpu.count"] = cpu.processorCount;
    }
    // The online list is authoritative: cpuinfo in a container may list only some CPUs.
    const online = await root.readText("/sys/devices/system/cpu/online");
    const count = online === undefined ? undefined : countIdList(online);
    if (count !== undefined && count > 0) facts["oci.cpu.count"] = count;
    return { facts };
  },
};
