// The library API, part two: stores (registry, layout, archive, memory), the cache, credentials,
// graph copy, and node discovery and import. src/index.ts re-exports it.
export {
  verifying,
  fetchBytes,
  readAll,
  hasReferrers,
  canMount,
  canPeekTag,
  canGetManifest,
  type Store,
  type CallOptions,
  type ContentDescriptor,
  type ReferrersCapable,
  type MountCapable,
  type TagPeekCapable,
  type ManifestGetCapable,
  type Body,
} from "../content/store.js";
export { successors } from "../content/graph.js";
export { copyGraph, CopyError, isCopyError, type CopySide } from "../content/copy.js";
export type { CopyOptions, CopyStats, MountFromChooser } from "../content/copy/options.js";
export { createMemoryStore, MemoryStore } from "../content/memory.js";
export { openLayout, LayoutStore, type LayoutOptions } from "../content/layout.js";
export {
  openArchive,
  ArchiveStore,
  isClosable,
  type Closable,
  type ArchiveOptions,
} from "../content/archive.js";
export {
  openCache,
  withCache,
  defaultCacheDir,
  type ContentCache,
  type CacheOptions,
} from "../content/cache.js";
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
} from "../content/cache/blob-locations.js";
export { inspect, inspectRaw, type InspectNode, type InspectResult } from "../ops/inspect.js";

export {
  discover,
  labelsNeededBy,
  type DiscoverOptions,
  type DiscoveryResult,
} from "../node/discover.js";
export type { Diagnostic, DeviceInventory, PciFunction, UsbFunction } from "../node/probe.js";
export { importNfdFeatures } from "../node/import-nfd.js";
export { importKubernetesNode } from "../node/import-k8s.js";
export type { ImportOptions, ImportResult } from "../node/imported-node.js";
export { nfdLabelsOf, type NfdLabel, type NfdLabelExport } from "../node/nfd/export-labels.js";
export {
  createStoreOpener,
  type OpenOptions,
  type OpenedStore,
  type StoreOpener,
  type RegistryAccess,
} from "../content/open.js";
export {
  createRegistryStore,
  RegistryClient,
  RegistryStore,
  RegistryError,
  isRegistryError,
  type RegistryClientOptions,
  type RegistryStoreOptions,
  type ProxyEnvironment,
  DEFAULT_TRANSFER_FLOOR,
  type TransferFloor,
} from "../content/registry/index.js";
export {
  dockerConfigCredentials,
  containersAuthCredentials,
  nodeCredentials,
  staticCredentials,
  firstOf,
  anonymous,
  type Credential,
  type CredentialProvider,
} from "../content/auth/index.js";
export {
  enforceSourcePolicy,
  loadSignaturePolicy,
  policyFilePath,
} from "../content/policy/policy-file.js";
export {
  enforceSignaturePolicy,
  parseSignaturePolicy,
  requirementsFor,
  type SignaturePolicy,
  type RequirementType,
  type PolicyDecision,
} from "../content/policy/signature-policy.js";
