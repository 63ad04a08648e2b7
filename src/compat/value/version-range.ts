// `version` values: the ordered-range matcher over versions, where every written version is a
// short version (npm's X-ranges): "5.15" is every 5.15.x, so "<=5.15" admits 5.15.9 and ">5.15"
// starts at 5.16's first pre-release.

import type { OrderedType } from "./ordered-range.js";
import { compileOrderedRange } from "./ordered-range.js";
import type { CompileResult } from "./types.js";
import { compareParts, formatVersion, lexVersion, LOWEST_TAG, spanEnd } from "./version.js";

type Parts = readonly number[];

export const versionType: OrderedType<Parts> = {
  type: "version",
  noun: "version",
  lex: lexVersion,
  compare: compareParts,
  // From the version itself (its own pre-releases are below it) up to the least version that
  // does not start with it: "5.15" covers 5.15 … 5.15.999 but not 5.15-rc1, 5.16-rc1 or 5.150.
  span: (v) => ({ lower: v, lowerInclusive: true, upper: spanEnd(v), upperInclusive: false }),
  floor: [0, LOWEST_TAG],
  describeSpan: (s) =>
    `${s.text} means ${formatVersion(s.value)} ≤ v < ${formatVersion(spanEnd(s.value))}`,
  valueOf: (fact) => (fact.type === "version" ? fact.parts : undefined),
  // Show how a distro-decorated version was read, since that is where comparisons surprise.
  readingNotes: (fact, parts) => {
    const read = formatVersion(parts);
    return "text" in fact && read !== fact.text ? [`read as ${read}`] : [];
  },
};

export function compileVersion(value: string): CompileResult {
  return compileOrderedRange(value, versionType);
}
