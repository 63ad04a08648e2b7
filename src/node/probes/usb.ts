// oci.usb.devices from /sys/bus/usb/devices/*/{idVendor,idProduct}. Entries without idVendor are
// interfaces, not devices. Classes are kept for NFD's usb-<class>_<vendor>_<device> labels: a
// device that says class 00 is described by its interfaces' classes, as NFD does.
import { usbClass, usbId } from "../parse/devices.js";
import type { HostRoot } from "../host-root.js";
import type { Probe, UsbFunction } from "../probe.js";
import { setFact } from "../set-fact.js";

const DEVICES = "/sys/bus/usb/devices";

async function interfaceClasses(root: HostRoot, name: string): Promise<string[]> {
  const entries = (await root.list(`${DEVICES}/${name}`)) ?? [];
  const classes: string[] = [];
  for (const entry of entries.filter((e) => e.startsWith(`${name}:`))) {
    const text = await root.readText(`${DEVICES}/${name}/${entry}/bInterfaceClass`);
    const c = text === undefined ? undefined : usbClass(text);
    if (c !== undefined) classes.push(c);
  }
  return setFact(classes);
}

async function readDevice(root: HostRoot, name: string): Promise<UsbFunction[]> {
  const dir = `${DEVICES}/${name}`;
  const [vendorText, productText, classText] = await Promise.all([
    root.readText(`${dir}/idVendor`),
    root.readText(`${dir}/idProduct`),
    root.readText(`${dir}/bDeviceClass`),
  ]);
  const vendor = vendorText === undefined ? undefined : usbId(vendorText);
  const device = productText === undefined ? undefined : usbId(productText);
  if (vendor === undefined || device === undefined) return [];
  const deviceClass = classText === undefined ? undefined : usbClass(classText);
  const classes =
    deviceClass === undefined || deviceClass === "00"
      ? await interfaceClasses(root, name)
      : [deviceClass];
  if (classes.length === 0) classes.push(deviceClass ?? "00");
  return classes.map((c) => ({ vendor, device, class: c }));
}

export const usbProbe: Probe = {
  name: "usb",
  provides: ["oci.usb.devices"],
  async run({ root, note }) {
    const names = await root.list(DEVICES);
    if (names === undefined) return { facts: {} };
    const found = await Promise.all(
      names.map(async (name) => {
        try {
          return await readDevice(root, name);
        } catch (err) {
          note((err as Error).message);
          return [];
        }
      }),
    );
    const usb = found.flat();
    return {
      facts: { "oci.usb.devices": setFact(usb.map((d) => `${d.vendor}.${d.device}`)) },
      devices: { usb },
    };
  },
};
