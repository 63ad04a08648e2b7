// The JSONPatch (RFC 6902) the webhook answers with: add our nodeAffinity, or intersect it with the
// user's own (never removing a user's term or expression), and record the decision in an
// annotation on the pod (template).
import type { NodeAffinity } from "kubernetes-types/core/v1.js";
import type { NodeSelectorTerm } from "kubernetes-types/core/v1.js";
import type { PodSpec } from "kubernetes-types/core/v1.js";
import {
  and,
  MAX_TERMS,
  termOf,
  termsOf,
  TooManyTerms,
  type Term,
} from "../../compat/affinity/index.js";
import { isObject, type Json } from "../../oci/json-value.js";

export const DECISION_ANNOTATION = "ocicompat.io/affinity";

export type PatchOperation =
  { op: "add"; path: string; value: unknown } | { op: "replace"; path: string; value: unknown };

function pointer(segments: readonly string[]): string {
  return segments.map((s) => `/${s.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

function sameExpression(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Terms read as constraints, or undefined when one uses matchFields or cannot be read. */
function asConstraints(terms: readonly NodeSelectorTerm[]): Term[] | undefined {
  const out: Term[] = [];
  for (const t of terms) {
    if ((t.matchFields ?? []).length > 0) return undefined;
    const c = termOf(t.matchExpressions ?? []);
    // An empty term matches no node in Kubernetes, but no constraint at all here: keep it as is.
    if (c === undefined || c.size === 0) return undefined;
    out.push(c);
  }
  return out;
}

/**
 * Every user term AND every term of ours. As constraints when both sides can be read so
 * (contradictions dropped, implied terms removed, so a second pass over an already-patched pod
 * changes nothing); otherwise term by term, keeping the user's terms whole.
 */
function intersectTerms(
  user: readonly NodeSelectorTerm[],
  ours: readonly NodeSelectorTerm[],
): NodeSelectorTerm[] {
  const u = asConstraints(user);
  const o = asConstraints(ours);
  if (u !== undefined && o !== undefined) return termsOf(and(u, o));
  return crossTerms(user, ours);
}

function crossTerms(
  user: readonly NodeSelectorTerm[],
  ours: readonly NodeSelectorTerm[],
): NodeSelectorTerm[] {
  const out: NodeSelectorTerm[] = [];
  for (const u of user) {
    for (const t of ours) {
      const exprs = [...(u.matchExpressions ?? [])];
      for (const e of t.matchExpressions ?? []) {
        if (!exprs.some((x) => sameExpression(x, e))) exprs.push(e);
      }
      out.push({ ...u, matchExpressions: exprs });
      if (out.length > MAX_TERMS) throw new TooManyTerms(out.length);
    }
  }
  return out;
}

/**
 * Our affinity and the pod's own leave no node: Kubernetes refuses an empty nodeSelectorTerms
 * after mutation (failurePolicy cannot help then), so nothing is patched and `--on-error` decides.
 */
export class NoNodeFits extends Error {}

/** The user's node affinity narrowed by ours; NoNodeFits when nothing would be left. */
export function mergeNodeAffinity(user: NodeAffinity, ours: NodeAffinity): NodeAffinity {
  const merged: NodeAffinity = { ...user };
  const ourTerms = ours.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const userTerms = user.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (ourTerms !== undefined) {
    const terms =
      userTerms === undefined || userTerms.length === 0
        ? ourTerms
        : intersectTerms(userTerms, ourTerms);
    if (terms.length === 0) {
      throw new NoNodeFits(
        userTerms === undefined || userTerms.length === 0
          ? "no node can run every image of the pod"
          : "no node both meets the pod's own node affinity and can run every image",
      );
    }
    merged.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: terms };
  }
  const preferred = [...(user.preferredDuringSchedulingIgnoredDuringExecution ?? [])];
  for (const p of ours.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (!preferred.some((q) => sameExpression(q, p))) preferred.push(p);
  }
  if (preferred.length > 0) merged.preferredDuringSchedulingIgnoredDuringExecution = preferred;
  return merged;
}

/** The decision recorded on the pod: which digest each image was, and what was done. */
export interface Decision {
  images: Record<string, string>;
  decision: string;
}

export function affinityPatch(
  object: Json,
  podSpecPath: readonly string[],
  spec: PodSpec,
  ours: NodeAffinity,
  decision: Decision,
): PatchOperation[] {
  const ops: PatchOperation[] = [];
  const affinity = spec.affinity;
  if (affinity === undefined) {
    ops.push({
      op: "add",
      path: pointer([...podSpecPath, "affinity"]),
      value: { nodeAffinity: ours },
    });
  } else if (affinity.nodeAffinity === undefined) {
    ops.push({
      op: "add",
      path: pointer([...podSpecPath, "affinity", "nodeAffinity"]),
      value: ours,
    });
  } else {
    ops.push({
      op: "replace",
      path: pointer([...podSpecPath, "affinity", "nodeAffinity"]),
      value: mergeNodeAffinity(affinity.nodeAffinity, ours),
    });
  }
  // The pod's metadata sits next to its spec (a template's metadata next to the template's spec).
  const metaPath = [...podSpecPath.slice(0, -1), "metadata"];
  let meta: unknown = object;
  for (const s of metaPath) meta = isObject(meta) ? meta[s] : undefined;
  const value = JSON.stringify(decision);
  if (!isObject(meta)) {
    ops.push({
      op: "add",
      path: pointer(metaPath),
      value: { annotations: { [DECISION_ANNOTATION]: value } },
    });
  } else if (!isObject(meta["annotations"])) {
    ops.push({
      op: "add",
      path: pointer([...metaPath, "annotations"]),
      value: { [DECISION_ANNOTATION]: value },
    });
  } else {
    ops.push({
      op: "add",
      path: pointer([...metaPath, "annotations", DECISION_ANNOTATION]),
      value,
    });
  }
  return ops;
}
