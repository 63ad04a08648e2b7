// Selection over an image index (DESIGN §5, docs/compat-language.md#selection): which entry fits a
// node best, and why every other one does not. Pure: the caller reads the index (nested indexes
// expanded) and each entry's compatibilities; this module only decides and explains.
//
// 1. Candidates are image manifests and nested indexes (whose entries follow them, depth first).
//    Attestations, artifacts and unknown media types are skipped.
// 2. The platform must run on the node (platform-match.ts), 3. the Proposal E features must be
//    present, and 4. some compatibility set must pass; an entry without compatibilities passes
//    step 4, and one whose compatibilities cannot be read is excluded with a warning.
// 5. Passing entries are ranked: native architecture before fallback, then score (descending),
//    then specificity, whose parts are compared one after the other (see Specificity), then
//    index order. The platform parts come before the labels: they say what the binary was built
//    for, while labels also list what a generic build needs (glibc, kernel), so three labels on
//    a generic build must not outrank an amd64/v3 build. An entry's labels are those of its best
//    passing set (score, then labels), so the order of its sets never matters.
//
// This module judges each entry and chooses; select/ holds the input and report types, step 1's
// skipping, step 5's ranking and the one-line failure summaries.
import { formatPlatform, normalizePlatform, type PlatformSpec } from "../oci/platform.js";
import { IndexMediaTypes } from "../oci/media-types.js";
import type { LabelCatalog } from "./catalog.js";
import type { CompiledSet } from "./compiled-set.js";
import { evaluateSets, type CompatibilityResult, type PreparedNode } from "./evaluate.js";
import {
  featureKey,
  matchPlatform,
  missingFeatures,
  nodePlatformOf,
  type NodePlatform,
  type PlatformMatch,
  type PlatformOverride,
} from "./platform-match.js";
import { evaluateNfdSpec, type NfdSpecResult } from "./nfd/evaluate.js";
import type { NfdSpec } from "./nfd/spec.js";
import { compatFailureSummary, nfdFailureSummary } from "./select/failure-summary.js";
import type { EntryCompat, EntryPlatform, SelectionEntryInput } from "./select/input.js";
import { compareCandidates, type Candidate } from "./select/rank.js";
import type {
  ChosenEntry,
  EntryCompatReport,
  EntryReport,
  ExclusionStep,
  SelectionResult,
  Specificity,
} from "./select/report.js";
import { skipReason } from "./select/skip.js";

export interface SelectOptions {
  node: PreparedNode;
  catalog: LabelCatalog;
  /** `--platform`: replaces the node's os/architecture/variant. */
  platform?: PlatformOverride;
  /** Only sets carrying one of these tags are considered. */
  tags?: readonly string[];
}

function platformSpec(p: EntryPlatform): PlatformSpec {
  const spec: PlatformSpec = { os: p.os, architecture: p.architecture };
  if (p.variant !== undefined) spec.variant = p.variant;
  if (p["os.version"] !== undefined) spec.osVersion = p["os.version"];
  if (p["os.features"] !== undefined) spec.osFeatures = [...p["os.features"]];
  return spec;
}

function short(digest: string): string {
  const colon = digest.indexOf(":");
  return colon < 0 ? digest : digest.slice(0, colon + 13);
}

function describeEntry(r: EntryReport): string {
  return `entry ${r.index} (${r.platform ?? "no platform"}, ${short(r.digest)})`;
}

function compatReport(compat: EntryCompat & { state: "ok" | "unreadable" }): EntryCompatReport {
  const d = compat.descriptor;
  const report: EntryCompatReport = {
    form: compat.form,
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    state: compat.state,
  };
  if (compat.state === "unreadable") report.problem = compat.problem;
  else if (compat.warnings && compat.warnings.length > 0) report.warnings = compat.warnings;
  return report;
}

class Selector {
  readonly entries: EntryReport[] = [];
  readonly candidates: Candidate[] = [];
  readonly warnings: string[] = [];
  // Entries that share a compatibilities document (a build matrix points many entries at a few)
  // share its verdict: evaluation depends only on the sets, the node and the tags, which are
  // fixed for one selection. Keyed by the read document, so each is evaluated once per run.
  private readonly setResults = new WeakMap<readonly CompiledSet[], CompatibilityResult>();
  private readonly nfdResults = new WeakMap<NfdSpec, NfdSpecResult>();
  // Likewise a build matrix repeats a handful of platforms over its entries: each distinct one is
  // formatted and matched against the node once.
  private readonly platforms = new Map<string, { text: string; match: PlatformMatch }>();

  constructor(
    private readonly node: NodePlatform,
    private readonly options: SelectOptions,
  ) {}

  visit(inputs: readonly SelectionEntryInput[], path: readonly number[]): void {
    inputs.forEach((input, i) => {
      const report = this.report(input, [...path, i]);
      this.entries.push(report);
      if (input.children && report.status === "nested") this.visit(input.children, report.path);
    });
  }

  private report(input: SelectionEntryInput, path: number[]): EntryReport {
    const d = input.descriptor;
    const report: EntryReport = {
      index: this.entries.length,
      path,
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
      features: [...(input.platform?.features ?? [])],
      status: "excluded",
      reasons: [],
    };
    if (input.platform) {
      report.platform = this.platformOf(input.platform).text;
      report.platformFrom = input.platformFrom ?? "index";
    }
    const skipped = skipReason(input);
    if (skipped !== undefined) {
      report.status = "skipped";
      report.reasons.push({ step: "skipped", message: skipped });
      return report;
    }
    if (input.problem !== undefined) {
      report.excludedBy = "unreadable";
      report.reasons.push({ step: "unreadable", message: input.problem });
      this.warnings.push(`${describeEntry(report)}: ${input.problem}; the entry is excluded`);
      return report;
    }
    if (IndexMediaTypes.has(d.mediaType)) {
      report.status = "nested";
      report.reasons.push({
        step: "nested",
        message: `nested index: its ${input.children?.length ?? 0} entries follow, depth first`,
      });
      return report;
    }
    this.evaluate(input, report);
    return report;
  }

  private evaluate(input: SelectionEntryInput, report: EntryReport): void {
    const fail = (step: ExclusionStep, reason: string): void => {
      report.excludedBy ??= step;
      report.reasons.push({ step, message: reason });
    };
    let match: PlatformMatch | undefined;
    if (input.platform === undefined) {
      fail("platform", "the entry has no platform, and none could be read from its config");
    } else {
      match = this.platformOf(input.platform).match;
      if (match.ok) {
        report.variantLevel = match.variantLevel;
        report.native = match.native;
      } else {
        fail(
          "platform",
          `platform ${report.platform ?? ""} does not run on the node's ${this.node.text}: ${match.reason}`,
        );
      }
    }
    const missing = missingFeatures(report.features, this.node);
    if (missing.length > 0) {
      report.missingFeatures = missing;
      fail("features", `the node lacks the platform features ${missing.join(", ")}`);
    }
    const compat = input.compat ?? { state: "none" };
    let labels = 0;
    let score = 0;
    if (compat.state === "unreadable") {
      report.compat = compatReport(compat);
      const what = `compatibilities ${compat.form} ${compat.descriptor.digest}`;
      if (report.excludedBy !== "platform") {
        fail("compatibilities", `${what} cannot be read: ${compat.problem}`);
      }
      this.warnings.push(
        `${describeEntry(report)}: ${what} cannot be read (${compat.problem}); the entry is excluded`,
      );
    } else if (compat.state === "ok" && compat.nfd !== undefined) {
      report.compat = compatReport(compat);
      const result = this.nfdResultOf(compat.nfd);
      report.compat.nfdResult = result;
      const best = result.compatibilities.find((c) => c.index === result.best);
      if (best !== undefined) {
        // NFD's weight feeds the score; the rules' count is the labels part of specificity.
        score = best.weight;
        labels = compat.nfd.compatibilities[best.index]?.rules.length ?? 0;
      } else if (report.excludedBy !== "platform") {
        fail("compatibilities", nfdFailureSummary(result));
      }
    } else if (compat.state === "ok") {
      report.compat = compatReport(compat);
      const result = this.setResultOf(compat.sets);
      report.compat.result = result;
      if (result.compatible) {
        score = result.score ?? 0;
        labels = result.specificity ?? 0;
      } else if (report.excludedBy !== "platform") {
        fail("compatibilities", compatFailureSummary(result));
      }
    }
    if (report.excludedBy !== undefined || match === undefined || !match.ok) return;
    report.status = "compatible";
    report.score = score;
    const specificity: Specificity = {
      variant: match.variantLevel,
      features: new Set(report.features.map(featureKey)).size,
      osFeatures: match.osFeatures,
      labels,
    };
    const osVersion = input.platform?.["os.version"];
    if (match.osVersion !== undefined && osVersion !== undefined) specificity.osVersion = osVersion;
    report.specificity = specificity;
    if (!match.native) {
      const arch = normalizePlatform(platformSpec(input.platform as EntryPlatform)).architecture;
      report.reasons.push({
        step: "fallback",
        message: `runs through an architecture fallback (${arch} on ${this.node.architecture}); chosen only when no native entry fits`,
      });
    }
    const candidate: Candidate = {
      report,
      order: report.index,
      native: match.native,
      score,
      specificity,
    };
    if (match.osVersion !== undefined) candidate.osVersion = match.osVersion;
    this.candidates.push(candidate);
  }

  private platformOf(platform: EntryPlatform): { text: string; match: PlatformMatch } {
    // Every field matchPlatform and formatPlatform read (features are matched separately).
    const key = JSON.stringify([
      platform.os,
      platform.architecture,
      platform.variant,
      platform["os.version"],
      platform["os.features"],
    ]);
    let known = this.platforms.get(key);
    if (known === undefined) {
      const spec = platformSpec(platform);
      known = { text: formatPlatform(spec), match: matchPlatform(spec, this.node) };
      this.platforms.set(key, known);
    }
    return known;
  }

  private setResultOf(sets: readonly CompiledSet[]): CompatibilityResult {
    let result = this.setResults.get(sets);
    if (result === undefined) {
      const tags = this.options.tags;
      result = evaluateSets(sets, this.options.node, tags ? { tags } : {});
      this.setResults.set(sets, result);
    }
    return result;
  }

  private nfdResultOf(spec: NfdSpec): NfdSpecResult {
    let result = this.nfdResults.get(spec);
    if (result === undefined) {
      const tags = this.options.tags;
      result = evaluateNfdSpec(spec, this.options.node.profile.nfd ?? {}, tags ? { tags } : {});
      this.nfdResults.set(spec, result);
    }
    return result;
  }
}

/** Every entry judged against the node, the compatible ones ranked, the best one chosen. */
export function selectEntries(
  inputs: readonly SelectionEntryInput[],
  options: SelectOptions,
): SelectionResult {
  const node = nodePlatformOf(options.node.profile, options.catalog, options.platform);
  const selector = new Selector(node, options);
  selector.visit(inputs, []);
  const ranked = [...selector.candidates].sort((a, b) => compareCandidates(node, a, b));
  ranked.forEach((c, i) => {
    c.report.rank = i + 1;
    if (i === 0) c.report.status = "chosen";
  });
  const best = ranked[0]?.report;
  let chosen: ChosenEntry | null = null;
  if (best) {
    chosen = { index: best.index, mediaType: best.mediaType, digest: best.digest, size: best.size };
    if (best.platform !== undefined) chosen.platform = best.platform;
  }
  return {
    compatible: best !== undefined,
    chosen,
    ranking: ranked.map((c) => c.report.index),
    entries: selector.entries,
    nodePlatform: node.text,
    warnings: [...node.warnings, ...selector.warnings],
  };
}
