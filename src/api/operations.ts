// The library API, part three: what the CLI's commands do, as functions: attach and detach,
// selection, copy, fleets, the mirror, verify, protect, gc and inference. src/index.ts re-exports
// it.
export { attach, attachFile, AnchorPolicies, type AnchorPolicy } from "../ops/attach.js";
export { readCompatFile, type CompatFile } from "../ops/attach/compat-file.js";
export type { AttachOptions } from "../ops/attach/options.js";
export type { AttachResult } from "../ops/attach/result.js";
export { detach, detachReference, type DetachOptions, type DetachResult } from "../ops/detach.js";
export {
  editCompatibilities,
  wrapInIndex,
  platformFromConfig,
  type CompatibilitiesEdit,
  type IndexEditResult,
} from "../compat/index-edit.js";
/**
 * The entry of an image that fits a node. Only `reference` is required: the default opener reads
 * through the on-disk cache with the docker credentials, the catalog is the built-in one, and
 * without `nodeFile`/`profile` this host is discovered.
 */
export { selectImage, type ImageSelection, type SelectImageOptions } from "../ops/select.js";
/**
 * `ocicompat copy` on opened stores: the whole graph (compat content included), `platforms` as a
 * new index of the kept entries, the tag written last, and a destination it made itself left
 * empty on failure. No signature policy applies: call `enforceSourcePolicy` first, as the CLI
 * does. `failedSide` says which store a failure is about.
 */
export {
  copyImage,
  failedSide,
  type CopyRequest,
  type CopyResult,
  type CopyRetry,
} from "../ops/copy.js";
/** Fleets (docs/fleet.md): node groups × workloads, a migration comparison, an HTML report. */
export { runFleet, type FleetOptions, type FleetRun } from "../ops/fleet.js";
export {
  evaluateFleet,
  choicesByNode,
  everyWorkloadPlaced,
  type FleetReport,
  type FleetGroup,
  type FleetImage,
  type FleetWorkload,
  type FleetCell,
  type FleetSummary,
  type ChosenVariant,
} from "../ops/fleet/report.js";
export { readFleetNodes, type FleetNode, type NodeProblem } from "../ops/fleet/nodes.js";
export { readWorkloads, workloadsOfDump, type Workload } from "../ops/fleet/workloads.js";
export { readFleetImages, type FleetImageRead } from "../ops/fleet/read-images.js";
export { compareFleets, type WhatIfComparison } from "../ops/fleet/what-if.js";
export { renderFleetHtml, type HtmlReportInput } from "../ops/fleet/html.js";
/**
 * A node-local, read-only registry mirror that answers a tag with the entry that fits the node
 * (docs/mirror.md): `await startMirror({ port: 0, upstreams: ["registry.example"], catalog,
 * loadNode })`, then point a runtime at `mirror.url`; `reloadNode()` re-learns the node.
 */
export {
  startMirror,
  DEFAULT_MIRROR_PORT,
  type MirrorOptions,
  type RunningMirror,
} from "../ops/mirror/server.js";
export type { DecisionRecord, IncompatiblePolicy } from "../ops/mirror/manifest.js";
/** Per-image budgets of selectImage (`budgets` option) and the error an image over one gets. */
export {
  BudgetError,
  DEFAULT_BUDGETS,
  resolveBudgets,
  type SelectionBudgets,
} from "../compat/budget.js";
export { selectEntries, type SelectOptions } from "../compat/select.js";
export {
  formatSpecificity,
  type SelectionResult,
  type EntryReport,
  type Specificity,
} from "../compat/select/report.js";
export {
  matchPlatform,
  nodePlatformOf,
  type NodePlatform,
  type PlatformMatch,
} from "../compat/platform-match.js";
export { verify, type VerifyOptions, type VerifyResult } from "../ops/verify.js";
export type { VerifyProblem } from "../ops/verify/walker.js";
export { protect, type ProtectOptions, type ProtectResult } from "../ops/protect.js";
export { layoutGc, type LayoutGcOptions, type LayoutGcResult } from "../ops/layout-gc.js";
/**
 * Compatibilities inferred from what an image contains (ELF notes and machines, NVIDIA_REQUIRE_*),
 * each rule with its evidence; `authoringYaml` writes the file `attach --file` takes, and
 * `inferredSetsFor` is the `setsFor` hook of `attach` that `attach --infer` uses.
 *
 * @example
 * const result = await infer(store, "v1", { platform: "linux/amd64" });
 * if (result.failed) console.error(result.entries[0]?.findings);
 */
export {
  infer,
  inferManifest,
  inferredSetsFor,
  isBrokenImageError,
  BrokenImageError,
  scanBounds,
  DEFAULT_BOUNDS,
  type InferOptions,
  type InferResult,
  type InferredEntry,
  type EntryInference,
  type ScanBounds,
  type ScannedLayer,
} from "../ops/infer.js";
export {
  analyze,
  type Inference,
  type InferredRule,
  type InferredAlternative,
  type Finding,
  type FindingSeverity,
  type Evidence,
} from "../compat/infer/analyze.js";
export { authoringYaml, type AuthoringContext } from "../compat/infer/authoring.js";
export { mergeInferred, type MergeResult } from "../compat/infer/merge.js";
export { readElfFacts, type ElfFacts, type ElfHeader } from "../compat/infer/elf.js";
export { parseRequire, driverRuleOf, CUDA_MINIMUM_DRIVER } from "../compat/infer/nvidia-require.js";
/**
 * Kubernetes (docs/kubernetes.md): the nodeAffinity over NFD node labels under which some entry
 * of every image fits, with what labels cannot say reported per label.
 *
 * ```ts
 * const { nodeAffinity, findings } = await affinityFor({ references: [ref], opener, catalog });
 * ```
 */
export {
  affinityFor,
  imageAffinityAt,
  nfdVocabulary,
  type AffinityOptions,
} from "../ops/affinity.js";
export {
  combineImages,
  imageAffinity,
  nodeAffinityAdmits,
  translateLabel,
  type AffinityFinding,
  type AffinityResult,
  type Fidelity,
  type ImageAffinity,
  type NfdVocabulary,
} from "../compat/affinity/index.js";
/** The mutating admission webhook of `ocicompat webhook`, to embed in another server. */
export {
  ImageCache,
  mutate,
  startWebhookServer,
  type ImageCacheOptions,
  type MutateOptions,
  type WebhookServer,
  type WebhookServerOptions,
} from "../ops/webhook/index.js";
