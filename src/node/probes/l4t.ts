// oci.gpu.nvidia.l4t: the NVIDIA Jetson Linux release of a Jetson board.
import { l4tRelease } from "../parse/gpu.js";
import type { Probe } from "../probe.js";

export const l4tProbe: Probe = {
  name: "l4t",
  provides: ["oci.gpu.nvidia.l4t"],
  async run({ root }) {
    const text = await root.readText("/etc/nv_tegra_release");
    const release = text === undefined ? undefined : l4tRelease(text);
    return { facts: release === undefined ? {} : { "oci.gpu.nvidia.l4t": release } };
  },
};
