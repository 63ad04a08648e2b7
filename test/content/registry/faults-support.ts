// Shared by faults.test.ts and faults-lying.test.ts: an in-test registry (FakeRegistry) whose
// team/app holds one image tagged v1 and a 256 KiB blob, a client on it whose requests are
// logged, and failing() to make the registry misbehave. Each file calls startFakeRegistry() for a
// server of its own; its `before` hook fills in the `client` and `store` bindings the tests read.
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, beforeEach } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { createRegistryStore, type RegistryStore } from "../../../src/content/registry/store.js";
import { MediaType } from "../../../src/oci/media-types.js";
import {
  content,
  FakeRegistry,
  fastRetry,
  image,
  randomBytes,
  requestLog,
  startServer,
  type TestServer,
} from "./helpers.js";

export const fake = new FakeRegistry();
let server: TestServer;
export let client: RegistryClient;
export let store: RegistryStore;
export const { log, onRequest } = requestLog();

export const blob = content(MediaType.ImageLayerGzip, randomBytes(256 * 1024, 9));
export const img = image("amd64");

/**
 * Starts the server and the client before the calling file's tests and stops them after. Each
 * test begins with a registry that behaves and an empty log, whatever the test before it set up.
 */
export function startFakeRegistry(): void {
  before(async () => {
    server = await startServer(fake.handler);
    client = new RegistryClient({ registry: server.host, onRequest, retry: fastRetry });
    store = createRegistryStore({ repository: "team/app", client });
    fake.blobs.set(blob.desc.digest, Buffer.from(blob.bytes));
    fake.blobs.set(img.config.desc.digest, Buffer.from(img.config.bytes));
    fake.manifests.set(img.manifest.desc.digest, {
      mediaType: MediaType.ImageManifest,
      bytes: Buffer.from(img.manifest.bytes),
    });
    fake.tags.set("v1", img.manifest.desc.digest);
  });

  after(async () => {
    await client?.close();
    await server?.close();
  });

  beforeEach(() => {
    fake.intercept = undefined;
    log.length = 0;
  });
}

/** Intercepts matching requests while `times` lasts (Infinity: always). */
export function failing(
  match: (req: IncomingMessage) => boolean,
  times: number,
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): { hits: () => number } {
  let hits = 0;
  fake.intercept = (req, res) => {
    if (!match(req) || hits >= times) return false;
    hits++;
    answer(req, res);
    return true;
  };
  return { hits: () => hits };
}

export const isBlobGet = (req: IncomingMessage) =>
  req.method === "GET" && (req.url ?? "").includes(`/blobs/${blob.desc.digest}`);
