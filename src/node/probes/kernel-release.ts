// The running kernel's release, which names the per-kernel files under /boot and /lib/modules.
import type { HostRoot } from "../host-root.js";

export async function kernelRelease(root: HostRoot): Promise<string | undefined> {
  const text = await root.readText("/proc/sys/kernel/osrelease");
  const release = text?.trim();
  return release === undefined || release === "" ? undefined : release;
}
