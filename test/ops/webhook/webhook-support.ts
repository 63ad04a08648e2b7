// The setup the webhook test files share: the real registry behind a counting proxy, holding hpc
// (two compat sets), fma (one) and plain (none), a registry that never answers, and webhook servers
// over HTTPS with a certificate made in the test (support.ts), one failing open and one closed.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { createCatalog } from "../../../src/compat/catalog.js";
import { createStoreOpener, type StoreOpener } from "../../../src/content/open.js";
import {
  ImageCache,
  startWebhookServer,
  type WebhookServer,
} from "../../../src/ops/webhook/index.js";
import { tempDir } from "../../content/layout-support.js";
import { applyPatch } from "../../support/json-patch.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import {
  compatManifest,
  indexBlob,
  pushToRegistry,
  startCountingProxy,
  variantImage,
  type CountingProxy,
} from "../select-support.js";
import { makeCertificate, post } from "./support.js";

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64" };

export async function pushImage(
  host: string,
  repo: string,
  sets: Record<string, unknown>[] | undefined,
): Promise<void> {
  const x86 = variantImage(`${repo} amd64`, amd64);
  const arm = variantImage(`${repo} arm64`, arm64);
  const compat = sets === undefined ? undefined : compatManifest(sets, amd64);
  const index = indexBlob([
    {
      descriptor: x86.manifest.desc,
      platform: { ...amd64, ...(compat ? { compatibilities: compat.descriptor } : {}) },
    },
    { descriptor: arm.manifest.desc, platform: arm64 },
  ]);
  await pushToRegistry(
    host,
    repo,
    [...x86.blobs, ...arm.blobs, ...(compat?.blobs ?? []), index],
    index.desc,
    "1",
  );
}

export interface Answer {
  status: number;
  review: {
    apiVersion: string;
    kind: string;
    response: {
      uid: string;
      allowed: boolean;
      patchType?: string;
      patch?: string;
      warnings?: string[];
      status?: { code: number; message: string };
    };
  };
}

/** A TCP server that accepts connections and never answers: a registry that hangs. */
async function hangingServer(): Promise<{ host: string; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => void sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface WebhookFixture {
  registry: TestRegistry;
  proxy: CountingProxy;
  hanging: { host: string; close(): Promise<void> };
  dir: ReturnType<typeof tempDir>;
  cert: { cert: string; key: string };
  /** Fails open (`--on-error allow`), with a 5 s deadline. */
  open: WebhookServer;
  /** Fails closed (`--on-error deny`), with a 300 ms deadline. */
  deny: WebhookServer;
  /** Through the proxy, so that a test can count what reaches the registry. */
  hpc: string;
  fma: string;
  plain: string;
  /** Another server with its own image cache; closed with the fixture. */
  start(onError: "allow" | "deny", deadlineMs?: number): Promise<WebhookServer>;
  /** Posts a review to /mutate and expects a 200 AdmissionReview. */
  send(server: WebhookServer, body: unknown): Promise<Answer>;
  close(): Promise<void>;
}

export async function startWebhookFixture(): Promise<WebhookFixture> {
  const dir = tempDir("ocicompat-webhook-");
  const cert = makeCertificate(dir.path);
  const registry = await startRegistry();
  const proxy = await startCountingProxy(registry.host);
  const hanging = await hangingServer();
  const opener: StoreOpener = createStoreOpener({});
  const servers: WebhookServer[] = [];

  async function start(onError: "allow" | "deny", deadlineMs = 5000): Promise<WebhookServer> {
    const server = await startWebhookServer({
      host: "127.0.0.1",
      port: 0,
      certFile: cert.cert,
      keyFile: cert.key,
      onError,
      deadlineMs,
      reloadIntervalMs: 50,
      log: () => undefined,
      images: new ImageCache({
        opener,
        catalog: createCatalog(),
        allowRegistries: [proxy.host, hanging.host],
        readTimeoutMs: deadlineMs,
      }),
    });
    servers.push(server);
    return server;
  }

  async function send(server: WebhookServer, body: unknown): Promise<Answer> {
    const answer = await post(server.port, cert.cert, "/mutate", JSON.stringify(body));
    assert.equal(answer.status, 200, answer.body);
    return { status: answer.status, review: JSON.parse(answer.body) as Answer["review"] };
  }

  await pushImage(registry.host, "hpc", [
    { "oci.cpu.features": "avx512f", score: 10 },
    { "oci.cpu.features": "avx2" },
  ]);
  await pushImage(registry.host, "fma", [
    { "oci.cpu.features": "fma", "oci.kernel.version": ">=5.15" },
  ]);
  await pushImage(registry.host, "plain", undefined);
  return {
    registry,
    proxy,
    hanging,
    dir,
    cert,
    hpc: `${proxy.host}/hpc:1`,
    fma: `${proxy.host}/fma:1`,
    plain: `${proxy.host}/plain:1`,
    open: await start("allow"),
    deny: await start("deny", 300),
    start,
    send,
    close: async () => {
      for (const s of servers) await s.close();
      await opener.close();
      await hanging.close();
      await proxy.close();
      await registry.stop();
      dir.remove();
    },
  };
}

/** The review's object with the answer's JSON Patch applied. */
export function patched<T>(body: Record<string, unknown>, answer: Answer): T {
  const { patch, patchType } = answer.review.response;
  assert.equal(patchType, "JSONPatch");
  const ops = JSON.parse(Buffer.from(patch ?? "", "base64").toString("utf8")) as [];
  return applyPatch((body["request"] as Record<string, unknown>)["object"], ops) as T;
}
