// `ocicompat mirror`: a read-only OCI distribution endpoint on the node (node:http). A manifest
// requested by tag is answered with the entry that fits this node (manifest.ts, decide.ts);
// everything addressed by digest passes through unchanged (manifest.ts, blob.ts). Each request
// gets its own deadline; a failed request gets a distribution-spec error and nothing else is
// affected. The node is learnt once at start and again on `reloadNode()` (the CLI's SIGHUP).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import type { SelectionBudgets } from "../../compat/budget.js";
import type { LabelCatalog } from "../../compat/catalog.js";
import type { NodeProfile } from "../../compat/node-profile.js";
import type { ContentCache } from "../../content/cache.js";
import { OcicompatError, errorMessage } from "../../oci/errors.js";
import { answerBlob } from "./blob.js";
import { createDecider, type Content, type NodeState } from "./decide.js";
import { distributionErrorOf, errorBody, type ContentKind } from "./errors.js";
import {
  answerDigest,
  answerTag,
  type DecisionRecord,
  type IncompatiblePolicy,
} from "./manifest.js";
import { createMirrorMetrics, type MirrorMetrics } from "./metrics.js";
import {
  acceptedMediaTypes,
  normalizeUpstream,
  routeRequest,
  type DistributionErrorAnswer,
  type MirrorRoute,
} from "./route.js";
import { createUpstreams, type UpstreamAccess } from "./upstreams.js";

/** 127.0.0.1:5090 unless told otherwise: a node-local mirror is not for other machines. */
export const DEFAULT_MIRROR_HOST = "127.0.0.1";
export const DEFAULT_MIRROR_PORT = 5090;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_VERDICT_TTL_MS = 60_000;

export interface MirrorOptions {
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  /** Upstream registries it may serve, `host[:port]`; the first is the default (route.ts). */
  upstreams: readonly string[];
  catalog: LabelCatalog;
  /** Learns the node: once at start, and again on every `reloadNode()`. */
  loadNode: () => Promise<NodeProfile>;
  /** `os/arch[/variant]` replacing the node's platform. */
  platform?: string;
  /** When no entry fits: serve the index (default, fail-open) or refuse. */
  onIncompatible?: IncompatiblePolicy;
  /** Per request, until the answer has started (a blob's body is not bounded by it). Default 30 s. */
  requestTimeoutMs?: number;
  /** How long a selection's verdict is reused for the same index digest. Default 60 s. */
  verdictTtlMs?: number;
  /** The on-disk cache for manifests and compatibilities; none when absent. */
  cache?: ContentCache;
  /** Also keep and serve blobs up to the cache's entry size from the cache. */
  cacheBlobs?: boolean;
  access?: UpstreamAccess;
  budgets?: Partial<SelectionBudgets>;
  /** One JSON object per decision or failure. Default: nothing. */
  log?: (entry: Record<string, unknown>) => void;
}

export interface RunningMirror {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT` */
  readonly address: string;
  readonly metrics: MirrorMetrics;
  /** The node the mirror selects for. */
  node(): NodeProfile;
  /** Learns the node again and forgets every verdict made for the old one. */
  reloadNode(): Promise<NodeProfile>;
  /** Stops listening, ends open connections, closes the upstream clients. */
  close(): Promise<void>;
}

const API_VERSION = { "docker-distribution-api-version": "registry/2.0" };

export async function startMirror(options: MirrorOptions): Promise<RunningMirror> {
  const upstreamNames = [...new Set(options.upstreams.map(normalizeUpstream))];
  if (upstreamNames.length === 0) {
    throw new OcicompatError("USAGE", "the mirror needs at least one upstream (--upstream HOST)");
  }
  const metrics = createMirrorMetrics();
  const upstreams = createUpstreams(upstreamNames, options.access ?? {}, options.cache);
  const decider = createDecider({
    catalog: options.catalog,
    verdictTtlMs: options.verdictTtlMs ?? DEFAULT_VERDICT_TTL_MS,
    ...(options.platform === undefined ? {} : { platform: options.platform }),
    ...(options.budgets === undefined ? {} : { budgets: options.budgets }),
  });
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const log = options.log ?? (() => undefined);
  let node: NodeState = { profile: await options.loadNode(), generation: 1 };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    const route = routeRequest(method, req.url ?? "/", upstreamNames);
    let status = 500;
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new OcicompatError(
            "TIMEOUT",
            `no answer within ${timeoutMs / 1000}s (the mirror's --timeout)`,
          ),
        ),
      timeoutMs,
    );
    // A client that goes away stops the work done for it, except a selection that others share.
    const gone = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished)
        gone.abort(new OcicompatError("CANCELLED", "the client went away"));
    });
    const signal = AbortSignal.any([deadline.signal, gone.signal]);
    try {
      // The deadline covers the wait for an answer; a blob's body then runs as long as it keeps
      // moving (the upstream client's transfer-rate floor fails one that stalls).
      const answerStarted = (): void => clearTimeout(timer);
      status = await serve(route, req, res, method, {
        deadline: deadline.signal,
        signal,
        answerStarted,
      });
    } catch (err) {
      if (gone.signal.aborted) {
        status = 499;
      } else if (res.headersSent) {
        // A stream that failed after its headers went out (a blob whose digest did not match):
        // breaking the connection is the only way to tell the client it is not complete.
        status = 502;
        res.destroy(err instanceof Error ? err : undefined);
        log(failureEntry(route, err));
      } else {
        const kind: ContentKind = route.kind === "blob" ? "blob" : "manifest";
        const upstream = "upstream" in route ? route.upstream : "?";
        const answer = distributionErrorOf(
          deadline.signal.aborted ? deadline.signal.reason : err,
          upstream,
          kind,
        );
        status = answer.status;
        sendError(res, method, answer);
        log(failureEntry(route, err));
      }
    } finally {
      clearTimeout(timer);
      metrics.requests.inc({ method, route: route.kind, status: String(status) });
    }
  };

  const serve = async (
    route: MirrorRoute,
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    signals: { deadline: AbortSignal; signal: AbortSignal; answerStarted: () => void },
  ): Promise<number> => {
    const head = method === "HEAD";
    switch (route.kind) {
      case "error":
        sendError(res, method, route.error);
        return route.error.status;
      case "ping":
        send(res, head, 200, { ...API_VERSION, "content-type": "application/json" }, "{}");
        return 200;
      case "healthz":
        send(res, head, 200, { "content-type": "text/plain" }, `ok ${node.profile.name}\n`);
        return 200;
      case "metrics": {
        const text = await metrics.registry.metrics();
        send(res, head, 200, { "content-type": metrics.registry.contentType }, text);
        return 200;
      }
      case "manifest": {
        const repository = upstreams.repository(route.upstream, route.repository);
        if (route.byDigest) {
          const found = await answerDigest(
            repository,
            route.reference,
            options.cache,
            metrics,
            signals.signal,
          );
          if (found.fromCache) metrics.cacheHits.inc({ cache: "content" });
          sendManifest(res, head, found.content);
          return 200;
        }
        const answer = await answerTag({
          upstream: route.upstream,
          repository,
          tag: route.reference,
          accepts: acceptedMediaTypes(req.headers.accept),
          node,
          decider,
          policy: options.onIncompatible ?? "passthrough",
          metrics,
          // The selection may be shared by several requests: only the deadline stops it.
          signal: signals.deadline,
        });
        logDecision(answer.record);
        if (answer.kind === "refused") {
          sendError(res, method, answer.error);
          return answer.error.status;
        }
        sendManifest(res, head, answer.content);
        return 200;
      }
      case "blob": {
        const repository = upstreams.repository(route.upstream, route.repository);
        // Only what reaches the upstream is upstream latency: a cache hit is not observed.
        const upstreamTimer = metrics.upstreamSeconds.startTimer({ operation: "blob" });
        const answer = await answerBlob(
          repository.registry,
          {
            method: head ? "HEAD" : "GET",
            digest: route.digest,
            ...(typeof req.headers.range === "string" ? { range: req.headers.range } : {}),
            signal: signals.signal,
          },
          options.cacheBlobs ? options.cache : undefined,
        );
        if (!answer.fromCache) upstreamTimer();
        if (answer.fromCache) metrics.cacheHits.inc({ cache: "content" });
        signals.answerStarted();
        res.writeHead(answer.status, answer.headers);
        if (answer.body === undefined) {
          res.end();
        } else {
          await pipeline(answer.body, res, { signal: signals.signal });
        }
        return answer.status;
      }
    }
  };

  const logDecision = (record: DecisionRecord): void => {
    metrics.decisions.inc({
      decision: record.decision,
      reason: record.passthrough ?? record.decision,
    });
    if (record.remembered) metrics.cacheHits.inc({ cache: "verdict" });
    const warn =
      record.passthrough === "no-entry-fits" || record.passthrough === "selection-failed";
    log({
      time: new Date().toISOString(),
      level: warn || record.decision === "refused" ? "warn" : "info",
      event: "decision",
      ...record,
    });
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new OcicompatError(
          "IO",
          `cannot listen on ${options.host ?? DEFAULT_MIRROR_HOST}:${options.port ?? DEFAULT_MIRROR_PORT}: ${err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(options.port ?? DEFAULT_MIRROR_PORT, options.host ?? DEFAULT_MIRROR_HOST, () =>
      resolve(),
    );
  });
  // After listening, an accept failure (EMFILE) must be logged, not end the process.
  server.on("error", (err: Error) =>
    log({
      time: new Date().toISOString(),
      level: "error",
      event: "server-error",
      error: err.message,
    }),
  );
  const bound = server.address() as AddressInfo;
  const hostPart = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  const address = `${hostPart}:${bound.port}`;

  return {
    url: `http://${address}`,
    address,
    metrics,
    node: () => node.profile,
    async reloadNode() {
      const profile = await options.loadNode();
      node = { profile, generation: node.generation + 1 };
      decider.clear();
      return profile;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await upstreams.close();
    },
  };
}

function send(
  res: ServerResponse,
  head: boolean,
  status: number,
  headers: Record<string, string>,
  body: string | Uint8Array,
): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, "content-length": String(bytes.byteLength) });
  res.end(head ? undefined : bytes);
}

function sendManifest(res: ServerResponse, head: boolean, content: Content): void {
  send(
    res,
    head,
    200,
    {
      ...API_VERSION,
      "content-type": content.descriptor.mediaType,
      "docker-content-digest": content.descriptor.digest,
    },
    content.bytes,
  );
}

function sendError(res: ServerResponse, method: string, answer: DistributionErrorAnswer): void {
  const headers: Record<string, string> = { ...API_VERSION, "content-type": "application/json" };
  if (answer.status === 405) headers.allow = "GET, HEAD";
  send(res, method === "HEAD", answer.status, headers, errorBody(answer));
}

function failureEntry(route: MirrorRoute, err: unknown): Record<string, unknown> {
  return {
    time: new Date().toISOString(),
    level: "error",
    event: "request-failed",
    ...("upstream" in route ? { upstream: route.upstream, repository: route.repository } : {}),
    ...(route.kind === "manifest" ? { reference: route.reference } : {}),
    ...(route.kind === "blob" ? { digest: route.digest } : {}),
    code: err instanceof OcicompatError ? err.code : "INTERNAL",
    message: errorMessage(err),
  };
}
