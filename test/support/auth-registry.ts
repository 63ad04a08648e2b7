// A real distribution registry with htpasswd (bcrypt) holding one image, and fake
// docker-credential helpers: what the credential tests share.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { staticCredentials } from "../../src/content/auth/credentials.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import type { ContentDescriptor } from "../../src/content/store.js";
import type { Blob } from "../content/layout-support.js";
import { pushGraph } from "../ops/select-support.js";
import { startRegistry, type TestRegistry } from "./registry.js";

/** A registry only `user` may use, with `blobs` pushed under `repository:tag`. */
export async function startRegistryWithImage(
  login: { user: string; password: string },
  image: { blobs: readonly Blob[]; root: ContentDescriptor },
  at: { repository: string; tag: string },
): Promise<TestRegistry> {
  const registry = await startRegistry({
    htpasswd: `${login.user}:${bcrypt.hashSync(login.password, 4)}\n`,
  });
  const store = createRegistryStore({
    registry: registry.host,
    repository: at.repository,
    credentials: staticCredentials({ username: login.user, password: login.password }),
  });
  try {
    await pushGraph(store, image.blobs, image.root, at.tag);
  } finally {
    await store.close();
  }
  return registry;
}

/** Writes an executable `docker-credential-NAME` shell script into `bin`. */
export function writeHelper(bin: string, name: string, lines: readonly string[]): void {
  const file = join(bin, `docker-credential-${name}`);
  writeFileSync(file, ["#!/bin/sh", ...lines, ""].join("\n"));
  chmodSync(file, 0o755);
}

/**
 * The lines of a `get`-only helper that knows `login` for `host` alone (and says "credentials not
 * found" for any other server); with `log`, each call is appended there as `ACTION SERVER`.
 */
export function knowingHelper(
  host: string,
  login: { user: string; password: string },
  log?: string,
): string[] {
  return [
    'read -r server || [ -n "$server" ]',
    ...(log === undefined ? [] : [`echo "$1 $server" >> '${log}'`]),
    `if [ "$server" = "${host}" ]; then`,
    `  printf '{"ServerURL":"%s","Username":"${login.user}","Secret":"${login.password}"}' "$server"`,
    "  exit 0",
    "fi",
    'echo "credentials not found in native keychain"',
    "exit 1",
  ];
}
