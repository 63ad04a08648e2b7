// oci.kernel.modules: modules loaded now (/proc/modules) plus those built into the kernel.
import { builtinModules, loadedModules } from "../parse/kernel.js";
import type { HostRoot } from "../host-root.js";
import type { Probe } from "../probe.js";
import { setFact } from "../set-fact.js";
import { kernelRelease } from "./kernel-release.js";

async function readBuiltin(root: HostRoot, release: string): Promise<string | undefined> {
  for (const dir of ["/lib/modules", "/usr/lib/modules"]) {
    const text = await root.readText(`${dir}/${release}/modules.builtin`);
    if (text !== undefined) return text;
  }
  return undefined;
}

export const kernelModulesProbe: Probe = {
  name: "kernel-modules",
  provides: ["oci.kernel.modules"],
  async run({ root }) {
    const loaded = await root.readText("/proc/modules");
    const release = await kernelRelease(root);
    const builtin = release === undefined ? undefined : await readBuiltin(root, release);
    if (loaded === undefined && builtin === undefined) return { facts: {} };
    const names = [
      ...(loaded === undefined ? [] : loadedModules(loaded)),
      ...(builtin === undefined ? [] : builtinModules(builtin)),
    ];
    return { facts: { "oci.kernel.modules": setFact(names) } };
  },
};
