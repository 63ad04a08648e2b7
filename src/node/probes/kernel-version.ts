// oci.kernel.version: the running kernel's release (what `uname -r` prints).
import type { Probe } from "../probe.js";
import { kernelRelease } from "./kernel-release.js";

export const kernelVersionProbe: Probe = {
  name: "kernel-version",
  provides: ["oci.kernel.version"],
  async run({ root }) {
    const release = await kernelRelease(root);
    return { facts: release === undefined ? {} : { "oci.kernel.version": release } };
  },
};
