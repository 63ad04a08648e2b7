// Credentials the way podman, buildah, skopeo and CRI-O keep them: the containers auth file, in
// docker's config.json format (`auths`, `credHelpers`, `credsStore`). The file is the first of
// these that exists, as containers-auth.json(5) orders them:
//
//   1. $REGISTRY_AUTH_FILE
//   2. $XDG_RUNTIME_DIR/containers/auth.json
//   3. ~/.config/containers/auth.json (the file podman falls back to when no runtime dir exists)
//
// A node agent (`ocicompat mirror`) reads these before docker's config, so an image that the
// node's runtime may pull, the mirror may read.
import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { CredentialProvider } from "./credentials.js";
import { firstOf } from "./credentials.js";
import {
  credentialFromConfig,
  dockerConfigCredentials,
  loadDockerConfig,
  type DockerConfigFile,
  type DockerConfigOptions,
} from "./docker-config.js";

/** The candidate containers auth files, most specific first. */
export function containersAuthPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const paths: string[] = [];
  if (env.REGISTRY_AUTH_FILE) paths.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, "containers", "auth.json"));
  paths.push(join(env.HOME || homedir(), ".config", "containers", "auth.json"));
  return paths;
}

async function firstExisting(paths: readonly string[]): Promise<string | undefined> {
  for (const path of paths) {
    try {
      await access(path);
      return path;
    } catch {
      // not there: the next one
    }
  }
  return undefined;
}

/** A provider over the first containers auth file that exists; none means no credentials. */
export function containersAuthCredentials(options: DockerConfigOptions = {}): CredentialProvider {
  let loaded: Promise<DockerConfigFile | undefined> | undefined;
  return async (registry) => {
    loaded ??= firstExisting(containersAuthPaths(options.env)).then((path) =>
      path === undefined ? undefined : loadDockerConfig(path),
    );
    const config = await loaded;
    if (config === undefined) return undefined;
    return credentialFromConfig(config, registry, options);
  };
}

/** What a node's runtimes would use: the containers auth file, then docker's config. */
export function nodeCredentials(options: DockerConfigOptions = {}): CredentialProvider {
  return firstOf(containersAuthCredentials(options), dockerConfigCredentials(options));
}
