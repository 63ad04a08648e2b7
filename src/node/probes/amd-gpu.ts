// oci.gpu.amd.targets: the gfx targets of the GPUs in the amdgpu driver's KFD topology.
import { gfxTarget } from "../parse/gpu.js";
import type { Probe } from "../probe.js";
import { setFact } from "../set-fact.js";

const KFD_NODES = "/sys/class/kfd/kfd/topology/nodes";

export const amdGpuProbe: Probe = {
  name: "amd-gpu",
  provides: ["oci.gpu.amd.targets"],
  async run({ root }) {
    const nodes = await root.list(KFD_NODES);
    if (nodes === undefined) return { facts: {} };
    const targets: string[] = [];
    for (const node of nodes) {
      const properties = await root.readText(`${KFD_NODES}/${node}/properties`);
      const target = properties === undefined ? undefined : gfxTarget(properties);
      if (target !== undefined) targets.push(target);
    }
    return { facts: { "oci.gpu.amd.targets": setFact(targets) } };
  },
};
