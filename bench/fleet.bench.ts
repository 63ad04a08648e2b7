// Fleet matrices at scale (issue #16): 1,000 images (3 sets × 6 labels) × 10,000 nodes whose
// facts are all distinct, with the bitset matrix and with the per-group evaluation it replaced,
// in one run so the speed-up is a ratio on the same machine; then 100,000 distinct nodes with the
// process's peak RSS. Targets: <= 2 s for 10k, <= 20 s and <= 1 GiB for 100k.
import { createCatalog } from "../src/compat/catalog.js";
import {
  compatibilityMatrix,
  compatibilityMatrixPerGroup,
  type CompatibilityMatrix,
  type MatrixImage,
} from "../src/compat/matrix.js";
import type { NodeProfile } from "../src/compat/node-profile.js";
import { makeImages, makeNode } from "./evaluate.bench.js";
import { once, seededRandom, type Measurement } from "./harness.js";

const catalog = createCatalog();
type MatrixFn = typeof compatibilityMatrix;

function timed(
  fn: MatrixFn,
  images: readonly MatrixImage[],
  nodes: readonly NodeProfile[],
): { ms: number; matrix: CompatibilityMatrix } {
  let matrix: CompatibilityMatrix | undefined;
  const { medianMs } = once(() => (matrix = fn(images, nodes, catalog)));
  return { ms: medianMs, matrix: matrix as CompatibilityMatrix };
}

function rates(images: number, nodes: number, ms: number): string {
  const s = ms / 1000;
  return `${Math.round(nodes / s).toLocaleString("en")} nodes/s, ${Math.round(images / s).toLocaleString("en")} images/s`;
}

function compatibleCells(m: CompatibilityMatrix): number {
  let n = 0;
  for (const c of m.cells) n += c;
  return n;
}

export function run(): Measurement[] {
  const rand = seededRandom(16);
  const images = makeImages(1000, rand);
  const nodes = Array.from({ length: 10_000 }, (_, i) => makeNode(i, rand));
  const before = timed(compatibilityMatrixPerGroup, images, nodes);
  const after = timed(compatibilityMatrix, images, nodes);
  if (Buffer.compare(Buffer.from(before.matrix.cells), Buffer.from(after.matrix.cells)) !== 0) {
    throw new Error("the bitset matrix disagrees with the per-group matrix");
  }
  const groups = after.matrix.groups.length;
  const rows: Measurement[] = [
    {
      name: `fleet matrix 1000 images x 10000 distinct nodes, per group (before)`,
      runs: 1,
      medianMs: before.ms,
      figure: `${groups} groups, ${rates(1000, 10_000, before.ms)}`,
    },
    {
      name: `fleet matrix 1000 images x 10000 distinct nodes, bitsets (after)`,
      runs: 1,
      medianMs: after.ms,
      figure: `${rates(1000, 10_000, after.ms)}, ${(before.ms / after.ms).toFixed(1)}x faster, same ${compatibleCells(after.matrix)} compatible cells (target <= 2000 ms)`,
    },
  ];
  const big = Array.from({ length: 100_000 }, (_, i) => makeNode(i, rand));
  const large = timed(compatibilityMatrix, images, big);
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  rows.push({
    name: `fleet matrix 1000 images x 100000 distinct nodes, bitsets`,
    runs: 1,
    medianMs: large.ms,
    figure: `${large.matrix.groups.length} groups, ${rates(1000, 100_000, large.ms)}, peak RSS ${peakMiB.toFixed(0)} MiB (targets <= 20000 ms, <= 1024 MiB)`,
  });
  return rows;
}
