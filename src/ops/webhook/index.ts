// `ocicompat webhook`: a mutating admission webhook that adds the nodeAffinity of
// `ocicompat affinity` to pods and pod templates (docs/kubernetes.md).
export { ImageCache, type ImageCacheOptions, type ResolvedImage } from "./images.js";
export { createMetrics, type WebhookMetrics } from "./metrics.js";
export {
  mutate,
  type MutateOptions,
  type MutateResult,
  type OnError,
  type Outcome,
} from "./mutate.js";
export { affinityDigest, DECISION_ANNOTATION, readDecision, type Decision } from "./decision.js";
export { affinityPatch, mergeNodeAffinity, type PatchOperation } from "./patch.js";
export {
  imagesOf,
  MalformedReview,
  parseReview,
  podSpecOf,
  type AdmissionReviewResponse,
  type ReviewRequest,
} from "./review.js";
export { startWebhookServer, type WebhookServer, type WebhookServerOptions } from "./server.js";
export { parseListen } from "./listen.js";
