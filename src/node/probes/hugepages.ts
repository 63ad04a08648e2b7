// oci.memory.hugepages: bytes reserved in every huge page pool, all sizes together.
import { hugePageSizeBytes } from "../parse/memory.js";
import type { Probe } from "../probe.js";

const POOLS = "/sys/kernel/mm/hugepages";

export const hugepagesProbe: Probe = {
  name: "hugepages",
  provides: ["oci.memory.hugepages"],
  async run({ root, note }) {
    const pools = await root.list(POOLS);
    if (pools === undefined) return { facts: {} };
    let total = 0;
    for (const pool of pools) {
      const size = hugePageSizeBytes(pool);
      if (size === undefined) continue;
      const text = await root.readText(`${POOLS}/${pool}/nr_hugepages`);
      const count = text === undefined ? undefined : Number(text.trim());
      if (count === undefined || !Number.isInteger(count) || count < 0) {
        note(`${POOLS}/${pool}/nr_hugepages is missing or not a number`);
        continue;
      }
      total += count * size;
    }
    return { facts: { "oci.memory.hugepages": total } };
  },
};
