// Images × nodes: which image fits which node. Fleets are mostly made of identical machines, so
// nodes with identical facts are grouped first. Real fleets drift, though (every node a different
// kernel patch level or CPU flag list), so the matrix never evaluates an image against a group:
// it evaluates each distinct matcher once against each distinct value a label takes in the fleet,
// turns the verdicts into a bitset over groups, and combines bitsets: AND over a set's labels, OR
// over an image's sets. The work is (distinct matchers × distinct values) + (labels × groups / 32)
// instead of (images × groups × labels).
import type { LabelCatalog } from "./catalog.js";
import type { CompiledLabel, CompiledSet } from "./compiled-set.js";
import {
  anySetPasses,
  isSetConsidered,
  prepareNode,
  type EvaluateOptions,
  type PreparedNode,
} from "./evaluate.js";
import { factOf, type NodeProfile } from "./node-profile.js";
import { prepareFact, type Matcher, type PreparedFact } from "./value/index.js";

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

/** One bit per node group. */
type GroupBits = Uint32Array;

/**
 * One label as the fleet has it: which distinct value each group has, and a bitset per distinct
 * matcher (by canonical text) over the groups whose value it accepts.
 */
interface Column {
  /** Per group: index into `values`, or -1 when the group has no usable fact. */
  valueOf: Int32Array;
  values: PreparedFact[];
  bitsByMatcher: Map<string, GroupBits>;
}

function and(into: GroupBits, other: GroupBits): void {
  for (let w = 0; w < into.length; w++) into[w] = (into[w] as number) & (other[w] as number);
}

class BitsetEvaluator {
  private readonly columns = new Map<string, Column>();
  readonly words: number;

  constructor(
    private readonly groups: readonly NodeGroup[],
    private readonly catalog: LabelCatalog,
  ) {
    this.words = Math.ceil(groups.length / 32);
  }

  /** All groups: the bitset of a set without labels. */
  all(): GroupBits {
    const bits = new Uint32Array(this.words).fill(0xffffffff);
    const tail = this.groups.length % 32;
    if (tail !== 0) bits[this.words - 1] = (1 << tail) - 1;
    return bits;
  }

  // Keyed by the label as written too: a profile may hold an alias and the canonical name, and
  // evaluation looks the written name up first (node-profile.ts factOf).
  private column(label: CompiledLabel): Column {
    const key = `${label.slot}\u0000${label.label}`;
    let column = this.columns.get(key);
    if (column !== undefined) return column;
    const valueOf = new Int32Array(this.groups.length);
    const values: PreparedFact[] = [];
    const indexOfRaw = new Map<string, number>();
    this.groups.forEach((group, g) => {
      const raw = factOf(group.node.profile, label.label, this.catalog);
      if (raw === undefined) {
        valueOf[g] = -1;
        return;
      }
      const rawKey = typeof raw === "string" ? raw : JSON.stringify(raw);
      let index = indexOfRaw.get(rawKey);
      if (index === undefined) {
        const prepared = prepareFact(label.type, raw, label.names);
        index = prepared === undefined ? -1 : values.push(prepared) - 1;
        indexOfRaw.set(rawKey, index);
      }
      valueOf[g] = index;
    });
    column = { valueOf, values, bitsByMatcher: new Map() };
    this.columns.set(key, column);
    return column;
  }

  labelBits(label: CompiledLabel): GroupBits {
    return this.matcherBits(label.matcher, this.column(label));
  }

  // A set value ANDs its items, and a fleet's thousands of set values share a few dozen items
  // ("AVX2", "!AMXBF16"), so items are evaluated one by one and their bitsets combined.
  private matcherBits(matcher: Matcher, column: Column): GroupBits {
    const key = matcher.print();
    let bits = column.bitsByMatcher.get(key);
    if (bits !== undefined) return bits;
    const parts = matcher.conjuncts?.() ?? [matcher];
    if (parts.length > 1) {
      bits = this.all();
      for (const part of parts) and(bits, this.matcherBits(part, column));
    } else bits = this.evaluate(matcher, column);
    column.bitsByMatcher.set(key, bits);
    return bits;
  }

  private evaluate(matcher: Matcher, column: Column): GroupBits {
    const verdicts = new Uint8Array(column.values.length);
    column.values.forEach((value, i) => (verdicts[i] = matcher.matches(value) ? 1 : 0));
    const bits = new Uint32Array(this.words);
    const { valueOf } = column;
    for (let g = 0; g < valueOf.length; g++) {
      const v = valueOf[g] as number;
      if (v >= 0 && verdicts[v] === 1) bits[g >>> 5] = (bits[g >>> 5] as number) | (1 << (g & 31));
    }
    return bits;
  }

  /** Groups where some considered set of `sets` passes. */
  imageBits(sets: readonly CompiledSet[], options: EvaluateOptions): GroupBits {
    const image = new Uint32Array(this.words);
    for (const set of sets) {
      if (!isSetConsidered(set, options.tags)) continue;
      const bits = this.all();
      for (const label of set.labels) and(bits, this.labelBits(label));
      for (let w = 0; w < image.length; w++) image[w] = (image[w] as number) | (bits[w] as number);
    }
    return image;
  }
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
  const evaluator = new BitsetEvaluator(groups, catalog);
  const width = groups.length;
  const cells = new Uint8Array(images.length * width);
  images.forEach((image, ii) => {
    const bits = evaluator.imageBits(image.sets, options);
    const row = ii * width;
    for (let g = 0; g < width; g++) cells[row + g] = ((bits[g >>> 5] as number) >>> (g & 31)) & 1;
  });
  return {
    groups,
    cells,
    compatible: (image, node) => cells[image * width + (groupOf[node] ?? 0)] === 1,
  };
}

/**
 * The same matrix computed image by image and group by group, with no sharing across groups. It
 * is the reference the bitset matrix is tested against, and the "before" of the fleet benchmark.
 */
export function compatibilityMatrixPerGroup(
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
