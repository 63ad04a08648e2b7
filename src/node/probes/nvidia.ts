// oci.gpu.nvidia.driver: the loaded NVIDIA kernel module's version.
import { nvidiaDriverFromModule, nvidiaDriverFromProc } from "../parse/gpu.js";
import type { Probe } from "../probe.js";

export const nvidiaProbe: Probe = {
  name: "nvidia",
  provides: ["oci.gpu.nvidia.driver"],
  async run({ root }) {
    const module = await root.readText("/sys/module/nvidia/version");
    let version = module === undefined ? undefined : nvidiaDriverFromModule(module);
    if (version === undefined) {
      const proc = await root.readText("/proc/driver/nvidia/version");
      version = proc === undefined ? undefined : nvidiaDriverFromProc(proc);
    }
    return { facts: version === undefined ? {} : { "oci.gpu.nvidia.driver": version } };
  },
};
