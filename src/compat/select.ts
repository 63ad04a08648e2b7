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
import type { ValidationIssue } from "../oci/errors.js";
import { formatPlatform, normalizePlatform, type PlatformSpec } from "../oci/platform.js";
import { IndexMediaTypes, ManifestMediaTypes } from "../oci/media-types.js";
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
import { compareWindowsCloseness, type WindowsVersion } from "./windows-version.js";
import { evaluateNfdSpec, type NfdSpecResult } from "./nfd/evaluate.js";
import type { NfdSpec } from "./nfd/spec.js";

/** The annotation buildx puts on attestation entries. */
export const REFERENCE_TYPE_ANNOTATION = "vnd.docker.reference.type";

export interface EntryDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Readonly<Record<string, string>>;
  artifactType?: string;
}

/** An index entry's platform as the image-spec spells it (plus the compat descriptors). */
export interface EntryPlatform {
  os: string;
  architecture: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: readonly string[];
  features?: readonly string[];
}

/** Proposal I manifest, Proposal J blob, or an NFD image-compatibility artifact (a referrer). */
export type CompatForm = "manifest" | "blob" | "nfd";

/** An entry's compatibilities, as the caller read them. */
export type EntryCompat =
  | { state: "none" }
  | {
      state: "ok";
      form: CompatForm;
      descriptor: EntryDescriptor;
      sets: readonly CompiledSet[];
      /** NFD rules (form "nfd", or NFD-shaped content under J's media type): `sets` is empty. */
      nfd?: NfdSpec;
      /** Validation warnings about the document (unknown labels, redundant sets, ...). */
      warnings?: readonly ValidationIssue[];
    }
  | {
      /** Dangling, corrupt or invalid: the entry is excluded. */
      state: "unreadable";
      form: CompatForm;
      descriptor: EntryDescriptor;
      problem: string;
    };

export interface SelectionEntryInput {
  descriptor: EntryDescriptor;
  platform?: EntryPlatform;
  /** Where the platform came from: the index entry, or (when it had none) the image config. */
  platformFrom?: "index" | "config";
  compat?: EntryCompat;
  /** Why the entry could not be read (a nested index or a config that is missing, malformed). */
  problem?: string;
  /** A nested index's entries, read by the caller. */
  children?: readonly SelectionEntryInput[];
}

export interface SelectOptions {
  node: PreparedNode;
  catalog: LabelCatalog;
  /** `--platform`: replaces the node's os/architecture/variant. */
  platform?: PlatformOverride;
  /** Only sets carrying one of these tags are considered. */
  tags?: readonly string[];
}

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

interface Candidate {
  report: EntryReport;
  order: number;
  native: boolean;
  score: number;
  specificity: Specificity;
  osVersion?: WindowsVersion;
}

function platformSpec(p: EntryPlatform): PlatformSpec {
  const spec: PlatformSpec = { os: p.os, architecture: p.architecture };
  if (p.variant !== undefined) spec.variant = p.variant;
  if (p["os.version"] !== undefined) spec.osVersion = p["os.version"];
  if (p["os.features"] !== undefined) spec.osFeatures = [...p["os.features"]];
  return spec;
}

export function skipReason(input: SelectionEntryInput): string | undefined {
  const d = input.descriptor;
  const type = d.annotations?.[REFERENCE_TYPE_ANNOTATION];
  if (type === "attestation-manifest") {
    return `attestation manifest (${REFERENCE_TYPE_ANNOTATION}: ${type}), not an image`;
  }
  const p = input.platform;
  if (p && p.os === "unknown" && p.architecture === "unknown") {
    return "platform unknown/unknown: an attestation or other non-image entry";
  }
  if (!ManifestMediaTypes.has(d.mediaType) && !IndexMediaTypes.has(d.mediaType)) {
    return `media type ${d.mediaType} is neither an image manifest nor an index`;
  }
  if (d.artifactType !== undefined && !IndexMediaTypes.has(d.mediaType)) {
    return `an artifact (artifactType ${d.artifactType}), not an image`;
  }
  return undefined;
}

function short(digest: string): string {
  const colon = digest.indexOf(":");
  return colon < 0 ? digest : digest.slice(0, colon + 13);
}

function describeEntry(r: EntryReport): string {
  return `entry ${r.index} (${r.platform ?? "no platform"}, ${short(r.digest)})`;
}

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
function nfdFailureSummary(result: NfdSpecResult): string {
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
function compareCandidates(node: NodePlatform, a: Candidate, b: Candidate): number {
  if (a.native !== b.native) return a.native ? -1 : 1;
  if (a.score !== b.score) return b.score - a.score;
  return compareSpecificity(node, a, b) || a.order - b.order;
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
