// oci.kernel.configurations: the build options of the running kernel, from the first config
// file that exists. The search list is NFD's (itself kubeadm's) plus /boot and /lib/modules.
import { gunzipSync } from "node:zlib";
import { enabledConfigOptions } from "../parse/kernel.js";
import type { HostRoot } from "../host-root.js";
import type { Probe } from "../probe.js";
import { setFact } from "../set-fact.js";
import { kernelRelease } from "./kernel-release.js";

/** A kernel's config is about 0.3 MB; a file that inflates far beyond it is not one. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export function kernelConfigPaths(release: string | undefined): string[] {
  if (release === undefined) return ["/proc/config.gz"];
  return [
    "/proc/config.gz",
    `/boot/config-${release}`,
    `/lib/modules/${release}/config`,
    `/usr/lib/modules/${release}/config`,
    `/usr/lib/ostree-boot/config-${release}`,
    `/usr/lib/kernel/config-${release}`,
    `/usr/src/linux-headers-${release}/.config`,
    `/lib/modules/${release}/build/.config`,
    `/usr/src/linux-${release}/.config`,
  ];
}

async function readConfig(root: HostRoot, path: string): Promise<string | undefined> {
  const bytes = await root.readBytes(path, MAX_CONFIG_BYTES);
  if (bytes === undefined) return undefined;
  if (!path.endsWith(".gz")) return bytes.toString("utf8");
  try {
    // In one piece on this thread: zlib's asynchronous form hands the thread pool one 16 KiB
    // piece of output at a time, about twenty trips for one config, for ~1 ms of inflating.
    return gunzipSync(bytes, { maxOutputLength: MAX_CONFIG_BYTES }).toString("utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
      throw new Error(`${path} inflates to more than 16 MiB: not a kernel config`);
    throw new Error(`${path} is not a valid gzip file: ${(err as Error).message}`);
  }
}

export const kernelConfigProbe: Probe = {
  name: "kernel-config",
  provides: ["oci.kernel.configurations"],
  async run({ root, note }) {
    const release = await kernelRelease(root);
    for (const path of kernelConfigPaths(release)) {
      let text: string | undefined;
      try {
        text = await readConfig(root, path);
      } catch (err) {
        // A broken source must not hide a good one further down the list.
        note((err as Error).message);
        continue;
      }
      if (text !== undefined) {
        return { facts: { "oci.kernel.configurations": setFact(enabledConfigOptions(text)) } };
      }
    }
    return { facts: {} };
  },
};
