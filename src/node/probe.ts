// What a probe is: one source of facts (a file or a family of files under the root) that
// declares which labels it can provide, so discovery can run only the probes a check needs.
import type { Fact } from "../compat/label-types.js";
import type { HostRoot } from "./host-root.js";

/** Something that went wrong while discovering, which made some facts unknown. */
export interface Diagnostic {
  /** The probe or site source, e.g. `pci`, `features.d`, `hook:rack.sh`. */
  probe: string;
  message: string;
}

/** One PCI function, as NFD's pci.device feature describes it (lower-case hex, no `0x`). */
export interface PciFunction {
  vendor: string;
  /** Unknown when the source only named class and vendor (NFD's default node labels). */
  device?: string;
  /** Base class and subclass, four hex digits: `0207`. */
  class: string;
}

/** One USB device (or one interface class of it), as NFD's usb.device feature describes it. */
export interface UsbFunction {
  vendor: string;
  device: string;
  /** Two hex digits: the device class, or an interface class when the device says `00`. */
  class: string;
}

/**
 * Device lists with the pairing the label facts lose: oci.pci.devices and oci.pci.classes are
 * separate sets, but NFD's labels name class and vendor together.
 */
export interface DeviceInventory {
  pci?: PciFunction[];
  usb?: UsbFunction[];
}

export interface ProbeContext {
  root: HostRoot;
  /** Records a problem that made part of this probe's facts unknown, and carries on. */
  note(message: string): void;
}

export interface ProbeOutput {
  /** Canonical label name → fact. Labels the probe could not find are simply absent. */
  facts: Record<string, Fact>;
  devices?: DeviceInventory;
}

export interface Probe {
  name: string;
  /** The canonical labels this probe can provide; discovery runs it only when one is wanted. */
  provides: readonly string[];
  run(context: ProbeContext): Promise<ProbeOutput>;
}
