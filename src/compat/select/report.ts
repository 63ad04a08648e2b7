// What selection answers: every entry's report (status, rank, specificity, reasons), the chosen
// entry and the warnings, as plain JSON the CLI renders. Apart from the selector that fills it in.
import type { ValidationIssue } from "../../oci/errors.js";
import type { CompatibilityResult } from "../evaluate.js";
import type { NfdSpecResult } from "../nfd/evaluate.js";
import type { CompatForm } from "./input.js";

export type EntryStatus = "chosen" | "compatible" | "excluded" | "skipped" | "nested";
export type ExclusionStep = "unreadable" | "platform" | "features" | "compatibilities";

/**
 * One reason in an entry's report: a step that excluded it, why it was skipped, that it is a
 * nested index, or that it runs through an architecture fallback.
 */
export interface EntryReason {
  step: ExclusionStep | "skipped" | "nested" | "fallback";
  message: string;
}

export interface EntryCompatReport {
  form: CompatForm;
  mediaType: string;
  digest: string;
  size: number;
  state: "ok" | "unreadable";
  problem?: string;
  warnings?: readonly ValidationIssue[];
  result?: CompatibilityResult;
  /** NFD rules evaluated with NFD's semantics against the node profile's `nfd` features. */
  nfdResult?: NfdSpecResult;
}

/**
 * How specific a compatible entry is. Compared part by part, in this order, each descending
 * (os.version: closest first); the first part that differs decides.
 */
export interface Specificity {
  /** Windows: the entry's `os.version`, ranked by closeness to the node's. */
  osVersion?: string;
  /** The variant's step on its architecture's ladder (amd64 v3 = 2, arm64 v9 = 10). */
  variant: number;
  /** Proposal E `platform.features` (all of them the node's). */
  features: number;
  /** `os.features` (all of them the node's); containerd also prefers the entry with more. */
  osFeatures: number;
  /** Labels in the entry's best passing set. */
  labels: number;
}

export interface EntryReport {
  /** Position in the depth-first list of all entries (nested index entries follow their index). */
  index: number;
  /** Position in each index along the way: `[1, 0]` is entry 0 of the index at entry 1. */
  path: number[];
  mediaType: string;
  digest: string;
  size: number;
  /** `os/arch[/variant]`, normalised; absent when the entry has none. */
  platform?: string;
  platformFrom?: "index" | "config";
  /** Proposal E features the entry requires. */
  features: string[];
  status: EntryStatus;
  /** 1 for the chosen entry, then the other compatible ones in order. */
  rank?: number;
  score?: number;
  specificity?: Specificity;
  /** Of the variant, over its architecture's baseline (amd64 v3 = 2). */
  variantLevel?: number;
  /** False when the entry runs through an architecture fallback (386 on amd64, arm on arm64). */
  native?: boolean;
  /** The first step that excluded the entry. */
  excludedBy?: ExclusionStep;
  /**
   * Why the entry was excluded (each failing step; a platform that does not run makes the
   * compatibilities moot, so they are then not listed), skipped, or notes about a compatible one.
   */
  reasons: EntryReason[];
  /** Proposal E features the node lacks. */
  missingFeatures?: string[];
  compat?: EntryCompatReport;
}

export interface ChosenEntry {
  index: number;
  mediaType: string;
  digest: string;
  size: number;
  platform?: string;
}

export interface SelectionResult {
  compatible: boolean;
  chosen: ChosenEntry | null;
  /** Indexes of the compatible entries, best first. */
  ranking: number[];
  entries: EntryReport[];
  /** The node's effective platform (after `--platform`). */
  nodePlatform: string;
  /** Loud problems: dangling or corrupt compatibilities, unreadable entries. */
  warnings: string[];
}

/** `[os.version 10.0.17763.5830, variant 2, features 2, os.features 0, labels 3]`, in ranking order. */
export function formatSpecificity(s: Specificity): string {
  const parts = [
    ...(s.osVersion === undefined ? [] : [`os.version ${s.osVersion}`]),
    `variant ${s.variant}`,
    `features ${s.features}`,
    `os.features ${s.osFeatures}`,
    `labels ${s.labels}`,
  ];
  return `[${parts.join(", ")}]`;
}
