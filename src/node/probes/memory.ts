// oci.memory.total: MemTotal from /proc/meminfo, in bytes.
import { memTotalBytes } from "../parse/memory.js";
import type { Probe } from "../probe.js";

export const memoryProbe: Probe = {
  name: "memory",
  provides: ["oci.memory.total"],
  async run({ root }) {
    const text = await root.readText("/proc/meminfo");
    const total = text === undefined ? undefined : memTotalBytes(text);
    return { facts: total === undefined ? {} : { "oci.memory.total": total } };
  },
};
