// The node a selection is made for: a saved profile, a profile in memory, or lazy live discovery
// of this host (only the probes the image's compatibility labels need, plus the platform).
import type { LabelCatalog } from "../../compat/catalog.js";
import type { NodeProfile } from "../../compat/node-profile.js";
import type { SelectionEntryInput } from "../../compat/select/input.js";
import { labelsNeededBy, type CompiledSet } from "../../compat/compiled-set.js";
import type { Diagnostic } from "../../node/discover.js";
import { loadNodeProfile } from "../../node/profile-file.js";

export type NodeSource = "file" | "profile" | "discovery";

export interface SelectionNode {
  profile: NodeProfile;
  source: NodeSource;
  /** The profile file, or the root that was probed. */
  input?: string;
  /** The labels live discovery was asked for. */
  labelsWanted?: string[];
  diagnostics: Diagnostic[];
}

export interface NodeOptions {
  catalog: LabelCatalog;
  /** A saved node profile (JSON). */
  nodeFile?: string;
  /** A profile in memory (library use). */
  profile?: NodeProfile;
  /** Replaces live discovery (tests, embedding); gets the labels the image needs. */
  discover?: (labels: ReadonlySet<string>) => Promise<NodeProfile>;
}

function allSets(entries: readonly SelectionEntryInput[], into: CompiledSet[] = []): CompiledSet[] {
  for (const e of entries) {
    if (e.compat?.state === "ok") into.push(...e.compat.sets);
    if (e.children) allSets(e.children, into);
  }
  return into;
}

function usesFeatures(entries: readonly SelectionEntryInput[]): boolean {
  return entries.some(
    (e) =>
      (e.platform?.features?.length ?? 0) > 0 || (e.children ? usesFeatures(e.children) : false),
  );
}

/** Whether some entry's compatibilities are NFD rules (which read the profile's `nfd`). */
export function usesNfd(entries: readonly SelectionEntryInput[]): boolean {
  return entries.some(
    (e) =>
      (e.compat?.state === "ok" && e.compat.nfd !== undefined) ||
      (e.children ? usesNfd(e.children) : false),
  );
}

/** The facts discovery turns into the profile's NFD feature sets (node/nfd/features-of-profile.ts). */
const NFD_SOURCE_LABELS = [
  "oci.cpu.features",
  "oci.cpu.vendor",
  "oci.cpu.family",
  "oci.cpu.model-id",
  "oci.kernel.version",
  "oci.kernel.configurations",
  "oci.kernel.modules",
  "oci.kernel.selinux",
  "oci.os.id",
  "oci.os.version",
  "oci.memory.numa-nodes",
  "oci.pci.devices",
  "oci.usb.devices",
];

/**
 * The labels an image's entries need facts for: every set's labels, CPU flags for Proposal E,
 * and for NFD rules everything the profile's NFD feature sets are made of.
 */
export function labelsNeeded(entries: readonly SelectionEntryInput[]): Set<string> {
  const labels = labelsNeededBy(allSets(entries));
  if (usesFeatures(entries)) labels.add("oci.cpu.features");
  if (usesNfd(entries)) for (const l of NFD_SOURCE_LABELS) labels.add(l);
  return labels;
}

/** Loads a profile file early, so a bad file fails before any request is made. */
export async function loadProfileOption(options: NodeOptions): Promise<SelectionNode | undefined> {
  if (options.nodeFile !== undefined) {
    const profile = await loadNodeProfile(options.nodeFile, options.catalog);
    return { profile, source: "file", input: options.nodeFile, diagnostics: [] };
  }
  if (options.profile !== undefined) {
    return { profile: options.profile, source: "profile", diagnostics: [] };
  }
  return undefined;
}

export async function discoverFor(
  entries: readonly SelectionEntryInput[],
  options: NodeOptions,
): Promise<SelectionNode> {
  const labels = labelsNeeded(entries);
  const labelsWanted = [...labels].sort();
  if (options.discover) {
    return {
      profile: await options.discover(labels),
      source: "discovery",
      labelsWanted,
      diagnostics: [],
    };
  }
  // The probes load only when this host is probed (not with --node or a profile).
  const { discoverNode } = await import("../discover.js");
  const found = await discoverNode({
    catalog: options.catalog,
    labels,
    nfdFeatures: usesNfd(entries),
  });
  return {
    profile: found.profile,
    source: "discovery",
    input: found.input,
    labelsWanted,
    diagnostics: found.diagnostics,
  };
}
