// How the Kubernetes scheduler reads a node affinity against a node's labels: terms OR, a term's
// expressions AND. Used by the round-trip tests and by callers that want to preview placement.
import type { NodeAffinity } from "kubernetes-types/core/v1.js";
import type { NodeSelectorTerm } from "kubernetes-types/core/v1.js";
import { requirementHolds } from "./terms.js";

export function nodeSelectorTermMatches(
  t: NodeSelectorTerm,
  labels: Readonly<Record<string, string>>,
): boolean {
  // An empty term matches no node (the API's rule for nodeSelectorTerms).
  const exprs = t.matchExpressions ?? [];
  if (exprs.length === 0 && (t.matchFields ?? []).length === 0) return false;
  return exprs.every((r) => requirementHolds(r, labels));
}

/** Whether the required part admits a node with these labels. */
export function nodeAffinityAdmits(
  affinity: NodeAffinity,
  labels: Readonly<Record<string, string>>,
): boolean {
  const required = affinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined) return true;
  return required.nodeSelectorTerms.some((t) => nodeSelectorTermMatches(t, labels));
}
