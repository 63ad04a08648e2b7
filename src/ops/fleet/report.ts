// The fleet report: node groups (nodes with identical facts) × images and workloads. Each image is
// selected once per group with the same selection `select --node` makes (compat/select.ts), so a
// cell is exactly what `select` answers on any member of the group; a workload fits a group when
// every one of its images does.
import type { LabelCatalog } from "../../compat/catalog.js";
import type { Fact } from "../../compat/label-types.js";
import { groupNodes } from "../../compat/matrix.js";
import { selectEntries } from "../../compat/select.js";
import type { EntryReport, Specificity } from "../../compat/select/report.js";
import type { FleetNode, NodeProblem } from "./nodes.js";
import type { FleetImageRead } from "./read-images.js";
import type { Workload } from "./workloads.js";

export interface FleetGroup {
  /** `g1`, `g2`, ... in order of first member. */
  id: string;
  /** The first member's name, and how many more there are. */
  title: string;
  platform: string;
  members: string[];
  labels: Record<string, Fact>;
}

/** A label that kept an entry out, with what the group's nodes have. */
export interface FailingLabel {
  label: string;
  required: string;
  observed?: Fact;
  status: "fail" | "unknown";
}

export interface EntryFailure {
  entry: number;
  digest: string;
  platform?: string;
  /** Each reason the entry was excluded. */
  reasons: string[];
  /** The first non-passing label of each considered set. */
  labels: FailingLabel[];
}

export interface ChosenVariant {
  digest: string;
  entry: number;
  platform?: string;
  native: boolean;
  score: number;
  specificity: Specificity;
}

/** One image on one group: the chosen entry, or why none fits. */
export type FleetCell =
  | { state: "chosen"; chosen: ChosenVariant }
  | { state: "none"; failures: EntryFailure[] }
  | { state: "unreadable"; problem: string };

export interface FleetImage {
  reference: string;
  /** The digest the reference resolved to. */
  digest?: string;
  problem?: string;
  /** Per group, in group order. */
  cells: FleetCell[];
}

export type WorkloadCell = "fits" | "none" | "unknown";

export interface FleetWorkload {
  name: string;
  kind: string;
  namespace?: string;
  containers: { name: string; init: boolean; image: string }[];
  /** Per group: every image chosen, some image without a fit, or some image unreadable. */
  cells: WorkloadCell[];
  compatibleNodes: number;
}

export interface FleetSummary {
  nodes: number;
  groups: number;
  workloads: number;
  /** Workloads no node can run. */
  nowhere: string[];
  /** Workloads exactly one group can run. */
  oneGroup: string[];
  /** Workloads every node can run. */
  everywhere: string[];
  /** Workloads whose images could not all be read. */
  unknown: string[];
}

export interface FleetReport {
  groups: FleetGroup[];
  /** Every node by name, with its group. */
  nodes: { name: string; group: string; origin: string; source: string }[];
  images: FleetImage[];
  workloads: FleetWorkload[];
  nodeProblems: NodeProblem[];
  summary: FleetSummary;
}

export interface FleetEvaluationInput {
  nodes: readonly FleetNode[];
  nodeProblems?: readonly NodeProblem[];
  workloads: readonly Workload[];
  images: readonly FleetImageRead[];
  catalog: LabelCatalog;
  tags?: readonly string[];
}

function failureOf(entry: EntryReport): EntryFailure {
  const labels: FailingLabel[] = [];
  for (const set of entry.compat?.result?.sets ?? []) {
    if (set.status !== "fail" && set.status !== "unknown") continue;
    const first = set.labels.find((l) => l.status === set.status);
    if (first === undefined || first.status === "pass") continue;
    labels.push({
      label: first.label,
      required: first.required,
      status: first.status,
      ...(first.observed === undefined ? {} : { observed: first.observed }),
    });
  }
  return {
    entry: entry.index,
    digest: entry.digest,
    ...(entry.platform === undefined ? {} : { platform: entry.platform }),
    reasons: entry.reasons.map((r) => r.message),
    labels,
  };
}

function groupTitle(members: readonly string[]): string {
  const first = members[0] ?? "?";
  return members.length > 1 ? `${first} +${members.length - 1}` : first;
}

/** Decides every image on every group, and every workload from its images. */
export function evaluateFleet(input: FleetEvaluationInput): FleetReport {
  const { catalog } = input;
  const profiles = input.nodes.map((n) => n.profile);
  const grouped = groupNodes(profiles, catalog);
  const groups: FleetGroup[] = grouped.map((g, i) => {
    const members = g.members.map((m) => input.nodes[m]?.name ?? "?");
    const p = g.node.profile.platform;
    return {
      id: `g${i + 1}`,
      title: groupTitle(members),
      platform: [p.os, p.architecture, p.variant].filter(Boolean).join("/"),
      members,
      labels: { ...g.node.profile.labels },
    };
  });
  const byReference = new Map<string, FleetImage>();
  for (const read of input.images) {
    if (read.state === "unreadable") {
      const cell: FleetCell = { state: "unreadable", problem: read.problem };
      byReference.set(read.reference, {
        reference: read.reference,
        problem: read.problem,
        cells: grouped.map(() => cell),
      });
      continue;
    }
    const cells = grouped.map((g): FleetCell => {
      const result = selectEntries(read.image.entries, {
        node: g.node,
        catalog,
        ...(input.tags ? { tags: input.tags } : {}),
      });
      const best = result.chosen ? result.entries[result.chosen.index] : undefined;
      if (best === undefined || result.chosen === null) {
        return {
          state: "none",
          failures: result.entries.filter((e) => e.status === "excluded").map(failureOf),
        };
      }
      return {
        state: "chosen",
        chosen: {
          digest: result.chosen.digest,
          entry: result.chosen.index,
          ...(result.chosen.platform === undefined ? {} : { platform: result.chosen.platform }),
          native: best.native ?? true,
          score: best.score ?? 0,
          specificity: best.specificity ?? { variant: 0, features: 0, osFeatures: 0, labels: 0 },
        },
      };
    });
    byReference.set(read.reference, { reference: read.reference, digest: read.digest, cells });
  }

  const workloads = input.workloads.map((w): FleetWorkload => {
    const images = w.containers.map((c) => byReference.get(c.image));
    const cells = grouped.map((_, gi): WorkloadCell => {
      const states = images.map((im) => im?.cells[gi]?.state ?? "unreadable");
      if (states.some((s) => s === "none")) return "none";
      return states.some((s) => s === "unreadable") ? "unknown" : "fits";
    });
    const compatibleNodes = cells.reduce(
      (n, c, gi) => n + (c === "fits" ? (grouped[gi]?.members.length ?? 0) : 0),
      0,
    );
    return {
      name: w.name,
      kind: w.kind,
      ...(w.namespace === undefined ? {} : { namespace: w.namespace }),
      containers: w.containers.map((c) => ({ ...c })),
      cells,
      compatibleNodes,
    };
  });

  const groupOf = new Array<string>(input.nodes.length);
  grouped.forEach((g, gi) => g.members.forEach((m) => (groupOf[m] = groups[gi]?.id ?? "?")));
  const nodes = input.nodes.map((n, i) => ({
    name: n.name,
    group: groupOf[i] ?? "?",
    origin: n.origin,
    source: n.source,
  }));
  const fitting = (w: FleetWorkload): number => w.cells.filter((c) => c === "fits").length;
  const summary: FleetSummary = {
    nodes: input.nodes.length,
    groups: groups.length,
    workloads: workloads.length,
    nowhere: workloads
      .filter((w) => fitting(w) === 0 && !w.cells.includes("unknown"))
      .map((w) => w.name),
    oneGroup: workloads.filter((w) => fitting(w) === 1 && groups.length > 1).map((w) => w.name),
    everywhere: workloads
      .filter((w) => groups.length > 0 && fitting(w) === groups.length)
      .map((w) => w.name),
    unknown: workloads.filter((w) => w.cells.includes("unknown")).map((w) => w.name),
  };
  return {
    groups,
    nodes,
    images: [...byReference.values()],
    workloads,
    nodeProblems: [...(input.nodeProblems ?? [])],
    summary,
  };
}

/** The chosen digest per node and image reference (null: nothing fits or the image is unreadable). */
export function choicesByNode(report: FleetReport): Record<string, Record<string, string | null>> {
  const groupIndex = new Map(report.groups.map((g, i) => [g.id, i]));
  const out: Record<string, Record<string, string | null>> = {};
  for (const node of report.nodes) {
    const gi = groupIndex.get(node.group) ?? -1;
    const row: Record<string, string | null> = {};
    for (const image of report.images) {
      const cell = image.cells[gi];
      row[image.reference] = cell?.state === "chosen" ? cell.chosen.digest : null;
    }
    out[node.name] = row;
  }
  return out;
}

/** Whether every workload has at least one node (the exit-code question). */
export function everyWorkloadPlaced(report: FleetReport): boolean {
  return report.workloads.every((w) => w.compatibleNodes > 0);
}
