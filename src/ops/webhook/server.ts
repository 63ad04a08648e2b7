// The webhook's HTTPS server: POST /mutate (AdmissionReview v1), GET /healthz, /readyz and
// /metrics, JSON logs, and the certificate reloaded when its files change (cert-manager and
// Kubernetes secret volumes replace them in place).
import { unwatchFile, watchFile } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createSecureContext } from "node:tls";
import type { AddressInfo } from "node:net";
import type { ImageCache } from "./images.js";
import { createMetrics, type WebhookMetrics } from "./metrics.js";
import { mutate, type OnError } from "./mutate.js";
import { MalformedReview, parseReview } from "./review.js";
import { errorMessage } from "../../oci/errors.js";

/** Kubernetes sends at most 3 MiB objects; a review wraps one (two on UPDATE). */
const MAX_BODY = 8 * 1024 * 1024;
/**
 * Review bodies held at once, across requests: many slow senders of large bodies must not take
 * the process past its memory limit (a restart admits pods unchecked under failurePolicy Ignore).
 */
const MAX_BODIES_IN_FLIGHT = 32 * 1024 * 1024;
/** The API server's own webhook timeout is at most 30 s; a request slower than this is not one. */
const REQUEST_TIMEOUT_MS = 15_000;
const HEADERS_TIMEOUT_MS = 10_000;

export interface WebhookServerOptions {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  images: ImageCache;
  onError: OnError;
  deadlineMs?: number;
  /** How often the certificate files are checked for changes; default 2 s. */
  reloadIntervalMs?: number;
  /** One JSON object per event; default: a line on stderr. */
  log?: (event: Record<string, unknown>) => void;
  metrics?: WebhookMetrics;
}

export interface WebhookServer {
  port: number;
  metrics: WebhookMetrics;
  /** Resolves after the next certificate reload attempt (for tests and operators' scripts). */
  nextReload(): Promise<"ok" | "failed">;
  close(): Promise<void>;
}

function jsonLog(event: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

class BodyTooLarge extends Error {}
class TooBusy extends Error {}

/** Bytes of review bodies currently held by all requests together. */
let bodiesInFlight = 0;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const n = (chunk as Buffer).length;
      size += n;
      bodiesInFlight += n;
      if (size > MAX_BODY) throw new BodyTooLarge();
      if (bodiesInFlight > MAX_BODIES_IN_FLIGHT) throw new TooBusy();
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  } finally {
    bodiesInFlight -= size;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const log = options.log ?? jsonLog;
  const metrics = options.metrics ?? createMetrics();
  const [cert, key] = await Promise.all([readFile(options.certFile), readFile(options.keyFile)]);
  let ready = false;

  const handleMutate = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    let body: unknown;
    try {
      const bytes = await readBody(req);
      body = JSON.parse(bytes.toString("utf8"));
    } catch (err) {
      if (err instanceof TooBusy) {
        log({ level: "warn", msg: "too many review bytes in flight; answered 503" });
        metrics.reviews.inc({ outcome: "busy" });
        res.setHeader("connection", "close");
        return send(res, 503, "text/plain", "too busy\n");
      }
      const message =
        err instanceof BodyTooLarge
          ? `the review is larger than ${MAX_BODY} bytes`
          : `the body is not JSON: ${errorMessage(err)}`;
      log({ level: "warn", msg: "malformed review", error: message });
      metrics.reviews.inc({ outcome: "malformed" });
      return send(res, 400, "text/plain; charset=utf-8", `${message}\n`);
    }
    // Parsing the review, and finding the pod spec in it (inside mutate), refuse the same way.
    const malformed = (err: MalformedReview, uid?: string): void => {
      log({ level: "warn", msg: "malformed review", ...(uid ? { uid } : {}), error: err.message });
      metrics.reviews.inc({ outcome: "malformed" });
      send(res, 400, "text/plain; charset=utf-8", `malformed AdmissionReview: ${err.message}\n`);
    };
    let request;
    try {
      request = parseReview(body);
    } catch (err) {
      if (!(err instanceof MalformedReview)) throw err;
      return malformed(err);
    }
    let result;
    try {
      result = await mutate(request, {
        images: options.images,
        onError: options.onError,
        ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
      });
    } catch (err) {
      if (!(err instanceof MalformedReview)) throw err;
      return malformed(err, request.uid);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.reviews.inc({ outcome: result.outcome });
    metrics.latency.observe({ outcome: result.outcome }, seconds);
    log({
      level: result.error === undefined ? "info" : "warn",
      msg: "review",
      uid: request.uid,
      kind: request.kind.kind,
      namespace: request.namespace,
      name: request.name,
      outcome: result.outcome,
      images: result.images,
      ...(result.error !== undefined ? { error: result.error } : {}),
      ms: Math.round(seconds * 1e6) / 1e3,
    });
    send(res, 200, "application/json", JSON.stringify(result.review));
  };

  const server: Server = createServer({ cert, key }, (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const handle = async (): Promise<void> => {
      if (path === "/mutate") {
        if (req.method !== "POST") return send(res, 405, "text/plain", "POST an AdmissionReview\n");
        return handleMutate(req, res);
      }
      if (path === "/healthz") return send(res, 200, "text/plain", "ok\n");
      if (path === "/readyz") {
        return ready
          ? send(res, 200, "text/plain", "ready\n")
          : send(res, 503, "text/plain", "starting\n");
      }
      if (path === "/metrics" && req.method === "GET") {
        return send(res, 200, metrics.registry.contentType, await metrics.registry.metrics());
      }
      send(res, 404, "text/plain", "not found\n");
    };
    handle().catch((err: unknown) => {
      log({
        level: "error",
        msg: "internal error",
        error: errorMessage(err),
      });
      if (!res.headersSent) send(res, 500, "text/plain", "internal error\n");
      else res.destroy();
    });
  });

  // Certificate reload: polling survives the symlink swaps of secret volumes, which fs.watch misses.
  let waiters: ((r: "ok" | "failed") => void)[] = [];
  const reload = async (): Promise<void> => {
    let result: "ok" | "failed" = "ok";
    try {
      const [c, k] = await Promise.all([readFile(options.certFile), readFile(options.keyFile)]);
      // Built first, so a pair that does not match leaves the serving context as it was.
      createSecureContext({ cert: c, key: k });
      server.setSecureContext({ cert: c, key: k });
      log({ level: "info", msg: "certificate reloaded", cert: options.certFile });
    } catch (err) {
      // A half-written pair (cert renewed, key not yet) fails; the next change brings the key.
      result = "failed";
      log({
        level: "warn",
        msg: "certificate reload failed; serving the previous one",
        error: errorMessage(err),
      });
    }
    metrics.tlsReloads.inc({ result });
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve(result);
  };
  const interval = options.reloadIntervalMs ?? 2000;
  const onChange = (): void => void reload();
  for (const file of [options.certFile, options.keyFile]) {
    watchFile(file, { interval, persistent: false }, onChange);
  }

  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  // After listening, an accept failure (EMFILE) must be logged, not end the process.
  server.on("error", (err) =>
    log({
      level: "error",
      msg: "server error",
      error: errorMessage(err),
    }),
  );
  ready = true;
  const port = (server.address() as AddressInfo).port;
  log({ level: "info", msg: "listening", address: `${options.host}:${port}` });
  return {
    port,
    metrics,
    nextReload: () => new Promise((resolve) => waiters.push(resolve)),
    close: async () => {
      ready = false;
      for (const file of [options.certFile, options.keyFile]) unwatchFile(file, onChange);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
