// Credentials the way `docker login` leaves them: `$DOCKER_CONFIG/config.json`, else
// `~/.docker/config.json`. For a host, the first of these that has credentials wins:
//
//   1. credHelpers[host]   a per-registry docker-credential-* helper
//   2. credsStore          the default helper
//   3. auths[host]         `auth` (base64 "user:password"), `username`/`password`, `identitytoken`
//
// docker itself stops at the store when one is configured; ocicompat falls through to `auths` when
// a helper has nothing for the host, so a config with both keeps working for every registry.
// Keys may be host names or URLs (`https://index.docker.io/v1/`); they match by host. As in
// containers/image, `auths` keys may also name a namespace or repository (`host/team/app`): for a
// repository the most specific key wins (`host/team/app`, then `host/team`, then `host`). Docker Hub
// is known by several names (docker.io, index.docker.io, registry-1.docker.io, and the legacy
// `https://index.docker.io/v1/` key docker writes), all of which are tried.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { OcicompatError } from "../../oci/errors.js";
import { runCredentialHelper } from "./credential-helper.js";
import type { Credential, CredentialProvider } from "./credentials.js";
import { isObject as isRecord } from "../../oci/json-value.js";

export interface DockerConfigOptions {
  /** The directory holding config.json. Default: $DOCKER_CONFIG, else ~/.docker. */
  configDir?: string;
  /** Environment for $DOCKER_CONFIG, $HOME and the helpers' PATH. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per helper call. Default: 30 s. */
  helperTimeoutMs?: number;
}

/** The parts of config.json ocicompat reads. */
export interface DockerConfigFile {
  path: string;
  /** `~/.dockercfg`: the whole file is what `auths` is in config.json. */
  legacy?: boolean;
  auths: Record<string, DockerAuthEntry>;
  credHelpers: Record<string, string>;
  credsStore: string | undefined;
}

export interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** The server name docker uses for Docker Hub in config.json and with helpers. */
export const DOCKER_HUB_SERVER = "https://index.docker.io/v1/";
const DOCKER_HUB_NAMES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

export function dockerConfigPath(options: DockerConfigOptions = {}): string {
  const env = options.env ?? process.env;
  const dir =
    options.configDir ??
    (env.DOCKER_CONFIG !== undefined && env.DOCKER_CONFIG !== ""
      ? env.DOCKER_CONFIG
      : join(env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir(), ".docker"));
  return join(dir, "config.json");
}

/** A credentials file's text, or undefined when there is none; IO error when it cannot be read. */
export async function readConfigText(path: string): Promise<string | undefined> {
  try {
    // Read at once: a small file through fs/promises takes four turns of the thread pool, and at
    // a command's start each turn waits behind the code being loaded (docs/design.md, "Small
    // local files are read at once").
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new OcicompatError("IO", `cannot read ${path}: ${(err as Error).message}`, {
      subject: path,
      cause: err,
    });
  }
}

/** config.json, or undefined when there is none. Throws when it exists but cannot be used. */
export async function loadDockerConfig(
  path: string,
  format: { legacy?: boolean } = {},
): Promise<DockerConfigFile | undefined> {
  const text = await readConfigText(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new OcicompatError(
      "INVALID_JSON",
      `${path} is not valid JSON: ${(err as Error).message}`,
      {
        subject: path,
      },
    );
  }
  if (!isRecord(value)) {
    throw new OcicompatError("INVALID_JSON", `${path} must hold a JSON object`, { subject: path });
  }
  const auths: Record<string, DockerAuthEntry> = {};
  const authsValue = format.legacy ? value : value.auths;
  if (isRecord(authsValue)) {
    for (const [key, entry] of Object.entries(authsValue)) {
      if (!isRecord(entry)) continue;
      const clean: DockerAuthEntry = {};
      for (const field of ["auth", "username", "password", "identitytoken"] as const) {
        const v = entry[field];
        if (typeof v === "string" && v !== "") clean[field] = v;
      }
      auths[key] = clean;
    }
  }
  const credHelpers: Record<string, string> = {};
  if (isRecord(value.credHelpers)) {
    for (const [key, helper] of Object.entries(value.credHelpers)) {
      if (typeof helper === "string" && helper !== "") credHelpers[key] = helper;
    }
  }
  const credsStore =
    typeof value.credsStore === "string" && value.credsStore !== "" ? value.credsStore : undefined;
  return { path, ...(format.legacy ? { legacy: true } : {}), auths, credHelpers, credsStore };
}

/** `https://host:5000/v1/` → `host:5000`; what docker's ConvertToHostname does. */
export function hostOfConfigKey(key: string): string {
  let rest = key.replace(/^https?:\/\//i, "");
  const slash = rest.indexOf("/");
  if (slash >= 0) rest = rest.slice(0, slash);
  return rest.toLowerCase();
}

/**
 * The names config.json may use for a registry, most specific first: with a repository
 * (`team/app`), its repository and namespace keys (`host/team/app`, `host/team`) come before the
 * host's own names.
 */
export function configKeysFor(registry: string, repository?: string): string[] {
  const host = registry.toLowerCase();
  const hostKeys = DOCKER_HUB_NAMES.has(host)
    ? [DOCKER_HUB_SERVER, "docker.io", "index.docker.io", "registry-1.docker.io"]
    : [host];
  if (repository === undefined || repository === "") return hostKeys;
  const parts = repository.split("/");
  const prefix = DOCKER_HUB_NAMES.has(host) ? "docker.io" : host;
  const namespaced: string[] = [];
  for (let n = parts.length; n >= 1; n--)
    namespaced.push(`${prefix}/${parts.slice(0, n).join("/")}`);
  return [...namespaced, ...hostKeys];
}

/** The server URL handed to a credential helper for a registry. */
export function helperServerUrl(registry: string): string {
  return DOCKER_HUB_NAMES.has(registry.toLowerCase()) ? DOCKER_HUB_SERVER : registry;
}

/**
 * The key of `table` that decides for a registry (and repository): an exact key, most specific
 * first; else a URL-shaped key (`https://host/v1/`) of the host, as docker wrote them for years.
 */
function lookupKey(
  table: Record<string, unknown>,
  registry: string,
  repository?: string,
): string | undefined {
  for (const key of configKeysFor(registry, repository)) if (Object.hasOwn(table, key)) return key;
  const hosts = new Set(configKeysFor(registry).map(hostOfConfigKey));
  for (const key of Object.keys(table)) {
    const urlOrHost = /^https?:\/\//i.test(key) || !key.includes("/");
    if (urlOrHost && hosts.has(hostOfConfigKey(key))) return key;
  }
  return undefined;
}

function lookup<T>(table: Record<string, T>, registry: string): T | undefined {
  const key = lookupKey(table, registry);
  return key === undefined ? undefined : table[key];
}

/**
 * The `auths` key of this file that would give the credentials for a repository, or whether a
 * helper decides (`helper`); undefined when the file has nothing for the host. No helper runs.
 */
export function configEntryFor(
  config: DockerConfigFile,
  registry: string,
  repository?: string,
): { key: string } | "helper" | undefined {
  if (lookup(config.credHelpers, registry) !== undefined || config.credsStore !== undefined) {
    return "helper";
  }
  const key = lookupKey(config.auths, registry, repository);
  return key === undefined ? undefined : { key };
}

/** Credentials for `registry` from a loaded config file, in docker's order (see above). */
export async function credentialFromConfig(
  config: DockerConfigFile,
  registry: string,
  options: Pick<DockerConfigOptions, "env" | "helperTimeoutMs"> & { repository?: string } = {},
): Promise<Credential | undefined> {
  const serverUrl = helperServerUrl(registry);
  const helperOptions = (configuredBy: string) => ({
    configuredBy: `${configuredBy} in ${config.path}`,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.helperTimeoutMs === undefined ? {} : { timeoutMs: options.helperTimeoutMs }),
  });
  const helper = lookup(config.credHelpers, registry);
  if (helper !== undefined) {
    const found = await runCredentialHelper(helper, serverUrl, helperOptions("credHelpers"));
    if (found !== undefined) return { ...found, source: `docker-credential-${helper}` };
  }
  if (config.credsStore !== undefined) {
    const found = await runCredentialHelper(
      config.credsStore,
      serverUrl,
      helperOptions("credsStore"),
    );
    if (found !== undefined) return { ...found, source: `docker-credential-${config.credsStore}` };
  }
  const key = lookupKey(config.auths, registry, options.repository);
  const entry = key === undefined ? undefined : config.auths[key];
  if (entry === undefined) return undefined;
  const credential = credentialFromEntry(entry, registry, config.path);
  return credential === undefined ? undefined : { ...credential, source: config.path };
}

function credentialFromEntry(
  entry: DockerAuthEntry,
  registry: string,
  path: string,
): Credential | undefined {
  let username = entry.username;
  let password = entry.password;
  if (entry.auth !== undefined) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) {
      throw new OcicompatError(
        "AUTH",
        `${path}: the "auth" entry for ${registry} is not base64 of "user:password"`,
        { subject: path },
      );
    }
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (entry.identitytoken !== undefined) {
    return username === undefined
      ? { kind: "identity-token", token: entry.identitytoken }
      : { kind: "identity-token", token: entry.identitytoken, username };
  }
  if (username !== undefined && password !== undefined && (username !== "" || password !== "")) {
    return { kind: "basic", username, password };
  }
  return undefined;
}

/**
 * A provider reading config.json on first use (once), then asking helpers per host. A missing
 * file means no credentials; an unreadable or malformed one is an error.
 */
export function dockerConfigCredentials(options: DockerConfigOptions = {}): CredentialProvider {
  const path = dockerConfigPath(options);
  let loaded: Promise<DockerConfigFile | undefined> | undefined;
  return async (registry) => {
    loaded ??= loadDockerConfig(path);
    const config = await loaded;
    if (config === undefined) return undefined;
    return credentialFromConfig(config, registry, options);
  };
}
