// How requests reach their origin through a proxy (proxy-env.ts says which proxy, if any).
// * https:// origins get a tunnel: a CONNECT to the proxy, then the origin's own TLS handshake
//   inside it, with the same certificate checks, --ca-file and HTTP/2 offer as without a proxy.
//   The proxy sees the host name and port, never the requests or the credentials.
// * http:// origins are forwarded: each request goes to the proxy with the absolute URL, as Go's
//   client does (many proxies allow CONNECT to port 443 only, and a plain-HTTP registry rarely
//   listens there).
// * Credentials from the proxy URL go in `Proxy-Authorization`, to the proxy only.
// One undici Pool per proxy carries both; a tunnel takes its connection over, a forwarded request
// shares it. Failures come back as ProxyFailure, which `proxyError` turns into the message a
// user needs (which proxy, which variable, what it said).
import type { Socket } from "node:net";
import type { Dispatcher, buildConnector } from "undici";
import { OcicompatError } from "../../oci/errors.js";
import { RegistryError } from "./errors.js";
import { networkReason } from "./network-errors.js";
import { isStreamBody } from "./http.js";
import {
  proxyEnvironment,
  proxyFor,
  proxySettings,
  type Proxy,
  type ProxyEnvironment,
  type ProxySettings,
} from "./proxy-env.js";
import { closeDispatcher, Pool } from "./undici-agent.js";

type Connector = buildConnector.connector;

/** Reaching a proxy, or what it answered, failed. */
export class ProxyFailure extends Error {
  // No `code` of its own: what the failure's cause says (a refused connection, an untrusted
  // certificate) is what the registry client's rules (retries, the system's CAs) look at.
  constructor(
    readonly proxy: Proxy,
    /** `host:port` the proxy was to reach. */
    readonly target: string,
    readonly detail: { status: number } | { cause: unknown },
  ) {
    super(
      "status" in detail
        ? `the proxy ${proxy.origin} answered ${detail.status} for ${target}`
        : `cannot reach the proxy ${proxy.origin}`,
      "cause" in detail ? { cause: detail.cause } : undefined,
    );
    this.name = "ProxyFailure";
  }
}

export interface ProxyTransport {
  /** undici's `connect`: tunnels for proxied https:// origins, `endpoint` for the rest. */
  connect: Connector;
  /** Sends proxied http:// requests to their proxy. */
  interceptor: Dispatcher.DispatcherComposeInterceptor;
  close(): Promise<void>;
}

export interface ProxyTransportOptions {
  /** How a connection to an origin is made (TLS checks, HTTP/2 offer); takes `httpSocket`. */
  endpoint: Connector;
  /** How a connection to a proxy is made (TLS for an https:// proxy, no HTTP/2). */
  proxyEndpoint: Connector;
  /** The wait for a proxy's answer to CONNECT. */
  connectTimeoutMs: number;
}

/**
 * The transport for the proxies a client is given (`proxy`), or those the environment names;
 * undefined when nothing is proxied. `connector` makes connections with or without HTTP/2.
 */
export function clientProxyTransport(
  options: { proxy?: ProxyEnvironment | false; http2?: boolean; connectTimeoutMs?: number },
  connector: (http2: boolean) => Connector,
): ProxyTransport | undefined {
  if (options.proxy === false) return undefined;
  const settings = proxySettings(options.proxy ?? proxyEnvironment(process.env));
  if (settings === undefined) return undefined;
  return proxyTransport(settings, {
    endpoint: connector(options.http2 === true),
    proxyEndpoint: connector(false),
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
  });
}

export function proxyTransport(
  settings: ProxySettings,
  options: ProxyTransportOptions,
): ProxyTransport {
  const pools = new Map<string, Pool>();
  const poolFor = (proxy: Proxy): Pool => {
    let pool = pools.get(proxy.origin);
    if (pool === undefined) {
      pool = new Pool(proxy.origin, {
        connect: options.proxyEndpoint,
        headersTimeout: options.connectTimeoutMs,
      });
      pools.set(proxy.origin, pool);
    }
    return pool;
  };

  const connect: Connector = (params, callback) => {
    const proxy = params.protocol === "https:" ? proxyFor(settings, originUrl(params)) : undefined;
    if (proxy === undefined) {
      options.endpoint(params, callback);
      return;
    }
    const target = authority(params.hostname, params.port, 443);
    const headers: Record<string, string> = { host: target };
    if (proxy.authorization !== undefined) headers["proxy-authorization"] = proxy.authorization;
    poolFor(proxy)
      .connect({ path: target, headers })
      .then(
        ({ statusCode, socket }) => {
          if (statusCode !== 200) {
            socket.destroy();
            callback(new ProxyFailure(proxy, target, { status: statusCode }), null);
            return;
          }
          // The socket to the proxy (TLS for an https:// proxy) now carries the origin's bytes;
          // the origin's own TLS handshake runs over it.
          options.endpoint({ ...params, httpSocket: socket as Socket }, callback);
        },
        (err: unknown) => callback(new ProxyFailure(proxy, target, { cause: err }), null),
      );
  };

  const interceptor: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
    const origin = new URL(String(opts.origin));
    const proxy = origin.protocol === "http:" ? proxyFor(settings, origin) : undefined;
    if (proxy === undefined) return dispatch(opts, handler);
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string>) };
    headers["host"] ??= origin.host;
    if (proxy.authorization !== undefined) headers["proxy-authorization"] = proxy.authorization;
    // A streamed body (a blob upload) goes chunked, as Go's client sends it: squid 5 drops a
    // forwarded request whose large Content-Length body arrives faster than it passes it on
    // (curl fails the same way, skopeo's chunked uploads pass). The blob's size and digest are
    // still checked as it is read (upload.ts), and by the registry when the upload closes.
    if (isStreamBody(opts.body)) delete headers["content-length"];
    return poolFor(proxy).dispatch(
      { ...opts, origin: proxy.origin, path: `${origin.origin}${opts.path}`, headers },
      new ForwardedHandler(handler, proxy, origin.host),
    );
  };

  return {
    connect,
    interceptor,
    close: async () => {
      await Promise.all([...pools.values()].map((p) => closeDispatcher(p)));
    },
  };
}

/** The origin a connection is for, as a URL (what NO_PROXY is matched against). */
function originUrl(params: buildConnector.Options): URL {
  return new URL(`${params.protocol}//${params.host}`);
}

/** `host:port` for CONNECT, with brackets around an IPv6 address. */
function authority(hostname: string, port: string, defaultPort: number): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `${host}:${port === "" ? defaultPort : port}`;
}

/** A forwarded request's handler: the proxy's own refusals and failures become ProxyFailure. */
class ForwardedHandler implements Dispatcher.DispatchHandler {
  private answered = false;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly proxy: Proxy,
    private readonly target: string,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseStart"]>>[2],
    statusMessage?: string,
  ): void {
    if (statusCode === 407) {
      controller.abort(new ProxyFailure(this.proxy, this.target, { status: statusCode }));
      return;
    }
    this.answered = true;
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseEnd"]>>[1],
  ): void {
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    const failure =
      this.answered || error instanceof ProxyFailure || error instanceof OcicompatError
        ? error
        : new ProxyFailure(this.proxy, this.target, { cause: error });
    this.inner.onResponseError?.(controller, failure);
  }
}

/**
 * The error for a request that failed at or through a proxy, or undefined when `err` is not a
 * ProxyFailure. `registry` is what the user named; `temporary` failures may be retried.
 */
export function proxyError(
  err: unknown,
  request: { method: string; url: string; registry: string },
): RegistryError | undefined {
  const failure = findFailure(err);
  if (failure === undefined) return undefined;
  const { proxy, target, detail } = failure;
  const via = `the proxy ${proxy.origin} (from ${proxy.variable})`;
  const base = { method: request.method, url: request.url, subject: request.registry, cause: err };
  if ("cause" in detail) {
    const reason = networkReason(detail.cause);
    return new RegistryError({
      ...base,
      code: "UNREACHABLE",
      message: `cannot reach ${via}: ${reason.text}`,
      temporary: reason.temporary,
    });
  }
  if (detail.status === 407) {
    const what =
      proxy.authorization === undefined
        ? `asks for credentials; give them in ${proxy.variable} as ${proxy.origin.replace("//", "//USER:PASSWORD@")}`
        : `refused the credentials in ${proxy.variable}`;
    return new RegistryError({
      ...base,
      code: "AUTH",
      status: 407,
      message: `${via} ${what} (407 Proxy Authentication Required)`,
      temporary: false,
    });
  }
  return new RegistryError({
    ...base,
    code: "UNREACHABLE",
    status: detail.status,
    message: `${via} answered ${detail.status} when asked to connect to ${target}`,
    temporary: detail.status === 502 || detail.status === 503 || detail.status === 504,
  });
}

function findFailure(err: unknown): ProxyFailure | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof ProxyFailure) return current;
    current = current.cause;
  }
  return undefined;
}
