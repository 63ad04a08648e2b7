// Credentials the way podman, buildah, skopeo and CRI-O find them (containers-auth.json(5) and
// containers/image's pkg/docker/config). The files, in docker's config.json format, are read in
// this order, and the first file with an entry for the host (or the repository, for
// `host/namespace` keys) decides:
//
//   1. the primary file: $XDG_RUNTIME_DIR/containers/auth.json (/run/containers/$UID/auth.json
//      when XDG_RUNTIME_DIR is unset) — the one `podman login` and `ocicompat login` write
//   2. ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json
//   3. $DOCKER_CONFIG/config.json, else ~/.docker/config.json — what `docker login` writes
//   4. ~/.dockercfg (docker's legacy format)
//
// An explicit file (`--authfile`, else $REGISTRY_AUTH_FILE) replaces the whole list, as it does
// for podman: then only that file is read, and it is the one login writes.
import { homedir } from "node:os";
import { join } from "node:path";
import type { Credential, CredentialProvider } from "./credentials.js";
import {
  configEntryFor,
  credentialFromConfig,
  dockerConfigPath,
  loadDockerConfig,
  type DockerConfigFile,
  type DockerConfigOptions,
} from "./docker-config.js";

export interface AuthFileOptions extends DockerConfigOptions {
  /** `--authfile`: read (and write) only this file. Default: $REGISTRY_AUTH_FILE, else the list. */
  authFile?: string;
  /** The user id for /run/containers/UID when XDG_RUNTIME_DIR is unset. Default: this process's. */
  uid?: number;
}

export interface AuthFileLocation {
  path: string;
  /** `~/.dockercfg`: auths at the top level. */
  legacy?: boolean;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env.HOME) ?? homedir();
}

function explicitAuthFile(options: AuthFileOptions): string | undefined {
  return nonEmpty(options.authFile) ?? nonEmpty((options.env ?? process.env).REGISTRY_AUTH_FILE);
}

function configHomeAuthFile(env: NodeJS.ProcessEnv): string {
  const configHome = nonEmpty(env.XDG_CONFIG_HOME) ?? join(homeOf(env), ".config");
  return join(configHome, "containers", "auth.json");
}

/**
 * The file `login` writes and `logout` edits: `--authfile`, else $REGISTRY_AUTH_FILE, else
 * $XDG_RUNTIME_DIR/containers/auth.json (podman's choice; /run/containers/UID/auth.json without
 * a runtime directory on Linux, ~/.config/containers/auth.json elsewhere).
 */
export function primaryAuthFile(options: AuthFileOptions = {}): string {
  const explicit = explicitAuthFile(options);
  if (explicit !== undefined) return explicit;
  const env = options.env ?? process.env;
  const runtimeDir = nonEmpty(env.XDG_RUNTIME_DIR);
  if (runtimeDir !== undefined) return join(runtimeDir, "containers", "auth.json");
  if (process.platform !== "linux") return configHomeAuthFile(env);
  const uid = options.uid ?? process.getuid?.() ?? 0;
  return `/run/containers/${uid}/auth.json`;
}

/** Every file credentials are read from, in order (see the top of this file). */
export function authFileChain(options: AuthFileOptions = {}): AuthFileLocation[] {
  const explicit = explicitAuthFile(options);
  if (explicit !== undefined) return [{ path: explicit }];
  const env = options.env ?? process.env;
  const chain: AuthFileLocation[] = [
    { path: primaryAuthFile(options) },
    { path: configHomeAuthFile(env) },
    { path: dockerConfigPath(options) },
    { path: join(homeOf(env), ".dockercfg"), legacy: true },
  ];
  return chain.filter((entry, i) => chain.findIndex((e) => e.path === entry.path) === i);
}

/** The containers auth files of the chain (without docker's files), most specific first. */
export function containersAuthPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const explicit = nonEmpty(env.REGISTRY_AUTH_FILE);
  if (explicit !== undefined) return [explicit];
  const chain = [primaryAuthFile({ env }), configHomeAuthFile(env)];
  return chain.filter((path, i) => chain.indexOf(path) === i);
}

/** Credentials from a list of files, each loaded once; the first file with an entry wins. */
export interface StoredCredentials {
  /**
   * The provider for a client. With a repository, `host/namespace/...` keys apply to it (most
   * specific first); without one, only host keys do.
   */
  provider(repository?: string): CredentialProvider;
  /**
   * The `auths` key that decides for this repository (`host/team` or `host`), without running a
   * credential helper. Repositories with the same scope can share one client; a file that cannot
   * be read counts as no namespace key (its error surfaces when credentials are needed).
   */
  scope(registry: string, repository: string): Promise<string>;
}

function storedCredentialsFrom(
  locations: readonly AuthFileLocation[],
  options: DockerConfigOptions,
): StoredCredentials {
  const loaded = new Map<string, Promise<DockerConfigFile | undefined>>();
  const load = (location: AuthFileLocation): Promise<DockerConfigFile | undefined> => {
    let file = loaded.get(location.path);
    if (file === undefined) {
      file = loadDockerConfig(location.path, location.legacy ? { legacy: true } : {});
      loaded.set(location.path, file);
    }
    return file;
  };
  const helperOptions = {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.helperTimeoutMs === undefined ? {} : { helperTimeoutMs: options.helperTimeoutMs }),
  };
  return {
    provider(repository) {
      const provider: CredentialProvider = async (registry): Promise<Credential | undefined> => {
        for (const location of locations) {
          const config = await load(location);
          if (config === undefined) continue;
          const found = await credentialFromConfig(config, registry, {
            ...helperOptions,
            ...(repository === undefined ? {} : { repository }),
          });
          if (found !== undefined) return found;
        }
        return undefined;
      };
      provider.searched = async (registry) => {
        const places: string[] = [];
        for (const location of locations) {
          const config = await load(location).catch(() => undefined);
          places.push(
            config === undefined
              ? `${location.path} (no such file)`
              : `${location.path} (no entry for ${registry})`,
          );
        }
        return places;
      };
      return provider;
    },
    async scope(registry, repository) {
      for (const location of locations) {
        const config = await load(location).catch(() => undefined);
        if (config === undefined) continue;
        const entry = configEntryFor(config, registry, repository);
        if (entry === "helper") return registry;
        if (entry !== undefined) {
          const namespaced = !/^https?:\/\//i.test(entry.key) && entry.key.includes("/");
          return namespaced ? entry.key : registry;
        }
      }
      return registry;
    },
  };
}

/** The whole chain podman reads (or only `authFile` / $REGISTRY_AUTH_FILE when set). */
export function storedCredentials(options: AuthFileOptions = {}): StoredCredentials {
  return storedCredentialsFrom(authFileChain(options), options);
}

/** A provider over the containers auth files only (no docker config). */
export function containersAuthCredentials(options: DockerConfigOptions = {}): CredentialProvider {
  const paths = containersAuthPaths(options.env ?? process.env);
  return storedCredentialsFrom(
    paths.map((path) => ({ path })),
    options,
  ).provider();
}

/**
 * What a node's runtimes would use: the containers auth files, then docker's config, host keys
 * only (a mirror's client serves every repository of a host).
 */
export function nodeCredentials(options: AuthFileOptions = {}): CredentialProvider {
  return storedCredentials(options).provider();
}
