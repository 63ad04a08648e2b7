// Shared by registry.test.ts and registry-uploads.test.ts, the registry store against a real CNCF
// distribution registry (Debian's docker-registry 2.8): each file calls startDistribution() for a
// registry and an anonymous client of its own, and its `before` hook fills in the `registry` and
// `client` bindings the tests read.
import { after, before } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { createRegistryStore, type RegistryStore } from "../../../src/content/registry/store.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { fastRetry, requestLog } from "./helpers.js";

export let registry: TestRegistry;
export let client: RegistryClient;
export const { log, onRequest } = requestLog();

/**
 * Starts the registry and its client before the calling file's tests, stops both after them.
 * `prepare` runs once the client is there: a file's own top-level `before` would not wait for it,
 * as Node starts those hooks as they are registered.
 */
export function startDistribution(prepare?: () => Promise<void>): void {
  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ registry: registry.host, onRequest, retry: fastRetry });
    await prepare?.();
  });

  after(async () => {
    await client?.close();
    await registry?.stop();
  });
}

export function store(
  repository: string,
  extra: { chunkSize?: number; tagPageSize?: number } = {},
): RegistryStore {
  return createRegistryStore({ repository, client, ...extra });
}

export function since(mark: number): string[] {
  return log.slice(mark);
}
