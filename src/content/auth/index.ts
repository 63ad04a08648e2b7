// Registry authentication: where credentials come from (docker config, helpers, flags) and the
// Basic / Bearer-token challenge flow.
export {
  anonymous,
  describeCredential,
  firstOf,
  memoized,
  staticCredentials,
  type BasicCredential,
  type Credential,
  type CredentialProvider,
  type IdentityTokenCredential,
} from "./credentials.js";
export {
  configEntryFor,
  configKeysFor,
  credentialFromConfig,
  dockerConfigCredentials,
  dockerConfigPath,
  helperServerUrl,
  hostOfConfigKey,
  loadDockerConfig,
  DOCKER_HUB_SERVER,
  type DockerAuthEntry,
  type DockerConfigFile,
  type DockerConfigOptions,
} from "./docker-config.js";
export {
  authFileChain,
  containersAuthCredentials,
  containersAuthPaths,
  nodeCredentials,
  primaryAuthFile,
  storedCredentials,
  type AuthFileLocation,
  type AuthFileOptions,
  type StoredCredentials,
} from "./containers-auth.js";
export {
  authEntryKeys,
  removeAllAuthEntries,
  removeAuthEntry,
  storeAuthEntry,
} from "./auth-file-write.js";
export { runCredentialHelper, type CredentialHelperOptions } from "./credential-helper.js";
export { eraseAllLogins, eraseLogin, storeLogin, type LoginStoreOptions } from "./login-store.js";
export {
  AUTH_FILES_HELPER,
  withCredentialHelpers,
  type ConfiguredHelpers,
  type HelperListOptions,
} from "./helper-list.js";
export { parseChallenges, type Challenge } from "./challenge.js";
export {
  mergeScopes,
  pullScope,
  pushScope,
  repositoryScope,
  scopesCover,
  type Action,
} from "./scope.js";
export {
  Authenticator,
  basicAuthorization,
  type AuthenticatorOptions,
  type TokenHttp,
  type TokenHttpRequest,
  type TokenHttpResponse,
} from "./authenticator.js";
