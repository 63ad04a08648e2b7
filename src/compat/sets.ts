// Compatibility sets as ocicompat works with them: labels separated from the reserved keys, tags
// always a list, the score resolved from its three spellings.
import type { PathSegment } from "../oci/json-path.js";
import type { IssueSink } from "../oci/validate.js";
import { isObject, type Json } from "../oci/json-value.js";
import { recordOf } from "./own-record.js";

export const SCORE_KEYS = ["score", "compatibility-score", "oci.compatibility-score"] as const;
/** Keys of a compatibility set that are not labels. */
export const RESERVED_KEYS: readonly string[] = Object.freeze([
  "tags",
  "description",
  ...SCORE_KEYS,
]);
export const RESERVED_SET_KEYS: ReadonlySet<string> = new Set(RESERVED_KEYS);

export interface CompatibilitySet {
  /** Position in the document's list, for reports. */
  index: number;
  labels: Readonly<Record<string, string>>;
  tags: readonly string[];
  description?: string;
  score: number;
}

/**
 * Structural rules for a list of sets, beyond what the schema reports: every set needs a label,
 * and the score may be spelled only one way.
 */
export function checkSetList(list: unknown, at: readonly PathSegment[], sink: IssueSink): void {
  if (!Array.isArray(list)) return;
  list.forEach((set, i) => {
    if (!isObject(set)) return;
    const where = [...at, i];
    const labels = Object.keys(set).filter((k) => !RESERVED_SET_KEYS.has(k));
    for (const label of labels) {
      const value = set[label];
      // YAML turns `false`, `4` and `2.35` into non-strings; say how to keep them as text.
      if (typeof value === "number" && !Number.isInteger(value)) {
        // The digits as written are gone (2.30 is the number 2.3): suggesting them would be a guess.
        sink.error(
          [...where, label],
          "must be a string: quote the value exactly as you meant it, since label values are text in the label's syntax and a number may have lost digits (2.30 is read as 2.3)",
        );
      } else if (typeof value === "number" || typeof value === "boolean") {
        sink.error(
          [...where, label],
          `must be a string: write "${String(value)}" (quoted in YAML), since label values are text in the label's syntax`,
        );
      }
    }
    if (labels.length === 0) {
      sink.error(
        where,
        "has no compatibility labels; a set without labels would pass on every node",
      );
    }
    const scores = SCORE_KEYS.filter((k) => set[k] !== undefined);
    if (scores.length > 1) {
      sink.error(
        [...where, scores[1] as string],
        `the score is given twice (${scores.join(", ")}); keep one`,
      );
    }
  });
}

/** Reads sets that passed validation. */
export function readSets(list: readonly Json[]): CompatibilitySet[] {
  return list.map((raw, index) => {
    // A label named __proto__ or toString is a label like any other (own-record.ts).
    const labels = recordOf(
      Object.entries(raw).filter(
        (kv): kv is [string, string] => !RESERVED_SET_KEYS.has(kv[0]) && typeof kv[1] === "string",
      ),
    );
    const tags = raw["tags"];
    const scoreKey = SCORE_KEYS.find((k) => typeof raw[k] === "number");
    const set: CompatibilitySet = {
      index,
      labels,
      tags: typeof tags === "string" ? [tags] : Array.isArray(tags) ? tags.map(String) : [],
      score: scoreKey === undefined ? 0 : (raw[scoreKey] as number),
    };
    if (typeof raw["description"] === "string") set.description = raw["description"];
    return set;
  });
}
