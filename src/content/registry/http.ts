// Small HTTP helpers shared by the registry client and store: header access on undici's header
// objects, bounded body reads, `Link` paging, registry host names.
import type { IncomingHttpHeaders } from "node:http";
import { OcicompatError } from "../../oci/errors.js";
import { isLoopbackHost } from "./loopback.js";

export type HeaderMap = IncomingHttpHeaders | Record<string, string | string[] | undefined>;

/** One header value (repeated headers joined with ", "), or undefined. Names are lowercase. */
export function headerOf(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(", ") : value;
}

/** A body stream as text, reading at most `limit` bytes (the rest is dropped). */
export async function readText(
  body: AsyncIterable<Uint8Array>,
  limit = 64 * 1024,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for await (const chunk of body) {
      const room = limit - length;
      if (room <= 0) break;
      const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
      chunks.push(part);
      length += part.byteLength;
    }
  } catch {
    // An error body that breaks off is still worth what arrived.
  }
  return Buffer.concat(chunks, length).toString("utf8");
}

/** A body read whole, refusing (TOO_LARGE) past `limit` bytes without reading further. */
export async function readCapped(
  body: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => unknown },
  limit: number,
  subject: string,
  what: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    length += chunk.byteLength;
    if (length > limit) {
      body.destroy?.();
      throw new OcicompatError("TOO_LARGE", `${what} is larger than the ${limit}-byte limit`, {
        subject,
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

/** The `rel="next"` target of a `Link` header, or undefined. */
export function nextLink(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  const pattern = /<([^>]*)>((?:\s*;\s*[^;,]*)*)/g;
  for (const match of link.matchAll(pattern)) {
    for (const param of (match[2] ?? "").split(";")) {
      const eq = param.indexOf("=");
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "rel") continue;
      const rels = param
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, "")
        .toLowerCase()
        .split(/\s+/);
      if (rels.includes("next")) return match[1];
    }
  }
  return undefined;
}

/** `host[:port]` → the host name alone (IPv6 brackets removed), lowercased. */
export function hostnameOf(registry: string): string {
  if (registry.startsWith("[")) {
    const close = registry.indexOf("]");
    return (close < 0 ? registry.slice(1) : registry.slice(1, close)).toLowerCase();
  }
  const colons = registry.split(":").length - 1;
  // More than one colon without brackets: a bare IPv6 address.
  if (colons > 1) return registry.toLowerCase();
  const colon = registry.indexOf(":");
  return (colon < 0 ? registry : registry.slice(0, colon)).toLowerCase();
}

/** Loopback hosts default to plain HTTP: localhost (and *.localhost), 127.0.0.0/8, ::1 (loopback.ts). */
export function isLoopbackRegistry(registry: string): boolean {
  return isLoopbackHost(hostnameOf(registry));
}

/**
 * The scheme a client starts with, and the one switch it may make: a loopback host on the default
 * from HTTP to HTTPS (it answered as a TLS server answers HTTP), a registry with
 * `plainHttpFallback` from HTTPS to HTTP (it refused HTTPS or did not speak TLS).
 */
export function schemeOf(options: {
  registry: string;
  plainHttp?: boolean | undefined;
  plainHttpFallback?: boolean | undefined;
}): { scheme: "http" | "https"; switchTo: "http" | "https" | undefined } {
  const plain = options.plainHttp ?? isLoopbackRegistry(options.registry);
  const scheme = plain ? "http" : "https";
  if (options.plainHttp !== undefined) return { scheme, switchTo: undefined };
  if (plain) return { scheme, switchTo: "https" };
  return { scheme, switchTo: options.plainHttpFallback === true ? "http" : undefined };
}

/**
 * The URL of `path` (an API path, "/v2/...", or any other path or absolute URL, such as an
 * upload Location) on `base`: API paths move under `apiRoot` and carry `query`.
 */
export function registryUrl(
  base: string,
  path: string,
  apiRoot = "/v2",
  query?: Readonly<Record<string, string>>,
): URL {
  const isApiPath = path === "/v2" || path.startsWith("/v2/");
  if (!isApiPath) return new URL(path, `${base}/`);
  let moved = apiRoot === "/v2" ? path : `${apiRoot.replace(/\/$/, "")}${path.slice(3)}`;
  for (const [key, value] of Object.entries(query ?? {})) {
    // A next-page Link made from an earlier request may carry the parameter already.
    const asked = new URLSearchParams(moved.split("?")[1] ?? "");
    if (asked.get(key) !== value) moved = withQueryParam(moved, key, value);
  }
  return new URL(moved, `${base}/`);
}

/**
 * The headers of one hop: the configured ones (when they may go to this hop), then the user
 * agent, the request's own (its Authorization only on the request's first origin) and the
 * client's Authorization, each winning over what came before.
 */
export function hopHeaders(parts: {
  userAgent: string;
  configured: Readonly<Record<string, readonly string[]>> | undefined;
  requested: Readonly<Record<string, string>> | undefined;
  onFirstOrigin: boolean;
  authorization: string | undefined;
}): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(parts.configured ?? {})) {
    headers[name.toLowerCase()] = [...values];
  }
  headers["user-agent"] = parts.userAgent;
  for (const [name, value] of Object.entries(parts.requested ?? {})) {
    const lower = name.toLowerCase();
    if (lower === "authorization" && !parts.onFirstOrigin) continue;
    headers[lower] = value;
  }
  if (parts.authorization !== undefined) headers["authorization"] = parts.authorization;
  return headers;
}

/** Docker Hub's API lives on another host than its name. */
export function apiHostOf(registry: string): string {
  const host = registry.toLowerCase();
  return host === "docker.io" || host === "index.docker.io" ? "registry-1.docker.io" : registry;
}

/** Appends `name=value` to a URL's query, keeping the existing query exactly as it was. */
export function withQueryParam(url: string, name: string, value: string): string {
  const hash = url.indexOf("#");
  const base = hash < 0 ? url : url.slice(0, hash);
  const sep = base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?";
  return `${base}${sep}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
}

/** A media type without its parameters: `application/json; charset=utf-8` → `application/json`. */
export function bareMediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const bare = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return bare === "" ? undefined : bare;
}

/** A non-negative integer header (Content-Length), or undefined. */
export function numberHeader(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** The first byte of a `Content-Range: bytes START-END/TOTAL`. */
export function rangeStart(contentRange: string | undefined): number | undefined {
  const m = /^\s*bytes\s+(\d+)-/i.exec(contentRange ?? "");
  return m ? Number(m[1]) : undefined;
}

// Query parameters whose values are safe to show; every other value is replaced.
const SAFE_QUERY = new Set([
  "n",
  "last",
  "digest",
  "mount",
  "from",
  "artifacttype",
  "scope",
  "service",
]);

/** A URL fit for messages and logs: no user info, query values other than SAFE_QUERY's replaced. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const q = url.indexOf("?");
    return q < 0 ? url : `${url.slice(0, q)}?…`;
  }
  parsed.username = "";
  parsed.password = "";
  if (parsed.search === "") return parsed.toString();
  const parts: string[] = [];
  for (const [key, value] of parsed.searchParams) {
    parts.push(
      SAFE_QUERY.has(key.toLowerCase())
        ? `${encodeURIComponent(key)}=${encodeURIComponent(value)}`
        : `${encodeURIComponent(key)}=…`,
    );
  }
  return `${parsed.origin}${parsed.pathname}?${parts.join("&")}`;
}

/**
 * A `400` without a single header: what Go's TLS servers (distribution, Harbor, zot) write to a
 * request sent in plain HTTP. Any HTTP server of its own sends at least a Date or a length.
 */
export function isPlainHttpToTls(status: number, headers: Record<string, unknown>): boolean {
  return status === 400 && Object.keys(headers).length === 0;
}

/**
 * Whether a request body is a stream (a blob upload read as it is sent), as opposed to bytes in
 * hand: a stream cannot be sent twice, and goes chunked when a proxy forwards it.
 */
export function isStreamBody(body: unknown): body is AsyncIterable<Uint8Array> {
  return (
    body !== null && body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array)
  );
}
