// oci.pci.devices and oci.pci.classes from /sys/bus/pci/devices/*/{vendor,device,class}.
import { pciClass, pciId } from "../parse/devices.js";
import type { HostRoot } from "../host-root.js";
import type { PciFunction, Probe } from "../probe.js";
import { setFact } from "../set-fact.js";

const DEVICES = "/sys/bus/pci/devices";

async function readFunction(root: HostRoot, address: string): Promise<PciFunction | undefined> {
  const dir = `${DEVICES}/${address}`;
  const [vendor, device, klass] = await Promise.all([
    root.readText(`${dir}/vendor`),
    root.readText(`${dir}/device`),
    root.readText(`${dir}/class`),
  ]);
  const v = vendor === undefined ? undefined : pciId(vendor);
  const d = device === undefined ? undefined : pciId(device);
  const c = klass === undefined ? undefined : pciClass(klass);
  return v === undefined || d === undefined || c === undefined
    ? undefined
    : { vendor: v, device: d, class: c };
}

export const pciProbe: Probe = {
  name: "pci",
  provides: ["oci.pci.devices", "oci.pci.classes"],
  async run({ root, note }) {
    const addresses = await root.list(DEVICES);
    if (addresses === undefined) return { facts: {} };
    const functions: PciFunction[] = [];
    const found = await Promise.all(
      addresses.map(async (address) => {
        try {
          const fn = await readFunction(root, address);
          if (fn === undefined) note(`${DEVICES}/${address}: no readable vendor, device and class`);
          return fn;
        } catch (err) {
          // One unreadable device must not hide the others.
          note((err as Error).message);
          return undefined;
        }
      }),
    );
    for (const fn of found) if (fn !== undefined) functions.push(fn);
    return {
      facts: {
        "oci.pci.devices": setFact(functions.map((f) => `${f.vendor}.${f.device ?? ""}`)),
        "oci.pci.classes": setFact(functions.map((f) => f.class)),
      },
      devices: { pci: functions },
    };
  },
};
