// One admission review: find the pod spec, get every image's affinity (cached), intersect them,
// and answer with a patch. A failure answers by the --on-error policy: allow (fail-open, with a
// warning the client shows) or deny.
import { combineImages } from "../../compat/affinity/index.js";
import { OcicompatError, errorMessage } from "../../oci/errors.js";
import { isObject } from "../../oci/json-value.js";
import {
  affinityDigest,
  DECISION_ANNOTATION,
  decisionText,
  ownAffinity,
  readDecision,
} from "./decision.js";
import type { ImageCache } from "./images.js";
import { affinityPatch, metadataOf, NoNodeFits, plannedAffinity } from "./patch.js";
import { imagesOf, podSpecOf, type AdmissionReviewResponse, type ReviewRequest } from "./review.js";

export type OnError = "allow" | "deny";

export interface MutateOptions {
  images: ImageCache;
  onError: OnError;
  /** Per-review deadline; default 5 s (KEP-2403 asks admission to answer quickly). */
  deadlineMs?: number;
}

export type Outcome =
  | "patched"
  | "unchanged"
  | "affinity-removed"
  | "no-compat-data"
  | "not-a-pod"
  | "no-images"
  | "error-allowed"
  | "error-denied";

export interface MutateResult {
  review: AdmissionReviewResponse;
  outcome: Outcome;
  images: Record<string, string>;
  error?: string;
}

function answer(
  uid: string,
  fields: Partial<AdmissionReviewResponse["response"]>,
): AdmissionReviewResponse {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: { uid, allowed: true, ...fields },
  };
}

function warningsField(warnings: readonly string[]): { warnings?: string[] } {
  return warnings.length > 0 ? { warnings: warnings.slice(0, 10) } : {};
}

function errorText(err: unknown): string {
  if (err instanceof OcicompatError)
    return err.subject ? `${err.subject}: ${err.message}` : err.message;
  return errorMessage(err);
}

function deadline(ms: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new OcicompatError("TIMEOUT", `no decision within ${ms} ms`)),
    ms,
  );
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
}

export async function mutate(
  request: ReviewRequest,
  options: MutateOptions,
): Promise<MutateResult> {
  const at = podSpecOf(request);
  if (at === undefined)
    return { review: answer(request.uid, {}), outcome: "not-a-pod", images: {} };
  const pinned: Record<string, string> = {};
  const run = deadline(options.deadlineMs ?? 5000);
  try {
    // Inside the try: a pod spec of an unexpected shape is an error --on-error decides, not a 500
    // that failurePolicy would turn into an admit whatever --on-error says.
    const images = imagesOf(at.spec);
    const meta = metadataOf(request.object, at.path);
    const annotation =
      isObject(meta) && isObject(meta["annotations"])
        ? meta["annotations"][DECISION_ANNOTATION]
        : undefined;
    const previous = readDecision(annotation);
    const current = at.spec.affinity?.nodeAffinity;
    const currentDigest = affinityDigest(current);
    const own = ownAffinity(current, currentDigest, previous);
    const patchTo = (
      affinity: typeof own,
      text: string | undefined,
      outcome: Outcome,
      warnings: string[] = [],
    ): MutateResult => {
      const patch = affinityPatch(request.object, at.path, at.spec, affinity, text);
      if (
        patch.length === 0 ||
        (affinityDigest(affinity) === currentDigest && text === annotation)
      ) {
        return {
          review: answer(request.uid, warningsField(warnings)),
          outcome: "unchanged",
          images: pinned,
        };
      }
      return {
        review: answer(request.uid, {
          patchType: "JSONPatch",
          patch: Buffer.from(JSON.stringify(patch)).toString("base64"),
          ...warningsField(warnings),
        }),
        outcome,
        images: pinned,
      };
    };
    // Our terms stay only as long as an image asks for them.
    const withoutOurTerms = (outcome: Outcome): MutateResult =>
      previous !== undefined && own !== current
        ? patchTo(own, undefined, "affinity-removed")
        : { review: answer(request.uid, {}), outcome, images: pinned };
    if (images.length === 0) return withoutOurTerms("no-images");
    // An update keeps the digests it recorded for images it did not change, so an unrelated
    // change of a workload (replicas, a label) does not rewrite its pod template and roll it out.
    const recorded = request.operation === "UPDATE" ? (previous?.images ?? {}) : {};
    const resolved = await Promise.all(
      images.map((image) => options.images.get(image, run.signal, recorded[image])),
    );
    for (const [i, r] of resolved.entries()) pinned[images[i] as string] = r.digest;
    // Images without compatibility data say nothing a node label could add.
    const withCompat = resolved.filter((r) => r.affinity.hasCompat).map((r) => r.affinity);
    if (withCompat.length === 0) return withoutOurTerms("no-compat-data");
    const result = combineImages(withCompat);
    const warnings = result.findings.map(
      (f) =>
        `ocicompat: ${f.reference} set ${f.set ?? "-"}: ${f.label} is not (exactly) in the affinity: ${f.reason}`,
    );
    if (result.unsatisfiable) throw new NoNodeFits("no node can run every image of the pod");
    const affinity = plannedAffinity(own, result.nodeAffinity);
    const text = decisionText({
      images: pinned,
      decision: "affinity-added",
      ...(own !== undefined ? { own } : {}),
      wrote: affinityDigest(affinity),
    });
    return patchTo(affinity, text, "patched", warnings);
  } catch (err) {
    const message = errorText(err);
    if (options.onError === "deny") {
      return {
        review: answer(request.uid, {
          allowed: false,
          status: {
            code: 403,
            message:
              err instanceof NoNodeFits
                ? `ocicompat: ${message}`
                : `ocicompat could not check the images: ${message}`,
          },
        }),
        outcome: "error-denied",
        images: pinned,
        error: message,
      };
    }
    return {
      review: answer(request.uid, {
        warnings: [`ocicompat: admitted without a node affinity: ${message}`],
      }),
      outcome: "error-allowed",
      images: pinned,
      error: message,
    };
  } finally {
    run.dispose();
  }
}
