// oci.memory.numa-nodes: online NUMA nodes, from the online list or else the node directories.
import { countIdList } from "../parse/cpu-list.js";
import type { Probe } from "../probe.js";

const NODES = "/sys/devices/system/node";

export const numaProbe: Probe = {
  name: "numa",
  provides: ["oci.memory.numa-nodes"],
  async run({ root }) {
    const online = await root.readText(`${NODES}/online`);
    let count = online === undefined ? undefined : countIdList(online);
    if (count === undefined) {
      const entries = await root.list(NODES);
      count = entries?.filter((e) => /^node\d+$/.test(e)).length;
    }
    return { facts: count === undefined || count === 0 ? {} : { "oci.memory.numa-nodes": count } };
  },
};
