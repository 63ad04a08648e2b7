// What a catalog entry says about one label, and define(), which freezes one. The built-in
// labels, label packs and the catalog all build entries, so their shape lives apart from each.

import type { NameForm } from "./canonical-names.js";
import type { LabelType } from "./label-types.js";

export interface LabelExample {
  value: string;
  meaning: string;
}

export interface LabelDefinition {
  /** Canonical name, e.g. `oci.cpu.features`. */
  name: string;
  type: LabelType;
  /** Other spellings that mean the same label, e.g. `oci.kernel.versions`. */
  aliases: readonly string[];
  /** One line. */
  summary: string;
  /** One paragraph: meaning, where the fact comes from on Linux, value examples. */
  explanation: string;
  examples: readonly LabelExample[];
  /** The Kubernetes Node Feature Discovery label or rule feature that carries the same fact. */
  nfd?: { feature: string; note?: string };
  /**
   * `oci`: the name appears in the OCI image-compatibility proposals' examples; `ocicompat`: added by
   * this project; `pack`: declared by a community label pack.
   */
  source: "oci" | "ocicompat" | "pack";
  /** Pack labels only: a command whose stdout is the node's fact. Run without a shell. */
  discovery?: { command: readonly string[]; timeoutMs?: number };
  /** Pack labels only: where the community documents the label. */
  docs?: string;
  /**
   * Set labels whose names have many spellings: how they are made canonical on both sides
   * (canonical-names.ts), e.g. `sse4_2` = `SSE42`, `15B3:101B` = `15b3.101b`.
   */
  names?: NameForm;
}

export function define(def: LabelDefinition): LabelDefinition {
  // Frozen all the way down: the catalog is shared by every caller in the process.
  return Object.freeze({
    ...def,
    aliases: Object.freeze([...def.aliases]),
    examples: Object.freeze(def.examples.map((e) => Object.freeze({ ...e }))),
    ...(def.nfd ? { nfd: Object.freeze({ ...def.nfd }) } : {}),
    ...(def.discovery
      ? {
          discovery: Object.freeze({
            ...def.discovery,
            command: Object.freeze([...def.discovery.command]),
          }),
        }
      : {}),
  });
}
