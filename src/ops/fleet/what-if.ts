// `fleet --what-if`: the same workloads on the current nodes and on a target fleet (new hardware,
// an OS upgrade). A workload loses when it fits somewhere now and nowhere in the target; an image
// switches variant when the set of entries chosen across the fleet changes; it gains a better one
// when the best entry chosen anywhere in the target outranks the best chosen anywhere now (by
// select's own order: native architecture, score, then specificity part by part).
import { compareRank } from "../../compat/select/rank.js";
import type { ChosenVariant, FleetReport } from "./report.js";

export interface VariantChange {
  workload: string;
  image: string;
  /** Digests chosen somewhere in each fleet. */
  current: string[];
  target: string[];
}

export interface BetterVariant {
  workload: string;
  image: string;
  current: ChosenVariant;
  target: ChosenVariant;
}

export interface WhatIfComparison {
  /** Workloads that fit some current node and no target node. */
  lost: string[];
  /** Workloads that fit no node now and some target node. */
  gained: string[];
  switched: VariantChange[];
  better: BetterVariant[];
  /** Workloads with no compatible node in the target fleet (the exit-code question). */
  unplacedInTarget: string[];
}

/** Negative when `a` ranks before `b` in select's order (compat/select.ts owns that order). */
export function compareVariants(a: ChosenVariant, b: ChosenVariant): number {
  return compareRank(a, b);
}

function chosenIn(report: FleetReport, image: string): ChosenVariant[] {
  const cells = report.images.find((i) => i.reference === image)?.cells ?? [];
  return cells.flatMap((c) => (c.state === "chosen" ? [c.chosen] : []));
}

function best(variants: readonly ChosenVariant[]): ChosenVariant | undefined {
  return [...variants].sort(compareVariants)[0];
}

function digests(variants: readonly ChosenVariant[]): string[] {
  return [...new Set(variants.map((v) => v.digest))].sort();
}

export function compareFleets(current: FleetReport, target: FleetReport): WhatIfComparison {
  const out: WhatIfComparison = {
    lost: [],
    gained: [],
    switched: [],
    better: [],
    unplacedInTarget: [],
  };
  for (const workload of current.workloads) {
    const after = target.workloads.find((w) => w.name === workload.name);
    if (after === undefined) continue;
    if (workload.compatibleNodes > 0 && after.compatibleNodes === 0) out.lost.push(workload.name);
    if (workload.compatibleNodes === 0 && after.compatibleNodes > 0) out.gained.push(workload.name);
    if (after.compatibleNodes === 0) out.unplacedInTarget.push(workload.name);
    for (const image of new Set(workload.containers.map((c) => c.image))) {
      const now = chosenIn(current, image);
      const then = chosenIn(target, image);
      if (now.length === 0 || then.length === 0) continue;
      const [a, b] = [digests(now), digests(then)];
      if (a.join() !== b.join()) {
        out.switched.push({ workload: workload.name, image, current: a, target: b });
      }
      const [bestNow, bestThen] = [best(now), best(then)];
      if (bestNow && bestThen && compareVariants(bestThen, bestNow) < 0) {
        out.better.push({ workload: workload.name, image, current: bestNow, target: bestThen });
      }
    }
  }
  return out;
}
