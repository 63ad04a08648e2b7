// oci.kernel.cmdline: the parameters the kernel was booted with.
import { kernelParameters } from "../parse/kernel.js";
import type { Probe } from "../probe.js";
import { setFact } from "../set-fact.js";

export const cmdlineProbe: Probe = {
  name: "cmdline",
  provides: ["oci.kernel.cmdline"],
  async run({ root }) {
    const text = await root.readText("/proc/cmdline");
    return {
      facts: text === undefined ? {} : { "oci.kernel.cmdline": setFact(kernelParameters(text)) },
    };
  },
};
