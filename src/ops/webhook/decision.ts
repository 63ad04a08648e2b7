// The decision the webhook records on a pod (template) in the `ocicompat.io/affinity` annotation,
// and what it says on the next review: which digest each image was, the node affinity the pod had
// before ocicompat's terms were merged in (`own`), and a digest of the node affinity written
// (`wrote`). A later review of the same object (an UPDATE, a pod created from a patched template)
// starts again from `own` while the affinity is still what was written, so earlier terms are
// replaced rather than intersected again as if the user had written them.
import { createHash } from "node:crypto";
import type { NodeAffinity } from "kubernetes-types/core/v1.js";
import { isObject, type Json } from "../../oci/json-value.js";

export const DECISION_ANNOTATION = "ocicompat.io/affinity";

export interface Decision {
  /** Image as written in the pod → the digest its affinity was computed from. */
  images: Record<string, string>;
  decision: "affinity-added";
  /** The pod's own node affinity before ours was merged in; absent when it had none. */
  own?: NodeAffinity;
  /** affinityDigest of the node affinity the patch wrote. */
  wrote: string;
}

/** JSON with sorted keys, without the empty and absent fields the API server's encoding drops. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    out[key] = canonical(v);
  }
  return out;
}

/** A digest of a node affinity that survives the API server re-encoding it (key order, omitempty). */
export function affinityDigest(affinity: NodeAffinity | undefined): string {
  const text = JSON.stringify(canonical(affinity ?? {}));
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/** The decision recorded in the annotation, or undefined when absent or not one of ours. */
export function readDecision(annotation: unknown): Decision | undefined {
  if (typeof annotation !== "string") return undefined;
  let parsed: Json;
  try {
    parsed = JSON.parse(annotation) as Json;
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || typeof parsed["wrote"] !== "string" || !isObject(parsed["images"])) {
    return undefined;
  }
  const images: Record<string, string> = {};
  for (const [image, digest] of Object.entries(parsed["images"])) {
    if (typeof digest === "string") images[image] = digest;
  }
  const own = parsed["own"];
  return {
    images,
    decision: "affinity-added",
    ...(isObject(own) ? { own: own as NodeAffinity } : {}),
    wrote: parsed["wrote"],
  };
}

/**
 * The node affinity the pod itself asks for: the recorded `own` while the current affinity (whose
 * affinityDigest is `currentDigest`) is still exactly what the webhook wrote, otherwise the
 * current one (someone changed it since; their version is the user's now).
 */
export function ownAffinity(
  current: NodeAffinity | undefined,
  currentDigest: string,
  previous: Decision | undefined,
): NodeAffinity | undefined {
  if (previous !== undefined && previous.wrote === currentDigest) return previous.own;
  return current;
}

/** The annotation's value: keys in a fixed order, so an unchanged decision is an unchanged string. */
export function decisionText(decision: Decision): string {
  const images = Object.fromEntries(
    Object.keys(decision.images)
      .sort()
      .map((k) => [k, decision.images[k]]),
  );
  return JSON.stringify({
    images,
    decision: decision.decision,
    ...(decision.own !== undefined ? { own: decision.own } : {}),
    wrote: decision.wrote,
  });
}
