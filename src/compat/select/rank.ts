// Step 5 of selection: the order of the compatible entries (native first, score, specificity,
// index order). Apart from the selector because fleet --what-if ranks entries with it too.
import type { NodePlatform } from "../platform-match.js";
import { compareWindowsCloseness, type WindowsVersion } from "../windows-version.js";
import type { EntryReport, Specificity } from "./report.js";

export interface Candidate {
  report: EntryReport;
  order: number;
  native: boolean;
  score: number;
  specificity: Specificity;
  osVersion?: WindowsVersion;
}

/** What ranks an entry apart from the node it was chosen on. */
export interface RankKey {
  native: boolean;
  score: number;
  specificity: Specificity;
}

/**
 * select's order on what does not depend on the node: native before fallback, score descending,
 * then the specificity parts (variant, features, os.features, labels), each descending. Negative
 * when `a` ranks first. Windows `os.version` closeness, which is relative to one node, and index
 * order come on top of this in `selectEntries`; `fleet --what-if` compares entries chosen on
 * different nodes with this alone.
 */
export function compareRank(a: RankKey, b: RankKey): number {
  if (a.native !== b.native) return a.native ? -1 : 1;
  if (a.score !== b.score) return b.score - a.score;
  return comparePlatformFreeSpecificity(a.specificity, b.specificity);
}

function comparePlatformFreeSpecificity(x: Specificity, y: Specificity): number {
  return (
    y.variant - x.variant ||
    y.features - x.features ||
    y.osFeatures - x.osFeatures ||
    y.labels - x.labels
  );
}

/** Negative when `a` is more specific than `b` (see {@link Specificity}). */
function compareSpecificity(node: NodePlatform, a: Candidate, b: Candidate): number {
  if (a.osVersion !== undefined || b.osVersion !== undefined) {
    if (a.osVersion === undefined) return 1;
    if (b.osVersion === undefined) return -1;
    const closer = compareWindowsCloseness(node.osVersion, a.osVersion, b.osVersion);
    if (closer !== 0) return closer;
  }
  return comparePlatformFreeSpecificity(a.specificity, b.specificity);
}

/** Native before fallback, then score (descending), then specificity, then index order. */
export function compareCandidates(node: NodePlatform, a: Candidate, b: Candidate): number {
  if (a.native !== b.native) return a.native ? -1 : 1;
  if (a.score !== b.score) return b.score - a.score;
  return compareSpecificity(node, a, b) || a.order - b.order;
}
