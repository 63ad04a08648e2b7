// An image's entries (as selection reads them) as node selector terms: "some entry fits" is the OR
// over entries of (platform AND (some set passes)), and "every image fits" the AND over images.
// Scores become preferred terms, so the scheduler leans to nodes where a high-scoring variant runs.
import type { NodeAffinity } from "kubernetes-types/core/v1.js";
import type { NodeSelectorTerm } from "kubernetes-types/core/v1.js";
import type { PreferredSchedulingTerm } from "kubernetes-types/core/v1.js";
import { normalizePlatform } from "../../oci/platform.js";
import { canonicalCpuFeature } from "../canonical-names.js";
import type { EntryPlatform, SelectionEntryInput } from "../select/input.js";
import { skipReason } from "../select/skip.js";
import type { CompiledSet } from "../compiled-set.js";
import { translateLabel, unlabelledFlagReason, type NodeArchitectures } from "./labels.js";
import type { Fidelity } from "./translation.js";
import { and, andAll, ANY_NODE, NO_NODE, or, requirementsOf, term, type Dnf } from "./terms.js";
import { ARCH_LABEL, OS_LABEL, type NfdVocabulary } from "./vocabulary.js";

/** A requirement the affinity says only approximately, or not at all. */
export interface AffinityFinding {
  reference: string;
  /** The entry's manifest digest. */
  entry: string;
  /** The set's position in its document; absent for the entry's platform. */
  set?: number;
  label: string;
  value: string;
  fidelity: Exclude<Fidelity, "exact">;
  reason: string;
}

export interface ImageAffinityInput {
  reference: string;
  entries: readonly SelectionEntryInput[];
}

export interface ImageAffinity {
  reference: string;
  required: Dnf;
  /** Each scored variant's terms and its weight (1–100). */
  preferred: { dnf: Dnf; weight: number }[];
  /** Whether some entry carries compatibility sets; without any, the platform alone decides. */
  hasCompat: boolean;
  findings: AffinityFinding[];
}

/** Architectures a node of another architecture also runs (platform-match.ts). */
const RUN_BY: Readonly<Record<string, string>> = { "386": "amd64", arm: "arm64" };

type Where = Omit<AffinityFinding, "label" | "value" | "fidelity" | "reason">;

/** The node architectures an entry may run on, grouped by how NFD names CPU flags on them. */
function nodeGroups(n: EntryPlatform, vocab: NfdVocabulary): NodeArchitectures[] {
  const arches = [n.architecture];
  const host = RUN_BY[n.architecture];
  if (
    host !== undefined &&
    !(n.architecture === "arm" && n.variant !== undefined && n.variant > "v8")
  ) {
    arches.push(host);
  }
  const groups: NodeArchitectures[] = [];
  for (const arch of arches) {
    const cpuFlags = vocab.cpuFlags(arch);
    const same = groups.find((g) => g.cpuFlags !== undefined && g.cpuFlags === cpuFlags);
    if (same !== undefined) same.architectures = [...same.architectures, arch];
    else groups.push({ architectures: [arch], cpuFlags });
  }
  return groups;
}

/** The entry's platform on nodes of `nodes`' architectures. */
function platformTerms(
  n: EntryPlatform,
  nodes: NodeArchitectures,
  at: Where,
  vocab: NfdVocabulary,
  findings: AffinityFinding[],
): Dnf {
  let dnf: Dnf = [
    new Map([
      [OS_LABEL, { in: new Set([n.os]) }],
      [ARCH_LABEL, { in: new Set(nodes.architectures) }],
    ]),
  ];
  if (n.variant !== undefined) {
    findings.push({
      ...at,
      label: "platform.variant",
      value: n.variant,
      fidelity: "inexpressible",
      reason: "no node label names the CPU variant (kubernetes.io/arch has none)",
    });
  }
  for (const feature of n.features ?? []) {
    const flag = nodes.cpuFlags?.get(canonicalCpuFeature(feature));
    if (flag === undefined) {
      findings.push({
        ...at,
        label: "platform.features",
        value: feature,
        fidelity: "inexpressible",
        reason: unlabelledFlagReason(nodes),
      });
    } else dnf = and(dnf, [term(`${vocab.prefix}cpu-cpuid.${flag}`, { exists: true })]);
  }
  if ((n["os.features"] ?? []).length > 0 || n["os.version"] !== undefined) {
    findings.push({
      ...at,
      label: n["os.version"] !== undefined ? "platform.os.version" : "platform.os.features",
      value: n["os.version"] ?? (n["os.features"] ?? []).join(","),
      fidelity: "inexpressible",
      reason: "no node label carries it",
    });
  }
  return dnf;
}

/** Kubernetes' preferred-term weights run from 1 to 100. */
function weightOf(score: number, top: number): number {
  return Math.max(1, Math.min(100, Math.round((100 * score) / top)));
}

/** One readable entry with compatibility sets, on nodes of one flag-naming group. */
function setTerms(
  sets: readonly CompiledSet[],
  platform: Dnf,
  nodes: NodeArchitectures,
  at: Where,
  vocab: NfdVocabulary,
  findings: AffinityFinding[],
  scored: { dnf: Dnf; score: number }[],
): Dnf {
  return or(
    ...sets.map((set) => {
      const parts = set.labels.map((label) => {
        const t = translateLabel(label, vocab, nodes);
        if (t.fidelity !== "exact") {
          findings.push({
            ...at,
            set: set.set.index,
            label: label.label,
            value: label.matcher.source,
            fidelity: t.fidelity,
            reason: t.reason ?? "",
          });
        }
        return t.dnf;
      });
      const dnf = and(platform, andAll(parts));
      if (set.set.score > 0) scored.push({ dnf, score: set.set.score });
      return dnf;
    }),
  );
}

export function imageAffinity(image: ImageAffinityInput, vocab: NfdVocabulary): ImageAffinity {
  const findings: AffinityFinding[] = [];
  const scored: { dnf: Dnf; score: number }[] = [];
  let hasCompat = false;
  const onNodes = (entry: SelectionEntryInput, p: EntryPlatform, nodes: NodeArchitectures): Dnf => {
    const at = { reference: image.reference, entry: entry.descriptor.digest };
    const platform = platformTerms(p, nodes, at, vocab, findings);
    const compat = entry.compat ?? { state: "none" as const };
    if (compat.state === "none") return platform;
    if (compat.state === "unreadable") return NO_NODE;
    hasCompat = true;
    if (compat.nfd !== undefined) {
      // NFD rules (an NFD artifact, or ocifit-k8s's NFD-shaped blob) are not translated: the
      // entry's platform is all the affinity says, and the node-side check enforces the rest.
      findings.push({
        ...at,
        label: "nfd",
        value: compat.descriptor.digest,
        fidelity: "inexpressible",
        reason: "NFD image-compatibility rules are checked on the node only (mirror or check)",
      });
      return platform;
    }
    return setTerms(compat.sets, platform, nodes, at, vocab, findings, scored);
  };
  const visit = (entries: readonly SelectionEntryInput[]): Dnf[] =>
    entries.flatMap((entry): Dnf[] => {
      if (skipReason(entry) !== undefined) return [];
      if (entry.children !== undefined)
        return entry.children.length > 0 ? visit(entry.children) : [];
      // Selection excludes an entry it cannot read; so does the affinity.
      if (entry.problem !== undefined || entry.platform === undefined) return [NO_NODE];
      const p = entry.platform;
      const n = normalizePlatform({
        os: p.os,
        architecture: p.architecture,
        ...(p.variant !== undefined ? { variant: p.variant } : {}),
      });
      const platform: EntryPlatform = {
        os: n.os,
        architecture: n.architecture,
        ...(n.variant !== undefined ? { variant: n.variant } : {}),
        ...(p["os.version"] !== undefined ? { "os.version": p["os.version"] } : {}),
        ...(p["os.features"] !== undefined ? { "os.features": p["os.features"] } : {}),
        ...(p.features !== undefined ? { features: p.features } : {}),
      };
      // Nodes that name CPU flags differently get their own terms (arm on arm64 nodes).
      return nodeGroups(platform, vocab).map((nodes) => onNodes(entry, platform, nodes));
    });
  const required = or(...visit(image.entries));
  const top = Math.max(0, ...scored.map((s) => s.score));
  const preferred = scored.map((s) => ({ dnf: s.dnf, weight: weightOf(s.score, top) }));
  return { reference: image.reference, required, preferred, hasCompat, findings };
}

export interface AffinityResult {
  /** `required…` admits a node where some entry of every image may fit; absent when it admits all. */
  nodeAffinity: NodeAffinity;
  images: ImageAffinity[];
  findings: AffinityFinding[];
  /** True when no node can satisfy it (some image fits nowhere the labels can describe). */
  unsatisfiable: boolean;
}

export function termsOf(dnf: Dnf): NodeSelectorTerm[] {
  return dnf.map((t) => ({ matchExpressions: requirementsOf(t) }));
}

/** The node affinity for running all images in one pod: their requirements intersected. */
export function combineImages(images: readonly ImageAffinity[]): AffinityResult {
  const required = images.reduce<Dnf>((acc, img) => and(acc, img.required), ANY_NODE);
  const nodeAffinity: NodeAffinity = {};
  const admitsAll = required.length === 1 && (required[0]?.size ?? 0) === 0;
  if (!admitsAll) {
    nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
      nodeSelectorTerms: termsOf(required),
    };
  }
  const preferred: PreferredSchedulingTerm[] = [];
  for (const img of images) {
    for (const p of img.preferred) {
      for (const t of p.dnf) {
        if (t.size === 0) continue;
        preferred.push({ weight: p.weight, preference: { matchExpressions: requirementsOf(t) } });
      }
    }
  }
  if (preferred.length > 0)
    nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution = preferred;
  return {
    nodeAffinity,
    images: [...images],
    findings: images.flatMap((i) => i.findings),
    unsatisfiable: required.length === 0,
  };
}
