// The OCI distribution registry backend: one client per host, one store per repository.
export {
  RegistryClient,
  type HttpMethod,
  type RegistryClientOptions,
  type RegistryRequest,
  type RegistryResponse,
} from "./client.js";
export {
  createRegistryStore,
  RegistryStore,
  DEFAULT_MAX_MANIFEST_BYTES,
  MANIFEST_ACCEPT,
  type FetchedManifest,
  type ManifestPushResult,
  type RegistryStoreOptions,
} from "./store.js";
export {
  isRegistryError,
  parseErrorBody,
  redactUrl,
  RegistryError,
  type ErrorContext,
  type RegistryErrorEntry,
} from "./errors.js";
export { DEFAULT_RETRY_POLICY, parseRetryAfter, retryPolicy, type RetryPolicy } from "./retry.js";
export { isLoopbackRegistry } from "./http.js";
export type { ProxyEnvironment } from "./proxy-env.js";
export { DEFAULT_MONOLITHIC_SIZE } from "./upload.js";
export { DEFAULT_TRANSFER_FLOOR, type TransferFloor } from "./transfer-guard.js";
export { referrersTag } from "./documents.js";
export {
  loadRegistriesConf,
  machineRegistriesConf,
  registriesConfPaths,
  type LoadedRegistriesConf,
  type RegistriesConfPaths,
} from "./registries-conf-files.js";
export type { RegistriesConf, RegistryEntry } from "./registries-conf.js";
export {
  firstAnswering,
  registrySources,
  type FailedSource,
  type RegistrySource,
} from "./sources.js";
export { hostDirConfig, type HostDirConfig } from "./hosts-dir.js";
export { hostDirSources } from "./hosts-sources.js";
export { tlsLeniency, type TlsLeniency } from "./tls-verify.js";
