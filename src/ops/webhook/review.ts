// AdmissionReview admission.k8s.io/v1, in and out. It is not a stored resource, so neither the
// OpenAPI document nor kubernetes-types has it; these shapes follow the API reference, and
// everything inside them (pods, affinities) uses kubernetes-types.
import type { PodSpec } from "kubernetes-types/core/v1.js";
import { isObject, type Json } from "../../oci/json-value.js";

export interface ReviewRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation?: string;
  namespace?: string;
  name?: string;
  object: Json;
}

export interface AdmissionReviewResponse {
  apiVersion: "admission.k8s.io/v1";
  kind: "AdmissionReview";
  response: {
    uid: string;
    allowed: boolean;
    patchType?: "JSONPatch";
    /** base64 of the JSONPatch document. */
    patch?: string;
    warnings?: string[];
    status?: { code: number; message: string };
  };
}

/** A review that cannot be read: the HTTP answer is a 400 with this message. */
export class MalformedReview extends Error {}

function need(ok: boolean, message: string): void {
  if (!ok) throw new MalformedReview(message);
}

export function parseReview(body: unknown): ReviewRequest {
  need(isObject(body), "the body is not a JSON object");
  const review = body as Record<string, unknown>;
  need(
    review["apiVersion"] === "admission.k8s.io/v1",
    `$.apiVersion: expected "admission.k8s.io/v1", found ${JSON.stringify(review["apiVersion"] ?? null)}`,
  );
  need(
    review["kind"] === "AdmissionReview",
    `$.kind: expected "AdmissionReview", found ${JSON.stringify(review["kind"] ?? null)}`,
  );
  const request = review["request"];
  need(isObject(request), "$.request: missing or not an object");
  const r = request as Record<string, unknown>;
  need(typeof r["uid"] === "string" && r["uid"] !== "", "$.request.uid: missing or not a string");
  const kind = r["kind"];
  need(
    isObject(kind) &&
      typeof kind["version"] === "string" &&
      typeof kind["kind"] === "string" &&
      (kind["group"] === undefined || typeof kind["group"] === "string"),
    "$.request.kind: expected {group, version, kind}",
  );
  need(isObject(r["object"]), "$.request.object: missing or not an object");
  const k = kind as Record<string, string>;
  const out: ReviewRequest = {
    uid: r["uid"] as string,
    kind: { group: k["group"] ?? "", version: k["version"] as string, kind: k["kind"] as string },
    object: r["object"] as Json,
  };
  if (typeof r["operation"] === "string") out.operation = r["operation"];
  if (typeof r["namespace"] === "string") out.namespace = r["namespace"];
  if (typeof r["name"] === "string") out.name = r["name"];
  return out;
}

/** Where the pod spec sits in each kind the webhook mutates (JSON pointer segments). */
const POD_SPEC_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  ["/v1/Pod", ["spec"]],
  ["apps/v1/Deployment", ["spec", "template", "spec"]],
  ["apps/v1/StatefulSet", ["spec", "template", "spec"]],
  ["apps/v1/DaemonSet", ["spec", "template", "spec"]],
  ["apps/v1/ReplicaSet", ["spec", "template", "spec"]],
  ["batch/v1/Job", ["spec", "template", "spec"]],
  ["batch/v1/CronJob", ["spec", "jobTemplate", "spec", "template", "spec"]],
]);

export interface PodSpecAt {
  /** Segments of the pod spec's path in the object. */
  path: readonly string[];
  spec: PodSpec;
}

/** The object's pod spec, or undefined for a kind the webhook does not mutate. */
export function podSpecOf(request: ReviewRequest): PodSpecAt | undefined {
  const { group, version, kind } = request.kind;
  const path = POD_SPEC_PATHS.get(`${group}/${version}/${kind}`);
  if (path === undefined) return undefined;
  let at: unknown = request.object;
  for (const segment of path) {
    at = isObject(at) ? at[segment] : undefined;
  }
  if (!isObject(at)) throw new MalformedReview(`$.request.object.${path.join(".")}: missing`);
  const containers = (at as Record<string, unknown>)["containers"];
  need(
    Array.isArray(containers),
    `$.request.object.${path.join(".")}.containers: missing or not a list`,
  );
  // The API server decoded the object into its Go types before calling us, so its shape holds.
  return { path, spec: at as unknown as PodSpec };
}

/** Every image the pod runs (init containers too: they must run on the node as well), deduplicated. */
export function imagesOf(spec: PodSpec): string[] {
  const out = new Set<string>();
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    if (typeof c.image === "string" && c.image !== "") out.add(c.image);
  }
  return [...out];
}
