// The ocicompat library API. Everything here is typed and free of CLI concerns.
export { VERSION } from "./version.js";

export {
  OcicompatError,
  ValidationError,
  isOcicompatError,
  type ErrorCode,
  type ValidationIssue,
} from "./oci/errors.js";
export { MediaType, EmptyDescriptor, type KnownMediaType } from "./oci/media-types.js";
export {
  computeDigest,
  createDigester,
  digestProblem,
  isDigest,
  parseDigest,
  verifyContent,
  type Digester,
  type ParsedDigest,
  type RegisteredAlgorithm,
} from "./oci/digest.js";
export {
  parseIJson,
  parseIJsonText,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  type JsonDocument,
  type ParseJsonOptions,
} from "./oci/ijson.js";
export { formatJsonPath, type PathSegment } from "./oci/json-path.js";
export {
  parseReference,
  parseRepositoryReference,
  formatReference,
  referenceProblem,
  writtenTag,
  SUPPORTED_REFERENCE_FORMS,
  type Reference,
} from "./oci/reference.js";
export {
  normalizePlatform,
  parsePlatform,
  formatPlatform,
  platformsEqual,
  type PlatformSpec,
} from "./oci/platform.js";
export {
  DescriptorSchema,
  PlatformSchema,
  ImageIndexSchema,
  ImageManifestSchema,
  ImageConfigSchema,
  LayoutHeaderSchema,
  type Descriptor,
  type Platform,
  type IndexEntry,
  type ImageIndex,
  type ImageManifest,
  type ImageConfig,
  type LayoutHeader,
} from "./oci/schema.js";
export { validateOciDocument, type OciKind, type ValidationReport } from "./oci/validate.js";

export {
  CompatibilitySetSchema,
  CompatBlobSchema,
  AuthoringFileSchema,
  type CompatBlob,
  type AuthoringFile,
  type CompatibilitySetDocument,
} from "./compat/schema.js";
export { readSets, type CompatibilitySet } from "./compat/sets.js";
export {
  detectKind,
  describeKind,
  validateDocument,
  readDocumentLeniently,
  DocumentKinds,
  type DocumentKind,
} from "./compat/document.js";
/** Real-world deviations read leniently, each a warning (docs/interop.md). */
export {
  lenientCompatDocument,
  lenientCompatConfig,
  lenientSets,
  J_SCHEMA_VERSION,
  type Lenient,
} from "./compat/lenient.js";
/** NFD image-compatibility specs: reading, NFD's rule semantics, conversion (docs/interop.md). */
export {
  readNfdSpec,
  looksLikeNfdSpec,
  NFD_ARTIFACT_TYPE,
  NFD_SPEC_MEDIA_TYPE,
  NFD_SPEC_VERSION,
  type NfdSpec,
  type NfdCompatibility,
  type NfdRule,
  type NfdTerm,
  type NfdSpecReading,
} from "./compat/nfd/spec.js";
export {
  matchExpression,
  expressionProblem,
  NFD_OPS,
  type NfdOp,
  type NfdExpression,
} from "./compat/nfd/expression.js";
export {
  evaluateNfdSpec,
  evaluateRule as evaluateNfdRule,
  type NfdSpecResult,
  type NfdCompatibilityResult,
  type NfdRuleResult,
  type NfdEvaluateOptions,
} from "./compat/nfd/evaluate.js";
export { NfdFeaturesSchema, nfdFeaturesOf, type NfdFeatures } from "./compat/nfd/features.js";
export {
  setsToNfd,
  nfdToSets,
  type Conversion,
  type ConversionLoss,
  type NfdSpecDocument,
} from "./compat/nfd/convert.js";
export { buildNfdArtifact, type NfdArtifact } from "./compat/nfd/artifact.js";
export { convertFile, type ConvertResult } from "./ops/convert.js";
export {
  attachNfd,
  nfdTag,
  type AttachNfdOptions,
  type AttachNfdResult,
} from "./ops/attach/nfd.js";
export { COMPAT_SOURCES, type CompatSource } from "./ops/select/read-image.js";
export {
  buildCompatBlob,
  buildCompatConfig,
  buildCompatManifest,
  type BuiltContent,
  type LayerPolicy,
} from "./compat/build.js";
export type { Fact, LabelType } from "./compat/label-types.js";

export {
  validateFile,
  validateFiles,
  type FileValidation,
  type FileVerdict,
  type ValidateOptions,
} from "./ops/validate-files.js";

export {
  createCatalog,
  suggestLabel,
  BUILTIN_LABELS,
  type LabelCatalog,
} from "./compat/catalog.js";
export type { LabelDefinition } from "./compat/label-definition.js";
export { parseLabelPack } from "./compat/label-pack.js";
// One spelling for CPU features and PCI/USB IDs, shared by values and node facts.
export { canonicalCpuFeature, canonicalDeviceId, type NameForm } from "./compat/canonical-names.js";
export {
  compileValue,
  prepareFact,
  compareVersions,
  parseVersion,
  parseQuantity,
  type Matcher,
  type MatchOutcome,
  type PreparedFact,
} from "./compat/value/index.js";
export { compileSets, type CompiledSet, type CompiledLabel } from "./compat/compiled-set.js";
export {
  evaluateSets,
  anySetPasses,
  prepareNode,
  type CompatibilityResult,
  type SetResult,
  type LabelResult,
  type LabelStatus,
  type PreparedNode,
  type EvaluateOptions,
} from "./compat/evaluate.js";
export {
  compatibilityMatrix,
  compatibilityMatrixPerGroup,
  groupNodes,
  factFingerprint,
  type MatrixImage,
  type CompatibilityMatrix,
} from "./compat/matrix.js";
export {
  NodeProfileSchema,
  readNodeProfile,
  nodeProfileIssues,
  factOf,
  type NodeProfile,
} from "./compat/node-profile.js";
export { loadNodeProfile, saveNodeProfile } from "./node/profile-file.js";
export { checkSpec, type CheckSpecOptions, type CheckSpecResult } from "./ops/check-spec.js";
export { loadCatalog } from "./ops/load-catalog.js";

export {
  verifying,
  fetchBytes,
  readAll,
  hasReferrers,
  canMount,
  type Store,
  type CallOptions,
  type ContentDescriptor,
  type ReferrersCapable,
  type MountCapable,
  type Body,
} from "./content/store.js";
export { successors } from "./content/graph.js";
export { copyGraph, CopyError, isCopyError, type CopySide } from "./content/copy.js";
export type { CopyOptions, CopyStats, MountFromChooser } from "./content/copy/options.js";
export { createMemoryStore, MemoryStore } from "./content/memory.js";
export { openLayout, LayoutStore, type LayoutOptions } from "./content/layout.js";
export {
  openArchive,
  ArchiveStore,
  isClosable,
  type Closable,
  type ArchiveOptions,
} from "./content/archive.js";
export {
  openCache,
  withCache,
  defaultCacheDir,
  type ContentCache,
  type CacheOptions,
} from "./content/cache.js";
/**
 * Where blobs were seen, so that copies mount them instead of uploading: pass one to
 * `createStoreOpener({ blobLocations })` or `createRegistryStore({ blobLocations })`, or
 * `blobLocations: true` to the opener for the file in the cache directory.
 */
export {
  createBlobLocations,
  blobLocationsOn,
  recordBlobLocation,
  type BlobLocations,
} from "./content/cache/blob-locations.js";
export { inspect, inspectRaw, type InspectNode, type InspectResult } from "./ops/inspect.js";

export {
  discover,
  labelsNeededBy,
  type DiscoverOptions,
  type DiscoveryResult,
} from "./node/discover.js";
export type { Diagnostic, DeviceInventory, PciFunction, UsbFunction } from "./node/probe.js";
export { importNfdFeatures } from "./node/import-nfd.js";
export { importKubernetesNode } from "./node/import-k8s.js";
export type { ImportOptions, ImportResult } from "./node/imported-node.js";
export { nfdLabelsOf, type NfdLabel, type NfdLabelExport } from "./node/nfd/export-labels.js";
export {
  createStoreOpener,
  type OpenOptions,
  type OpenedStore,
  type StoreOpener,
  type RegistryAccess,
} from "./content/open.js";
export {
  createRegistryStore,
  RegistryClient,
  RegistryStore,
  RegistryError,
  isRegistryError,
  type RegistryClientOptions,
  type RegistryStoreOptions,
  DEFAULT_TRANSFER_FLOOR,
  type TransferFloor,
} from "./content/registry/index.js";
export {
  dockerConfigCredentials,
  containersAuthCredentials,
  nodeCredentials,
  staticCredentials,
  firstOf,
  anonymous,
  type Credential,
  type CredentialProvider,
} from "./content/auth/index.js";
export { attach, attachFile, AnchorPolicies, type AnchorPolicy } from "./ops/attach.js";
export { readCompatFile, type CompatFile } from "./ops/attach/compat-file.js";
export type { AttachOptions } from "./ops/attach/options.js";
export type { AttachResult } from "./ops/attach/result.js";
export { detach, detachReference, type DetachOptions, type DetachResult } from "./ops/detach.js";
export {
  editCompatibilities,
  wrapInIndex,
  platformFromConfig,
  type CompatibilitiesEdit,
  type IndexEditResult,
} from "./compat/index-edit.js";
/**
 * The entry of an image that fits a node. Only `reference` is required: the default opener reads
 * through the on-disk cache with the docker credentials, the catalog is the built-in one, and
 * without `nodeFile`/`profile` this host is discovered.
 */
export { selectImage, type ImageSelection, type SelectImageOptions } from "./ops/select.js";
/** Fleets (docs/fleet.md): node groups × workloads, a migration comparison, an HTML report. */
export { runFleet, type FleetOptions, type FleetRun } from "./ops/fleet.js";
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
} from "./ops/fleet/report.js";
export { readFleetNodes, type FleetNode, type NodeProblem } from "./ops/fleet/nodes.js";
export { readWorkloads, workloadsOfDump, type Workload } from "./ops/fleet/workloads.js";
export { readFleetImages, type FleetImageRead } from "./ops/fleet/read-images.js";
export { compareFleets, type WhatIfComparison } from "./ops/fleet/what-if.js";
export { renderFleetHtml, type HtmlReportInput } from "./ops/fleet/html.js";
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
} from "./ops/mirror/server.js";
export type { DecisionRecord, IncompatiblePolicy } from "./ops/mirror/manifest.js";
/** Per-image budgets of selectImage (`budgets` option) and the error an image over one gets. */
export {
  BudgetError,
  DEFAULT_BUDGETS,
  resolveBudgets,
  type SelectionBudgets,
} from "./compat/budget.js";
export { selectEntries, type SelectOptions } from "./compat/select.js";
export {
  formatSpecificity,
  type SelectionResult,
  type EntryReport,
  type Specificity,
} from "./compat/select/report.js";
export {
  matchPlatform,
  nodePlatformOf,
  type NodePlatform,
  type PlatformMatch,
} from "./compat/platform-match.js";
export { verify, type VerifyOptions, type VerifyResult } from "./ops/verify.js";
export type { VerifyProblem } from "./ops/verify/walker.js";
export { protect, type ProtectOptions, type ProtectResult } from "./ops/protect.js";
export { layoutGc, type LayoutGcOptions, type LayoutGcResult } from "./ops/layout-gc.js";
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
} from "./ops/infer.js";
export {
  analyze,
  type Inference,
  type InferredRule,
  type InferredAlternative,
  type Finding,
  type FindingSeverity,
  type Evidence,
} from "./compat/infer/analyze.js";
export { authoringYaml, type AuthoringContext } from "./compat/infer/authoring.js";
export { mergeInferred, type MergeResult } from "./compat/infer/merge.js";
export { readElfFacts, type ElfFacts, type ElfHeader } from "./compat/infer/elf.js";
export { parseRequire, driverRuleOf, CUDA_MINIMUM_DRIVER } from "./compat/infer/nvidia-require.js";
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
} from "./ops/affinity.js";
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
} from "./compat/affinity/index.js";
/** The mutating admission webhook of `ocicompat webhook`, to embed in another server. */
export {
  ImageCache,
  mutate,
  startWebhookServer,
  type ImageCacheOptions,
  type MutateOptions,
  type WebhookServer,
  type WebhookServerOptions,
} from "./ops/webhook/index.js";
