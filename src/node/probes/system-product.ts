// oci.system.product: the device-tree model on boards, else the DMI product name.
import type { Probe } from "../probe.js";

function clean(text: string | undefined): string | undefined {
  // The device-tree property is a NUL-terminated string.
  const value = text?.replace(/\0+$/, "").trim();
  return value === "" ? undefined : value;
}

export const systemProductProbe: Probe = {
  name: "system-product",
  provides: ["oci.system.product"],
  async run({ root }) {
    const product =
      clean(await root.readText("/proc/device-tree/model")) ??
      clean(await root.readText("/sys/devices/virtual/dmi/id/product_name"));
    return { facts: product === undefined ? {} : { "oci.system.product": product } };
  },
};
