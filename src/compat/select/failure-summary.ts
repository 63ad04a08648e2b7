// The one line an excluded entry's report gives when no compatibility set (or NFD compatibility)
// passes. Apart from the selector: it only words an evaluation's result, it decides nothing.
import type { CompatibilityResult } from "../evaluate.js";
import type { NfdSpecResult } from "../nfd/evaluate.js";

/** One line on why no set passed: the first non-passing label of each set. */
export function compatFailureSummary(result: CompatibilityResult): string {
  const considered = result.sets.filter((s) => s.status !== "skipped");
  if (considered.length === 0) {
    const reason = result.sets[0]?.reason;
    return `no compatibility set is considered${reason ? ` (set 0 ${reason})` : ""}`;
  }
  const parts = considered.map((s) => {
    const first = s.labels.find((l) => l.status === s.status) ?? s.labels[0];
    return `set ${s.index} ${s.status}${first ? ` (${first.label}: ${first.reason})` : ""}`;
  });
  return `no compatibility set passes: ${parts.join("; ")}`;
}

/** "NFD compatibility 0 fails: rule \"kernel and cpu\": kernel.loadedmodule: ..." per set. */
export function nfdFailureSummary(result: NfdSpecResult): string {
  const parts = result.compatibilities
    .filter((c) => c.status === "fail")
    .map((c) => {
      const rule = c.rules.find((r) => !r.matched);
      return `NFD compatibility ${c.index}${c.tag === undefined ? "" : ` [${c.tag}]`} fails${rule ? `: rule "${rule.name}": ${rule.failure ?? ""}` : ""}`;
    });
  return parts.length > 0
    ? `no NFD compatibility passes: ${parts.join("; ")}`
    : "no NFD compatibility has a wanted tag";
}
