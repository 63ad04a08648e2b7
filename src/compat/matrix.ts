// Images × nodes: which image fits which node. Fleets are mostly made of identical machines, so
// nodes with identical facts are grouped and each image is evaluated once per group.
import type { LabelCatalog } from "./catalog.js";
import type { CompiledSet } from "./compiled-set.js";
import { anySetPasses, prepareNode, type EvaluateOptions, type PreparedNode } from "./evaluate.js";
import type { NodeProfile } from "./node-profile.js";

export interface MatrixImage {
  name: string;
  sets: readonly CompiledSet[];
}

export interface NodeGroup {
  /** Indexes into the nodes given. */
  members: number[];
  node: PreparedNode;
}

export interface CompatibilityMatrix {
  groups: NodeGroup[];
  /** Row per image, column per group: 1 compatible, 0 not. */
  cells: Uint8Array;
  compatible(image: number, node: number): boolean;
}

/** A key equal for nodes whose facts are equal; the name is not a fact. */
export function factFingerprint(profile: NodeProfile): string {
  const labels = Object.keys(profile.labels)
    .sort()
    .map((k) => {
      const v = profile.labels[k];
      return [k, Array.isArray(v) ? [...v].sort() : v];
    });
  const p = profile.platform;
  const platform = [
    p.os,
    p.architecture,
    p.variant ?? "",
    [...(p.features ?? [])].sort(),
    [...(p["os.features"] ?? [])].sort(),
    p["os.version"] ?? "",
  ];
  return JSON.stringify([platform, labels]);
}

export function groupNodes(nodes: readonly NodeProfile[], catalog: LabelCatalog): NodeGroup[] {
  const byKey = new Map<string, NodeGroup>();
  nodes.forEach((profile, i) => {
    const key = factFingerprint(profile);
    const group = byKey.get(key);
    if (group) group.members.push(i);
    else byKey.set(key, { members: [i], node: prepareNode(profile, catalog) });
  });
  return [...byKey.values()];
}

export function compatibilityMatrix(
  images: readonly MatrixImage[],
  nodes: readonly NodeProfile[],
  catalog: LabelCatalog,
  options: EvaluateOptions = {},
): CompatibilityMatrix {
  const groups = groupNodes(nodes, catalog);
  const groupOf = new Int32Array(nodes.length);
  groups.forEach((g, gi) => g.members.forEach((m) => (groupOf[m] = gi)));
  const cells = new Uint8Array(images.length * groups.length);
  images.forEach((image, ii) => {
    groups.forEach((g, gi) => {
      cells[ii * groups.length + gi] = anySetPasses(image.sets, g.node, options) ? 1 : 0;
    });
  });
  return {
    groups,
    cells,
    compatible: (image, node) => cells[image * groups.length + (groupOf[node] ?? 0)] === 1,
  };
}
