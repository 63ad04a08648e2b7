// `ocicompat fleet`: which workloads run on which nodes, before a migration. Nodes come from
// profiles, Kubernetes Node and NFD NodeFeature objects or live discovery (fleet/nodes.ts);
// workloads from references or a workload dump (fleet/workloads.ts). Each distinct image is read
// once (fleet/read-images.ts) and selected once per node group (fleet/report.ts); `--what-if`
// evaluates the same reads on a target fleet and compares (fleet/what-if.ts).
import type { SelectionBudgets } from "../compat/budget.js";
import type { LabelCatalog } from "../compat/catalog.js";
import type { StoreOpener } from "../content/open.js";
import { OcicompatError } from "../oci/errors.js";
import { readFleetNodes } from "./fleet/nodes.js";
import { readFleetImages } from "./fleet/read-images.js";
import { evaluateFleet, everyWorkloadPlaced, type FleetReport } from "./fleet/report.js";
import { compareFleets, type WhatIfComparison } from "./fleet/what-if.js";
import { imageReferences, readWorkloads } from "./fleet/workloads.js";

export interface FleetOptions {
  /** Node sources: directories of profiles, Node or NodeFeature JSON/YAML, profiles, `host`. */
  nodes: readonly string[];
  /** Image sources: references, files of references, workload dumps. */
  images: readonly string[];
  /** Node sources of a target fleet to compare with. */
  whatIf?: readonly string[];
  opener: StoreOpener;
  catalog: LabelCatalog;
  tags?: readonly string[];
  concurrency?: number;
  budgets?: Partial<SelectionBudgets>;
  signal?: AbortSignal;
}

export interface FleetRun {
  report: FleetReport;
  target?: FleetReport;
  comparison?: WhatIfComparison;
  /** Every workload has a compatible node (in the target fleet, with --what-if). */
  placed: boolean;
  /** Some image could not be read: the answer is incomplete. */
  incomplete: boolean;
}

async function nodesOf(sources: readonly string[], catalog: LabelCatalog, flag: string) {
  const read = await readFleetNodes(sources, catalog);
  if (read.nodes.length === 0) {
    const why = read.problems.map((p) => `${p.source}: ${p.problem}`).join("; ");
    throw new OcicompatError("USAGE", `${flag} gave no readable node${why ? ` (${why})` : ""}`);
  }
  return read;
}

export async function runFleet(options: FleetOptions): Promise<FleetRun> {
  const { catalog } = options;
  const current = await nodesOf(options.nodes, catalog, "--nodes");
  const target =
    options.whatIf === undefined ? undefined : await nodesOf(options.whatIf, catalog, "--what-if");
  const workloads = await readWorkloads(options.images);
  const images = await readFleetImages(imageReferences(workloads), {
    opener: options.opener,
    catalog,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.budgets === undefined ? {} : { budgets: options.budgets }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const tags = options.tags === undefined ? {} : { tags: options.tags };
  const report = evaluateFleet({
    nodes: current.nodes,
    nodeProblems: current.problems,
    workloads,
    images,
    catalog,
    ...tags,
  });
  const incomplete = images.some((i) => i.state === "unreadable");
  if (target === undefined) return { report, placed: everyWorkloadPlaced(report), incomplete };
  const targetReport = evaluateFleet({
    nodes: target.nodes,
    nodeProblems: target.problems,
    workloads,
    images,
    catalog,
    ...tags,
  });
  return {
    report,
    target: targetReport,
    comparison: compareFleets(report, targetReport),
    placed: everyWorkloadPlaced(targetReport),
    incomplete,
  };
}
