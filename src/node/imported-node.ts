// Building a node profile from facts another tool reported (an NFD feature export, a Kubernetes
// Node's labels): facts accumulate with their origin, anything that maps to nothing is listed,
// and the platform comes from the input or from the caller.
import { createCatalog, type LabelCatalog } from "../compat/catalog.js";
import type { Fact } from "../compat/label-types.js";
import { recordOf } from "../compat/own-record.js";
import {
  NODE_PROFILE_SCHEMA_VERSION,
  readNodeProfile,
  type NodeProfile,
} from "../compat/node-profile.js";
import { OcicompatError } from "../oci/errors.js";
import { normalizePlatform, parsePlatform, type PlatformSpec } from "../oci/platform.js";
import { FactAccumulator } from "./fact-accumulator.js";
import { isLevelFlag, levelFlags, x86Level } from "./parse/x86-level.js";
import type { DeviceInventory, PciFunction, UsbFunction } from "./probe.js";
import { profileLabels } from "./profile-labels.js";
import { setFact } from "./set-fact.js";

export interface ImportOptions {
  /** The profile's name when the input names no node. */
  name?: string;
  /** `os/arch[/variant]`, for inputs that do not say (or to override what they say). */
  platform?: string;
  catalog?: LabelCatalog;
}

export interface ImportResult {
  profile: NodeProfile;
  /** Features or labels of the input that carry no ocicompat fact, in input order. */
  unmapped: string[];
  /** Label → the input feature or label its fact came from. */
  sources: Record<string, string>;
  devices: DeviceInventory;
}

export class ImportedNode {
  readonly facts = new FactAccumulator();
  readonly unmapped: string[] = [];
  readonly pci: PciFunction[] = [];
  readonly usb: UsbFunction[] = [];
  name: string | undefined;
  os: string | undefined;
  architecture: string | undefined;

  add(label: string, fact: Fact, origin: string): void {
    this.facts.add(label, fact, origin);
  }

  skip(what: string): void {
    if (!this.unmapped.includes(what)) this.unmapped.push(what);
  }

  private platform(override: string | undefined, source: string): PlatformSpec {
    if (override !== undefined) return parsePlatform(override);
    if (this.architecture === undefined) {
      throw new OcicompatError(
        "USAGE",
        "the input does not say which CPU architecture the node has; pass --platform linux/ARCH",
        { subject: source },
      );
    }
    return normalizePlatform({ os: this.os ?? "linux", architecture: this.architecture });
  }

  build(source: string, options: ImportOptions): ImportResult {
    const catalog = options.catalog ?? createCatalog();
    const labels = this.facts.toRecord();
    const spec = this.platform(options.platform, source);
    const features = labels["oci.cpu.features"];
    let variant = spec.variant;
    if (spec.architecture === "amd64" && Array.isArray(features)) {
      // Levels are proven only by a complete flag list (an NFD export has one; node labels hide
      // common flags such as BMI2 by default, so they prove no level beyond the baseline).
      const level = x86Level(new Set(features));
      labels["oci.cpu.features"] = setFact([
        ...features.filter((f) => !isLevelFlag(f)),
        ...levelFlags(level),
      ]);
      if (options.platform === undefined && level > 1) variant = `v${level}`;
    }
    const platform: NodeProfile["platform"] = {
      os: spec.os,
      architecture: spec.architecture,
      ...(variant === undefined ? {} : { variant }),
    };
    const profile = readNodeProfile(
      {
        schemaVersion: NODE_PROFILE_SCHEMA_VERSION,
        name: this.name ?? options.name ?? "imported-node",
        platform,
        labels: profileLabels(new Map(Object.entries(labels)), catalog),
      },
      source,
      catalog,
    );
    const sources = recordOf(
      Object.keys(labels).map((label) => [label, this.facts.origin(label) ?? ""] as const),
    );
    const devices: DeviceInventory = {};
    if (this.pci.length > 0) devices.pci = this.pci;
    if (this.usb.length > 0) devices.usb = this.usb;
    return { profile, unmapped: this.unmapped, sources, devices };
  }
}
