// Test support for copy: a bigger image (several platforms, several random layers) and a loopback
// fault proxy in front of the real registry. The proxy records every request with its answer's
// status, and a rule may answer a request itself (a status burst, 429 with Retry-After) or spoil
// the registry's answer (drop the connection mid-body, end it early, flip a byte, delay it).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { MediaType } from "../../src/oci/media-types.js";
import { blob, type Blob } from "../content/layout-support.js";
import {
  createRegistryStore,
  type RegistryStore,
  type RegistryStoreOptions,
} from "../../src/content/registry/index.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { indexBlob } from "./select-support.js";

export interface BigImage {
  index: Blob;
  blobs: Blob[];
  layers: Blob[];
}

/** `platforms` image manifests, each with a config and `layers` random layers of `layerBytes`. */
export function bigImage(platforms = 4, layers = 3, layerBytes = 256 * 1024): BigImage {
  const archs = ["amd64", "arm64", "ppc64le", "s390x", "riscv64", "386"];
  const all: Blob[] = [];
  const layerBlobs: Blob[] = [];
  const manifests: Blob[] = [];
  for (let p = 0; p < platforms; p++) {
    const architecture = archs[p % archs.length]!;
    const ls = Array.from({ length: layers }, () =>
      blob(MediaType.ImageLayerGzip, randomBytes(layerBytes)),
    );
    const config = blob(
      MediaType.ImageConfig,
      JSON.stringify({ os: "linux", architecture, rootfs: { type: "layers", diff_ids: [] } }),
    );
    const manifest = blob(
      MediaType.ImageManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        config: config.desc,
        layers: ls.map((l) => l.desc),
      }),
    );
    all.push(config, ...ls);
    layerBlobs.push(...ls);
    manifests.push(manifest);
  }
  const index = indexBlob(
    manifests.map((m, p) => ({
      descriptor: m.desc,
      platform: { os: "linux", architecture: archs[p % archs.length]! },
    })),
  );
  return { index, blobs: [...all, ...manifests, index], layers: layerBlobs };
}

export type Fault =
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: unknown }
  /** Forward, but destroy the connection after this many body bytes. */
  | { kind: "drop"; after: number }
  /** Forward without Content-Length, ending the body cleanly after this many bytes. */
  | { kind: "truncate"; after: number }
  /** Forward with one byte of the body flipped. */
  | { kind: "flip"; at: number }
  /** Forward after a pause. */
  | { kind: "delay"; ms: number }
  /** Forward once `until` settles. */
  | { kind: "hold"; until: Promise<unknown> }
  /** Forward this many body bytes, then send nothing more and keep the connection open. */
  | { kind: "stall"; after: number };

export interface Seen {
  method: string;
  url: string;
  status: number;
  /** When the request arrived, and when its answer was fully sent, on one counter of events. */
  arrived: number;
  answered?: number;
}

export interface FaultProxy {
  host: string;
  seen: Seen[];
  /** Decides per request; undefined forwards it untouched. */
  rule: (method: string, url: string) => Fault | undefined;
  reset(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost, targetPort] = target.split(":") as [string, string];
  let events = 0;
  const proxy: FaultProxy = {
    host: "",
    seen: [],
    rule: () => undefined,
    reset() {
      proxy.seen.splice(0);
      proxy.rule = () => undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const method = req.method ?? "?";
    const url = req.url ?? "";
    const entry: Seen = { method, url, status: 0, arrived: events++ };
    proxy.seen.push(entry);
    res.on("finish", () => (entry.answered = events++));
    const fault = proxy.rule(method, url);
    if (fault?.kind === "status") {
      entry.status = fault.status;
      req.resume();
      res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
      res.end(
        JSON.stringify(fault.body ?? { errors: [{ code: "UNAVAILABLE", message: "injected" }] }),
      );
      return;
    }
    const forward = (): void => {
      const upstream = request(
        {
          host: targetHost,
          port: Number(targetPort),
          method,
          path: url,
          // The client's Host stays, so upload Locations the registry builds point back here.
          headers: req.headers,
        },
        (answer) => {
          entry.status = answer.statusCode ?? 502;
          const headers = { ...answer.headers };
          if (fault?.kind === "truncate") delete headers["content-length"];
          res.writeHead(entry.status, headers);
          if (fault === undefined || fault.kind === "delay" || fault.kind === "hold") {
            answer.pipe(res);
            return;
          }
          let sent = 0;
          answer.on("data", (chunk: Buffer) => {
            if (fault.kind === "flip") {
              if (fault.at >= sent && fault.at < sent + chunk.length) {
                chunk = Buffer.from(chunk);
                chunk[fault.at - sent] = chunk[fault.at - sent]! ^ 0xff;
              }
              sent += chunk.length;
              res.write(chunk);
              return;
            }
            const room = fault.after - sent;
            if (room <= 0) return;
            res.write(chunk.subarray(0, room));
            sent += Math.min(room, chunk.length);
            if (sent >= fault.after) {
              answer.destroy();
              if (fault.kind === "stall") return;
              if (fault.kind === "drop") res.destroy();
              else res.end();
            }
          });
          answer.on("end", () => res.end());
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    };
    if (fault?.kind === "delay") setTimeout(forward, fault.ms);
    else if (fault?.kind === "hold") void fault.until.then(forward, forward);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  proxy.host = `127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return proxy;
}

/** The digests whose blob upload completed (`PUT …/blobs/uploads/…?digest=` answered 201). */
export function uploadedDigests(seen: readonly Seen[]): string[] {
  return seen
    .filter((s) => s.method === "PUT" && s.url.includes("/blobs/uploads/") && s.status === 201)
    .map((s) => new URL(s.url, "http://x").searchParams.get("digest") ?? "");
}

/** Requests that send blob bytes: upload POSTs with a body, PATCHes and the final PUTs. */
export function uploadRequests(seen: readonly Seen[]): Seen[] {
  return seen.filter(
    (s) =>
      s.url.includes("/blobs/uploads/") &&
      !s.url.includes("mount=") &&
      (s.method === "PUT" || s.method === "PATCH" || s.method === "POST"),
  );
}

/** Upload sessions closed with a DELETE. */
export function sessionDeletes(seen: readonly Seen[]): Seen[] {
  return seen.filter((s) => s.method === "DELETE" && s.url.includes("/blobs/uploads/"));
}

/**
 * Upload sessions the registry holds open for `repository`, in distribution's filesystem layout:
 * `_uploads/<uuid>/data`. (A cancelled session loses its `data`; 2.8 leaves the rest behind.)
 */
export function openSessions(registry: TestRegistry, repository: string): string[] {
  const dir = join(registry.storage, "docker/registry/v2/repositories", repository, "_uploads");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((uuid) => existsSync(join(dir, uuid, "data")));
}

/** A real registry behind the fault proxy, and the registry stores a test file opens. */
export interface ProxiedRegistry {
  registry: TestRegistry;
  proxy: FaultProxy;
  /** A store of `repository` at `host`, closed with the rest by `close`. */
  store(repository: string, host: string, options?: Partial<RegistryStoreOptions>): RegistryStore;
  /** Closes every store it made, then the proxy, then the registry. */
  close(): Promise<void>;
}

export async function startProxiedRegistry(): Promise<ProxiedRegistry> {
  const registry = await startRegistry();
  const proxy = await startFaultProxy(registry.host);
  const stores: RegistryStore[] = [];
  return {
    registry,
    proxy,
    store(repository, host, options = {}) {
      const s = createRegistryStore({ ...options, registry: host, repository });
      stores.push(s);
      return s;
    },
    async close() {
      await Promise.all(stores.map((s) => s.close()));
      await proxy.close();
      await registry.stop();
    },
  };
}

/** Every request of `earlier` was answered before the first request of `later` arrived. */
export function assertBefore(earlier: readonly Seen[], later: readonly Seen[], what: string): void {
  assert.ok(earlier.length > 0 && later.length > 0, `${what}: both steps sent requests`);
  const lastAnswer = Math.max(...earlier.map((s) => s.answered ?? Infinity));
  const firstArrival = Math.min(...later.map((s) => s.arrived));
  assert.ok(lastAnswer < firstArrival, `${what}: ${lastAnswer} < ${firstArrival}`);
}

/**
 * Resets `proxy` and holds its answer to `held` (`"METHOD /path"`) until every request in
 * `awaited` (same form) has arrived, or 5 s have passed. Settles to which came first: a test that
 * wants the awaited requests sent before `held` is answered asserts "asked".
 */
export function holdUntilAsked(
  proxy: FaultProxy,
  held: string,
  awaited: readonly string[],
): Promise<"asked" | "timeout"> {
  const waiting = new Set(awaited);
  let allAsked!: () => void;
  const asked = new Promise<"asked">((resolve) => {
    allAsked = () => resolve("asked");
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(resolve, 5000, "timeout");
  });
  const released = Promise.race([asked, timeout]).finally(() => clearTimeout(timer));
  proxy.reset();
  proxy.rule = (method, url) => {
    const request = `${method} ${url}`;
    waiting.delete(request);
    if (waiting.size === 0) allAsked();
    return request === held ? { kind: "hold", until: released } : undefined;
  };
  return released;
}
