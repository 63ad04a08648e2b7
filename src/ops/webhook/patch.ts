// The JSONPatch (RFC 6902) the webhook answers with: set the pod's node affinity to ours, or to
// ours intersected with the user's own (never removing a user's term or expression), and record
// the decision in an annotation on the pod (template) (decision.ts).
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
import { DECISION_ANNOTATION } from "./decision.js";

export type PatchOperation =
  | { op: "add"; path: string; value: unknown }
  | { op: "replace"; path: string; value: unknown }
  | { op: "remove"; path: string };

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

/** The pod's own node affinity (none: undefined) narrowed by ours. */
export function plannedAffinity(own: NodeAffinity | undefined, ours: NodeAffinity): NodeAffinity {
  return own === undefined ? ours : mergeNodeAffinity(own, ours);
}

/** The pod (template)'s metadata: next to its spec (a template's metadata next to its spec). */
export function metadataOf(object: Json, podSpecPath: readonly string[]): Json | undefined {
  let meta: unknown = object;
  for (const s of podSpecPath.slice(0, -1)) meta = isObject(meta) ? meta[s] : undefined;
  return isObject(meta) ? (meta["metadata"] as Json | undefined) : undefined;
}

/**
 * Operations that leave the pod with node affinity `affinity` (removed when undefined) and the
 * decision annotation `annotation` (removed when undefined); nothing else is touched.
 */
export function affinityPatch(
  object: Json,
  podSpecPath: readonly string[],
  spec: PodSpec,
  affinity: NodeAffinity | undefined,
  annotation: string | undefined,
): PatchOperation[] {
  const ops: PatchOperation[] = [];
  const nodeAffinityPath = pointer([...podSpecPath, "affinity", "nodeAffinity"]);
  if (affinity === undefined) {
    if (spec.affinity?.nodeAffinity !== undefined)
      ops.push({ op: "remove", path: nodeAffinityPath });
  } else if (spec.affinity === undefined) {
    ops.push({
      op: "add",
      path: pointer([...podSpecPath, "affinity"]),
      value: { nodeAffinity: affinity },
    });
  } else {
    const op = spec.affinity.nodeAffinity === undefined ? "add" : "replace";
    ops.push({ op, path: nodeAffinityPath, value: affinity });
  }
  const metaPath = [...podSpecPath.slice(0, -1), "metadata"];
  const meta = metadataOf(object, podSpecPath);
  const annotations = isObject(meta) ? meta["annotations"] : undefined;
  const annotationPath = pointer([...metaPath, "annotations", DECISION_ANNOTATION]);
  if (annotation === undefined) {
    if (isObject(annotations) && annotations[DECISION_ANNOTATION] !== undefined)
      ops.push({ op: "remove", path: annotationPath });
  } else if (!isObject(meta)) {
    ops.push({
      op: "add",
      path: pointer(metaPath),
      value: { annotations: { [DECISION_ANNOTATION]: annotation } },
    });
  } else if (!isObject(annotations)) {
    ops.push({
      op: "add",
      path: pointer([...metaPath, "annotations"]),
      value: { [DECISION_ANNOTATION]: annotation },
    });
  } else {
    ops.push({ op: "add", path: annotationPath, value: annotation });
  }
  return ops;
}
