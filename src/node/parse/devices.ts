// sysfs device attributes: PCI and USB IDs and classes.

/** `0x15b3\n` → `15b3`; undefined unless it is a 16-bit hex ID. */
export function pciId(text: string): string | undefined {
  const m = /^(?:0x)?([0-9a-fA-F]{4})$/.exec(text.trim());
  return m?.[1]?.toLowerCase();
}

/** `0x020700` → `0207`: base class and subclass, without the programming interface. */
export function pciClass(text: string): string | undefined {
  const m = /^(?:0x)?([0-9a-fA-F]{4})[0-9a-fA-F]{2}$/.exec(text.trim());
  return m?.[1]?.toLowerCase();
}

/** A USB idVendor/idProduct (`1d6b`), lower-case. */
export function usbId(text: string): string | undefined {
  const m = /^([0-9a-fA-F]{4})$/.exec(text.trim());
  return m?.[1]?.toLowerCase();
}

/** A USB bDeviceClass or bInterfaceClass (`09`), lower-case. */
export function usbClass(text: string): string | undefined {
  const m = /^([0-9a-fA-F]{2})$/.exec(text.trim());
  return m?.[1]?.toLowerCase();
}
