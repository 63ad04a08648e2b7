// Shared by the registry and auth tests: content builders, stream reading, and a small in-memory
// registry over node:http for what distribution 2.8 lacks (referrers API, token auth, faults).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { computeDigest } from "../../../src/oci/digest.js";
import { MediaType } from "../../../src/oci/media-types.js";
import type { ContentDescriptor, Store } from "../../../src/content/store.js";
import { createStoreOpener, type OpenOptions } from "../../../src/content/open.js";
import { parseReference } from "../../../src/oci/reference.js";

export interface Content {
  desc: ContentDescriptor;
  bytes: Uint8Array;
}

const enc = new TextEncoder();

export function content(mediaType: string, data: string | Uint8Array | object): Content {
  const bytes =
    typeof data === "string"
      ? enc.encode(data)
      : data instanceof Uint8Array
        ? data
        : enc.encode(JSON.stringify(data));
  return { desc: { mediaType, digest: computeDigest(bytes), size: bytes.byteLength }, bytes };
}

export function randomBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export interface Image {
  config: Content;
  layer: Content;
  manifest: Content;
}

export function image(arch: string, extra: Record<string, unknown> = {}): Image {
  const config = content(MediaType.ImageConfig, {
    architecture: arch,
    os: "linux",
    rootfs: { type: "layers", diff_ids: [] },
  });
  const layer = content(MediaType.ImageLayerGzip, randomBytes(3000, arch.length + 7));
  const manifest = content(MediaType.ImageManifest, {
    schemaVersion: 2,
    mediaType: MediaType.ImageManifest,
    config: config.desc,
    layers: [layer.desc],
    ...extra,
  });
  return { config, layer, manifest };
}

export function index(
  entries: { manifest: Content; platform: object }[],
  extra: object = {},
): Content {
  return content(MediaType.ImageIndex, {
    schemaVersion: 2,
    mediaType: MediaType.ImageIndex,
    manifests: entries.map((e) => ({ ...e.manifest.desc, platform: e.platform })),
    ...extra,
  });
}

export async function pushImage(store: Store, img: Image): Promise<void> {
  await store.push(img.config.desc, img.config.bytes);
  await store.push(img.layer.desc, img.layer.bytes);
  await store.push(img.manifest.desc, img.manifest.bytes);
}

/**
 * Pushes `img` and tags it as `reference` (`host/repo:tag`) says, through a store opener that
 * reads no registries.conf, given `options` (credentials, a CA file).
 */
export async function putTagged(
  reference: string,
  img: Image,
  options: OpenOptions = {},
): Promise<void> {
  const ref = parseReference(reference);
  const opener = createStoreOpener({ registriesConf: false, ...options });
  try {
    const { store, reference: tag } = await opener.open(ref);
    await pushImage(store, img);
    await store.tag(img.manifest.desc, tag ?? "latest");
  } finally {
    await opener.close();
  }
}

export async function readStream(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of source) chunks.push(c);
  return Buffer.concat(chunks);
}

export async function* streamOf(bytes: Uint8Array, pieces = 7): AsyncIterable<Uint8Array> {
  const step = Math.max(1, Math.ceil(bytes.byteLength / pieces));
  for (let i = 0; i < bytes.byteLength; i += step) yield bytes.slice(i, i + step);
}

export const fastRetry = { baseDelayMs: 5, maxDelayMs: 20 };

/** Collects `onRequest` calls: `["HEAD /v2/team/app/manifests/v1", ...]`. */
export function requestLog(): { log: string[]; onRequest: (method: string, url: string) => void } {
  const log: string[] = [];
  return {
    log,
    onRequest: (method, url) => {
      const u = new URL(url);
      log.push(`${method} ${u.pathname}${u.search}`);
    },
  };
}

// ---- an in-test HTTP server ------------------------------------------------------------------

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
) => void | Promise<void>;

export interface TestServer {
  host: string;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** `address`: another loopback address (127.0.0.2, ...) stands for another host. */
export async function startServer(handler: Handler, address = "127.0.0.1"): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      Promise.resolve(handler(req, res, Buffer.concat(chunks))).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `${address}:${port}`,
    url: `http://${address}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(body.byteLength),
    ...headers,
  });
  res.end(body);
}

export function ociError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ code, message }] });
}

/**
 * A minimal in-memory registry: manifests (by digest and tag), blobs, monolithic and chunked
 * uploads, tag lists and, optionally, the referrers API with `OCI-Subject`. `intercept` runs
 * first and may answer instead (faults, auth).
 */
export class FakeRegistry {
  readonly manifests = new Map<string, { mediaType: string; bytes: Buffer }>();
  readonly tags = new Map<string, string>();
  readonly blobs = new Map<string, Buffer>();
  private readonly uploads = new Map<string, Buffer>();
  private nextUpload = 1;
  referrersApi: boolean;
  /** Tag list pages: with a `Link` header (true), or only cut to `n` without one (false). */
  tagLinks = true;
  /** Apply the artifactType filter server-side (and say so). */
  filterReferrers = true;
  intercept: ((req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean) | undefined;

  constructor(options: { referrersApi?: boolean } = {}) {
    this.referrersApi = options.referrersApi ?? false;
  }

  handler: Handler = (req, res, body) => {
    if (this.intercept?.(req, res, body)) return;
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (path === "/v2/" || path === "/v2") return sendJson(res, 200, {});
    let m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (m) return this.manifest(method, m[2] as string, req, res, body);
    m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(path);
    if (m) return this.upload(method, m[1] as string, m[2] as string, url, req, res, body);
    m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(path);
    if (m) return this.blob(method, m[2] as string, req, res);
    m = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(path);
    if (m && this.referrersApi) return this.referrers(m[2] as string, url, res);
    m = /^\/v2\/(.+)\/tags\/list$/.exec(path);
    if (m) return this.tagList(m[1] as string, url, res);
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("404 page not found\n");
  };

  private manifest(
    method: string,
    reference: string,
    _req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
  ): void {
    if (method === "PUT") {
      const digest = computeDigest(body);
      const mediaType = String(_req.headers["content-type"]);
      this.manifests.set(digest, { mediaType, bytes: body });
      if (!reference.includes(":")) this.tags.set(reference, digest);
      const headers: Record<string, string> = {
        "docker-content-digest": digest,
        location: `/v2/x/manifests/${digest}`,
      };
      const doc = JSON.parse(body.toString()) as { subject?: { digest: string } };
      if (this.referrersApi && doc.subject) headers["oci-subject"] = doc.subject.digest;
      res.writeHead(201, headers);
      res.end();
      return;
    }
    const digest = reference.includes(":") ? reference : this.tags.get(reference);
    const found = digest === undefined ? undefined : this.manifests.get(digest);
    if (found === undefined || digest === undefined) {
      if (method === "HEAD") {
        res.writeHead(404);
        res.end();
        return;
      }
      return ociError(res, 404, "MANIFEST_UNKNOWN", "manifest unknown");
    }
    res.writeHead(200, {
      "content-type": found.mediaType,
      "content-length": String(found.bytes.byteLength),
      "docker-content-digest": digest,
    });
    res.end(method === "HEAD" ? undefined : found.bytes);
  }

  private blob(method: string, digest: string, req: IncomingMessage, res: ServerResponse): void {
    const bytes = this.blobs.get(digest);
    if (bytes === undefined) {
      if (method === "HEAD") {
        res.writeHead(404);
        res.end();
        return;
      }
      return ociError(res, 404, "BLOB_UNKNOWN", "blob unknown to registry");
    }
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ""));
    if (range && method === "GET") {
      const start = Number(range[1]);
      const part = bytes.subarray(start);
      res.writeHead(206, {
        "content-type": "application/octet-stream",
        "content-length": String(part.byteLength),
        "content-range": `bytes ${start}-${bytes.byteLength - 1}/${bytes.byteLength}`,
        "accept-ranges": "bytes",
        "docker-content-digest": digest,
      });
      res.end(part);
      return;
    }
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": String(bytes.byteLength),
      "accept-ranges": "bytes",
      "docker-content-digest": digest,
    });
    res.end(method === "HEAD" ? undefined : bytes);
  }

  private upload(
    method: string,
    repo: string,
    id: string,
    url: URL,
    _req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
  ): void {
    if (method === "POST") {
      const mount = url.searchParams.get("mount");
      if (mount !== null && this.blobs.has(mount)) {
        res.writeHead(201, {
          location: `/v2/${repo}/blobs/${mount}`,
          "docker-content-digest": mount,
        });
        res.end();
        return;
      }
      const session = String(this.nextUpload++);
      this.uploads.set(session, Buffer.alloc(0));
      res.writeHead(202, {
        location: `/v2/${repo}/blobs/uploads/${session}?_state=s${session}`,
        range: "0-0",
      });
      res.end();
      return;
    }
    const current = this.uploads.get(id);
    if (current === undefined) return ociError(res, 404, "BLOB_UPLOAD_UNKNOWN", "upload unknown");
    if (method === "DELETE") {
      this.uploads.delete(id);
      res.writeHead(204);
      res.end();
      return;
    }
    const data = Buffer.concat([current, body]);
    if (method === "PATCH") {
      this.uploads.set(id, data);
      res.writeHead(202, {
        location: `/v2/${repo}/blobs/uploads/${id}?_state=p${data.byteLength}`,
        range: `0-${data.byteLength - 1}`,
      });
      res.end();
      return;
    }
    if (method === "PUT") {
      const digest = url.searchParams.get("digest") ?? "";
      if (computeDigest(data) !== digest)
        return ociError(res, 400, "DIGEST_INVALID", "digest mismatch");
      this.blobs.set(digest, data);
      this.uploads.delete(id);
      res.writeHead(201, {
        location: `/v2/${repo}/blobs/${digest}`,
        "docker-content-digest": digest,
      });
      res.end();
      return;
    }
    res.writeHead(405);
    res.end();
  }

  private tagList(repo: string, url: URL, res: ServerResponse): void {
    const all = [...this.tags.keys()].sort();
    const last = url.searchParams.get("last");
    const n = url.searchParams.get("n");
    const rest = last === null ? all : all.filter((t) => t > last);
    const page = n === null ? rest : rest.slice(0, Number(n));
    const headers: Record<string, string> = {};
    if (this.tagLinks && n !== null && page.length < rest.length) {
      const next = `/v2/${repo}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1] ?? "")}`;
      headers.link = `<${next}>; rel="next"`;
    }
    sendJson(res, 200, { name: repo, tags: page }, headers);
  }

  private referrers(subject: string, url: URL, res: ServerResponse): void {
    const artifactType = url.searchParams.get("artifactType");
    const manifests: object[] = [];
    for (const [digest, m] of this.manifests) {
      const doc = JSON.parse(m.bytes.toString()) as {
        subject?: { digest: string };
        artifactType?: string;
        annotations?: Record<string, string>;
      };
      if (doc.subject?.digest !== subject) continue;
      if (artifactType !== null && this.filterReferrers && doc.artifactType !== artifactType)
        continue;
      manifests.push({
        mediaType: m.mediaType,
        digest,
        size: m.bytes.byteLength,
        ...(doc.artifactType ? { artifactType: doc.artifactType } : {}),
      });
    }
    const headers: Record<string, string> = { "content-type": MediaType.ImageIndex };
    if (artifactType !== null && this.filterReferrers)
      headers["oci-filters-applied"] = "artifactType";
    const body = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests }),
    );
    res.writeHead(200, { ...headers, "content-length": String(body.byteLength) });
    res.end(body);
  }
}
