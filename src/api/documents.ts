// The library API, part one: OCI documents (digests, I-JSON, references, schemas), compatibilities
// documents, the value language, the label catalog and node profiles. src/index.ts re-exports it.
export {
  OcicompatError,
  ValidationError,
  isOcicompatError,
  type ErrorCode,
  type ValidationIssue,
} from "../oci/errors.js";
export { MediaType, EmptyDescriptor, type KnownMediaType } from "../oci/media-types.js";
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
} from "../oci/digest.js";
export {
  parseIJson,
  parseIJsonText,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  type JsonDocument,
  type ParseJsonOptions,
} from "../oci/ijson.js";
export { formatJsonPath, type PathSegment } from "../oci/json-path.js";
export {
  parseReference,
  parseRepositoryReference,
  formatReference,
  referenceProblem,
  writtenTag,
  SUPPORTED_REFERENCE_FORMS,
  type Reference,
} from "../oci/reference.js";
export {
  normalizePlatform,
  parsePlatform,
  formatPlatform,
  platformsEqual,
  type PlatformSpec,
} from "../oci/platform.js";
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
} from "../oci/schema.js";
export { validateOciDocument, type OciKind, type ValidationReport } from "../oci/validate.js";

export {
  CompatibilitySetSchema,
  CompatBlobSchema,
  AuthoringFileSchema,
  type CompatBlob,
  type AuthoringFile,
  type CompatibilitySetDocument,
} from "../compat/schema.js";
export { readSets, type CompatibilitySet } from "../compat/sets.js";
export {
  detectKind,
  describeKind,
  validateDocument,
  readDocumentLeniently,
  DocumentKinds,
  type DocumentKind,
} from "../compat/document.js";
/** Real-world deviations read leniently, each a warning (docs/interop.md). */
export {
  lenientCompatDocument,
  lenientCompatConfig,
  lenientSets,
  J_SCHEMA_VERSION,
  type Lenient,
} from "../compat/lenient.js";
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
} from "../compat/nfd/spec.js";
export {
  matchExpression,
  expressionProblem,
  NFD_OPS,
  type NfdOp,
  type NfdExpression,
} from "../compat/nfd/expression.js";
export {
  evaluateNfdSpec,
  evaluateRule as evaluateNfdRule,
  type NfdSpecResult,
  type NfdCompatibilityResult,
  type NfdRuleResult,
  type NfdEvaluateOptions,
} from "../compat/nfd/evaluate.js";
export { NfdFeaturesSchema, nfdFeaturesOf, type NfdFeatures } from "../compat/nfd/features.js";
export {
  setsToNfd,
  nfdToSets,
  type Conversion,
  type ConversionLoss,
  type NfdSpecDocument,
} from "../compat/nfd/convert.js";
export { buildNfdArtifact, type NfdArtifact } from "../compat/nfd/artifact.js";
export { convertFile, type ConvertResult } from "../ops/convert.js";
export {
  attachNfd,
  nfdTag,
  type AttachNfdOptions,
  type AttachNfdResult,
} from "../ops/attach/nfd.js";
export { COMPAT_SOURCES, type CompatSource } from "../ops/select/read-image.js";
export {
  buildCompatBlob,
  buildCompatConfig,
  buildCompatManifest,
  type BuiltContent,
  type LayerPolicy,
} from "../compat/build.js";
export type { Fact, LabelType } from "../compat/label-types.js";

export {
  validateFile,
  validateFiles,
  type FileValidation,
  type FileVerdict,
  type ValidateOptions,
} from "../ops/validate-files.js";

export {
  createCatalog,
  suggestLabel,
  BUILTIN_LABELS,
  type LabelCatalog,
} from "../compat/catalog.js";
export type { LabelDefinition } from "../compat/label-definition.js";
export { parseLabelPack } from "../compat/label-pack.js";
// One spelling for CPU features and PCI/USB IDs, shared by values and node facts.
export {
  canonicalCpuFeature,
  canonicalDeviceId,
  type NameForm,
} from "../compat/canonical-names.js";
export {
  compileValue,
  prepareFact,
  compareVersions,
  parseVersion,
  parseQuantity,
  type Matcher,
  type MatchOutcome,
  type PreparedFact,
} from "../compat/value/index.js";
export { compileSets, type CompiledSet, type CompiledLabel } from "../compat/compiled-set.js";
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
} from "../compat/evaluate.js";
export {
  compatibilityMatrix,
  compatibilityMatrixPerGroup,
  groupNodes,
  factFingerprint,
  type MatrixImage,
  type CompatibilityMatrix,
} from "../compat/matrix.js";
export {
  NodeProfileSchema,
  readNodeProfile,
  nodeProfileIssues,
  factOf,
  type NodeProfile,
} from "../compat/node-profile.js";
export { loadNodeProfile, saveNodeProfile } from "../node/profile-file.js";
export { checkSpec, type CheckSpecOptions, type CheckSpecResult } from "../ops/check-spec.js";
export { loadCatalog } from "../ops/load-catalog.js";
