// oci.kernel.selinux: true only when SELinux enforces (NFD's meaning too).
import type { Probe } from "../probe.js";

export const selinuxProbe: Probe = {
  name: "selinux",
  provides: ["oci.kernel.selinux"],
  async run({ root }) {
    const enforce = await root.readText("/sys/fs/selinux/enforce");
    if (enforce !== undefined) return { facts: { "oci.kernel.selinux": enforce.trim() === "1" } };
    // No selinuxfs on a mounted sysfs means SELinux is off. Without sysfs we cannot tell.
    if (!(await root.isDirectory("/sys/fs/selinux")) && (await root.isDirectory("/sys/fs"))) {
      return { facts: { "oci.kernel.selinux": false } };
    }
    return { facts: {} };
  },
};
