// What attach takes: the sets to attach, the format and anchors to write them with, and the entries
// to attach them to (targets.ts). Apart, as attach, its planning (plan.ts) and the CLI all read it.
import type { CompatField, EntryPlatform } from "../../compat/index-edit.js";
import type { Descriptor } from "../../oci/schema.js";
import type { AnchorPolicy } from "../anchors.js";
import type { TargetSelector } from "./targets.js";

export const AttachFormats = ["manifest", "blob"] as const;
export type AttachFormat = (typeof AttachFormats)[number];
export const LayerPolicies = ["empty", "none"] as const;
export type LayersOption = (typeof LayerPolicies)[number];

export type CompatSet = Record<string, unknown>;

export interface AttachOptions extends TargetSelector {
  /** The compatibility sets, already validated (see readCompatFile). */
  sets: readonly CompatSet[];
  /** "manifest": Proposal I compat manifest (default); "blob": Proposal J blob plus keeper. */
  format?: AttachFormat;
  anchor?: AnchorPolicy;
  /** Layers of the Proposal I manifest: one empty descriptor (default) or none. */
  layers?: LayersOption;
  /** Plan only: read, but write nothing. */
  dryRun?: boolean;
  /** RFC 3339 time for `created`; default `$SOURCE_DATE_EPOCH`, else now (defaultCreated). */
  created?: string;
  /** Refuse unless the tag names this digest (`REF:tag@digest`). */
  expect?: string;
  /** Annotations of the Proposal J blob. */
  blobAnnotations?: Record<string, string>;
  /**
   * Each targeted entry's own sets, from `sets` and the entry (its image manifest and platform):
   * `attach --infer` merges rules inferred from the entry's layers here (ops/infer.ts). `sets`
   * may then be empty.
   */
  setsFor?: (
    entry: { manifest: Descriptor; platform: EntryPlatform },
    sets: readonly CompatSet[],
  ) => Promise<readonly CompatSet[]>;
  /**
   * The platform member written: `compatibilities` (default: the seed Proposal I, which the
   * first implementations read) or `compat` (Proposal J and the final Proposal I).
   */
  field?: CompatField;
  /**
   * Writes (and reads of entries' configs and anchor tags) in flight at once within a step; the
   * steps themselves still follow one another. An integer of at least 1; default 8.
   */
  concurrency?: number;
  /**
   * Cancels the attach. The writes stop at once; as the index is written last, the tag keeps
   * naming the old index (what was written before it is complete but unreferenced).
   */
  signal?: AbortSignal | undefined;
}
