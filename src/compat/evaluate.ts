// Evaluation of compiled compatibility sets against one node: a verdict per label, per set and
// overall, with explanations a person can act on. Pure; the CLI only renders the result.
import type { LabelCatalog } from "./catalog.js";
import type { CompiledLabel, CompiledSet } from "./compiled-set.js";
import type { Fact } from "./label-types.js";
import { factOf, type NodeProfile } from "./node-profile.js";
import { prepareFact, type PreparedFact } from "./value/index.js";

export type LabelStatus = "pass" | "fail" | "unknown";
export type SetStatus = LabelStatus | "skipped";

export interface LabelResult {
  label: string;
  required: string;
  /** The node's fact, absent when the node has none. */
  observed?: Fact;
  status: LabelStatus;
  reason: string;
}

export interface SetResult {
  index: number;
  description?: string;
  tags: readonly string[];
  score: number;
  status: SetStatus;
  /** Why a set was skipped (tag filtering). */
  reason?: string;
  labels: LabelResult[];
}

export interface CompatibilityResult {
  compatible: boolean;
  /** The best passing set: highest score, then most labels (then the first), whatever the order. */
  bestSet?: number;
  /** The best passing set's score. */
  score?: number;
  /** How many labels the best set checks: a proven-specific build beats a generic one. */
  specificity?: number;
  sets: SetResult[];
}

export interface EvaluateOptions {
  /** Only sets carrying at least one of these tags are considered. */
  tags?: readonly string[];
}

/** A node's facts, each prepared once per label type and reused across sets and images. */
export interface PreparedNode {
  profile: NodeProfile;
  fact(label: CompiledLabel): { raw: Fact | undefined; prepared: PreparedFact | undefined };
}

export function prepareNode(profile: NodeProfile, catalog: LabelCatalog): PreparedNode {
  const facts: ({ raw: Fact | undefined; prepared: PreparedFact | undefined } | undefined)[] = [];
  return {
    profile,
    fact(label) {
      let entry = facts[label.slot];
      if (entry === undefined) {
        const raw = factOf(profile, label.label, catalog);
        const prepared = raw === undefined ? undefined : prepareFact(label.type, raw, label.names);
        entry = { raw, prepared };
        facts[label.slot] = entry;
      }
      return entry;
    },
  };
}

function evaluateLabel(label: CompiledLabel, node: PreparedNode): LabelResult {
  const required = label.matcher.source;
  const { raw, prepared } = node.fact(label);
  if (raw === undefined) {
    return {
      label: label.label,
      required,
      status: "unknown",
      reason: `node has no fact for ${label.canonical}`,
    };
  }
  if (prepared === undefined) {
    return {
      label: label.label,
      required,
      observed: raw,
      status: "unknown",
      reason: `node's value ${JSON.stringify(raw)} cannot be read as a ${label.type}`,
    };
  }
  const outcome = label.matcher.explain(prepared);
  return {
    label: label.label,
    required,
    observed: raw,
    status: outcome.pass ? "pass" : "fail",
    reason: label.note === undefined ? outcome.reason : `${outcome.reason}; ${label.note}`,
  };
}

/** Whether tag filtering leaves the set in: no tags selected, or the set carries one of them. */
export function isSetConsidered(set: CompiledSet, tags: readonly string[] | undefined): boolean {
  return !tags || tags.length === 0 || set.set.tags.some((t) => tags.includes(t));
}

function tagFilterReason(
  set: CompiledSet,
  tags: readonly string[] | undefined,
): string | undefined {
  if (!tags || isSetConsidered(set, tags)) return undefined;
  const has = set.set.tags.length > 0 ? `has tags ${set.set.tags.join(", ")}` : "has no tags";
  return `${has}; selected tags are ${tags.join(", ")}`;
}

/** The full, explained evaluation: every label of every set. */
export function evaluateSets(
  sets: readonly CompiledSet[],
  node: PreparedNode,
  options: EvaluateOptions = {},
): CompatibilityResult {
  const results: SetResult[] = sets.map((compiled) => {
    const { set } = compiled;
    const base = {
      index: set.index,
      tags: set.tags,
      score: set.score,
      ...(set.description !== undefined ? { description: set.description } : {}),
    };
    const skipped = tagFilterReason(compiled, options.tags);
    if (skipped !== undefined)
      return { ...base, status: "skipped" as const, reason: skipped, labels: [] };
    const labels = compiled.labels.map((l) => evaluateLabel(l, node));
    const status: LabelStatus = labels.some((l) => l.status === "fail")
      ? "fail"
      : labels.some((l) => l.status === "unknown")
        ? "unknown"
        : "pass";
    return { ...base, status, labels };
  });
  let best: SetResult | undefined;
  for (const r of results) {
    if (r.status !== "pass") continue;
    if (!best || r.score > best.score) best = r;
    else if (r.score === best.score && r.labels.length > best.labels.length) best = r;
  }
  if (!best) return { compatible: false, sets: results };
  return {
    compatible: true,
    bestSet: best.index,
    score: best.score,
    specificity: best.labels.length,
    sets: results,
  };
}

/** The fast path for matrices: does any considered set pass? No explanations, no allocation. */
export function anySetPasses(
  sets: readonly CompiledSet[],
  node: PreparedNode,
  options: EvaluateOptions = {},
): boolean {
  for (const compiled of sets) {
    if (tagFilterReason(compiled, options.tags) !== undefined) continue;
    if (setPasses(compiled, node)) return true;
  }
  return false;
}

function setPasses(compiled: CompiledSet, node: PreparedNode): boolean {
  for (const label of compiled.labels) {
    const { prepared } = node.fact(label);
    if (prepared === undefined || !label.matcher.matches(prepared)) return false;
  }
  return true;
}
