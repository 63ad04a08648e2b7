// The HTTP side of one registry host: a single undici Agent (so connections are reused across
// every repository and request of the host), authentication, retries and redirects. Stores
// (store.ts) build OCI distribution requests on top of `request()`.
//
// * Scheme: loopback hosts (localhost, 127.0.0.0/8, ::1) default to plain HTTP; any other host
//   only with `plainHttp: true`. A loopback registry on the default that answers as a TLS server
//   answers plain HTTP (Go's bare `400`) is spoken to over HTTPS from then on, as Docker tries
//   HTTPS first for such hosts; certificates are checked as for any HTTPS registry. With
//   `plainHttpFallback` (registries.conf `insecure`), HTTPS that the registry's own origin refuses
//   or does not speak, before it has answered, moves the client to plain HTTP, as containers/image
//   does; a redirect target's failure never does.
// * Retries: 408/429/500/502/503/504 and connection resets/timeouts, for requests marked
//   retryable (GET, HEAD, PUT, DELETE by default; upload steps are restarted by the store
//   instead). Exponential backoff with jitter, `Retry-After` honoured (capped), attempts and total
//   time bounded. Connection refused, unknown hosts and TLS failures are not retried.
// * Redirects are followed by hand for GET and HEAD (blob downloads are often sent to storage),
//   and Authorization is dropped whenever the next hop is on another origin.
// * Credentials for the registry go to the registry and to the token realm its own 401 names,
//   nowhere else: a 401 from any other host (a redirect target, a foreign upload Location) is an
//   AUTH error naming both hosts; its challenge is never answered (containerd CVE-2020-15157).
// * Deadlines: undici's headers timeout bounds the wait for each answer's headers, and the
//   transfer floor (transfer-guard.ts) fails a body that arrives slower than a minimum rate.
// * `signal` cancels a request: the exchange in flight, its body, and any retry wait stop at once
//   with the signal's reason (an OcicompatError) or CANCELLED.
// * Nothing logs: `onRequest` receives the method and a URL whose query values are redacted.
import type { Dispatcher } from "undici";
import { OcicompatError } from "../../oci/errors.js";
import { VERSION } from "../../version.js";
import { Authenticator } from "../auth/authenticator.js";
import { errorFromResponse, isTemporaryStatus, redactUrl, type ErrorContext } from "./errors.js";
import { isNotTlsEndpoint, isTrustFailure } from "./network-errors.js";
import {
  apiHostOf,
  headerOf,
  hopHeaders,
  isPlainHttpToTls,
  isStreamBody,
  readText,
  registryUrl,
  schemeOf,
} from "./http.js";
import { clientConnectors } from "./connector.js";
import { settleScheme, switchScheme, type SchemeState } from "./scheme-switch.js";
import { unansweredError } from "./unanswered.js";
import { foreignChallenge, unauthorized } from "./unauthorized.js";
import { multiplexingOptions } from "./multiplexing.js";
import { clientProxyTransport, type ProxyTransport } from "./proxy-transport.js";
import { enableSystemTrust, systemTrustEnabled } from "./system-ca.js";
import { Agent, closeDispatcher } from "./undici-agent.js";
import { backoffDelay, mayRetry, parseRetryAfter, retryPolicy, type RetryPolicy } from "./retry.js";
import { DEFAULT_TRANSFER_FLOOR, transferFloorInterceptor } from "./transfer-guard.js";
import {
  cancellableSleep,
  cancellation,
  linkedSignal,
  raceCancellation,
  throwIfCancelled,
} from "../cancel.js";

export type {
  HttpMethod,
  RegistryClientOptions,
  RegistryRequest,
  RegistryResponse,
} from "./client-types.js";
import type {
  HttpMethod,
  Hops,
  RegistryClientOptions,
  RegistryRequest,
  RegistryResponse,
} from "./client-types.js";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const IDEMPOTENT = new Set<HttpMethod>(["GET", "HEAD", "PUT", "DELETE"]);

export class RegistryClient {
  /** The registry as the user named it (credentials and messages use this). */
  readonly registry: string;
  /** `https://host[:port]` (Docker Hub's API host for docker.io). */
  get baseUrl(): string {
    return `${this.scheme.scheme}://${this.apiHost}`;
  }
  readonly retryPolicy: RetryPolicy;
  /** Per repository: whether the referrers API answered (true) or is missing (false). */
  readonly referrersApi = new Map<string, boolean>();
  private readonly apiHost: string;
  /** Where the API lives on the host, and what every request to it carries (hosts.toml). */
  private readonly endpoint: Pick<RegistryClientOptions, "apiRoot" | "query" | "headers">;
  private readonly scheme: SchemeState;
  private readonly agent: Agent;
  /** How proxied requests travel; undefined when nothing is proxied. */
  private readonly proxy: ProxyTransport | undefined;
  private readonly dispatcher: Dispatcher;
  private readonly auth: Authenticator;
  private readonly userAgent: string;
  private readonly onRequest: ((method: string, url: string) => void) | undefined;
  private readonly headersTimeout: number;
  private readonly bodyTimeout: number;
  private readonly maxRedirects: number;
  private closed = false;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.apiHost = apiHostOf(options.registry);
    this.endpoint = options;
    this.scheme = { ...schemeOf(options), left: undefined };
    this.retryPolicy = retryPolicy(options.retry);
    this.userAgent = options.userAgent ?? `ocicompat/${VERSION}`;
    this.onRequest = options.onRequest;
    this.headersTimeout = options.headersTimeoutMs ?? 30_000;
    this.bodyTimeout = options.bodyTimeoutMs ?? 60_000;
    this.maxRedirects = options.maxRedirects ?? 5;
    const connector = clientConnectors(options);
    this.proxy = clientProxyTransport(options, connector);
    this.agent = new Agent({
      connect: this.proxy?.connect ?? connector(options.http2 === true),
      headersTimeout: this.headersTimeout,
      bodyTimeout: this.bodyTimeout,
      ...(options.http2 === true ? multiplexingOptions() : {}),
    });
    // The floor wraps the proxy's routing, so forwarded requests are held to it too.
    this.dispatcher = this.agent.compose(
      ...(this.proxy === undefined ? [] : [this.proxy.interceptor]),
      transferFloorInterceptor({ ...DEFAULT_TRANSFER_FLOOR, ...options.transferFloor }),
    );
    this.auth = new Authenticator({
      registry: options.registry,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      http: async (req) => {
        const res = await this.request({
          method: req.method,
          url: req.url,
          headers: req.headers,
          ...(req.body === undefined ? {} : { body: req.body }),
          anonymous: true,
          accept: "any",
          retry: true,
          context: { what: "token" },
        });
        return { status: res.status, text: await readText(res.body, 1024 * 1024) };
      },
    });
  }

  /** `GET /v2/`: checks that the registry answers and that the credentials are accepted. */
  async ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.request({
      method: "GET",
      url: "/v2/",
      context: { what: "API check" },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    await res.body.dump();
  }

  /** Closes the pooled connections. The client cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([closeDispatcher(this.agent), this.proxy?.close()]);
  }

  /** Sends one logical request: authentication, retries and redirects included. */
  async request(req: RegistryRequest): Promise<RegistryResponse> {
    throwIfCancelled(req.signal);
    // One link to the caller's signal for the whole logical request (every hop and retry, and
    // the body returned), undone when the body closes or the request fails.
    const link = req.signal === undefined ? undefined : linkedSignal(req.signal);
    try {
      const res = await this.send(req, link?.signal);
      if (link !== undefined) {
        if (res.body.closed) link.dispose();
        else res.body.once("close", () => link.dispose());
      }
      return res;
    } catch (err) {
      link?.dispose();
      if (req.signal?.aborted) throw cancellation(req.signal);
      throw err;
    }
  }

  private async send(
    req: RegistryRequest,
    signal: AbortSignal | undefined,
  ): Promise<RegistryResponse> {
    const context: ErrorContext = { registry: this.registry, ...req.context };
    const retryable = !isStreamBody(req.body) && (req.retry ?? IDEMPOTENT.has(req.method));
    const policy = this.retryPolicy;
    const started = Date.now();
    let resent = false; // over the other scheme, at most once
    for (let attempt = 1; ; attempt++) {
      let answer: { res: Dispatcher.ResponseData; url: URL };
      const withSystemCas = systemTrustEnabled();
      const hops: Hops = {};
      try {
        answer = await this.attempt(req, signal, hops);
      } catch (err) {
        // A certificate Node's CAs do not vouch for: once more with the system's (system-ca.ts).
        // A streamed body cannot be sent twice; the switch stays on for what follows anyway.
        if (
          !withSystemCas &&
          isTrustFailure(err) &&
          enableSystemTrust() &&
          !isStreamBody(req.body)
        ) {
          attempt--;
          continue;
        }
        const sentTo = hops.origin ?? this.resolve(req.url).origin;
        // A redirect target that fails (storage) says nothing about the registry's scheme.
        const hop = hops.redirectedTo;
        if (!hop && isNotTlsEndpoint(err) && !resent && this.switchScheme(req, "http", sentTo)) {
          resent = true;
          attempt = 0; // the HTTP attempts count from one
          continue;
        }
        const failure = unansweredError(
          err,
          attempt,
          { method: req.method, url: this.resolve(req.url), redirectedTo: hop },
          context,
          this.origin,
        );
        if (failure === undefined) throw err;
        const delay = backoffDelay(policy, attempt, undefined);
        if (retryable && failure.temporary && mayRetry(policy, attempt, started, delay)) {
          await cancellableSleep(delay, signal);
          continue;
        }
        throw failure;
      }
      const { res, url } = answer;
      const status = res.statusCode;
      const tlsToPlain = isPlainHttpToTls(status, res.headers) && url.origin === hops.origin;
      if (tlsToPlain && !resent && this.switchScheme(req, "https", url.origin)) {
        resent = true;
        await res.body.dump().catch(() => undefined);
        attempt = 0; // the HTTPS attempts count from one
        continue;
      }
      const listed = Array.isArray(req.accept) && req.accept.includes(status);
      if (!listed && retryable && isTemporaryStatus(status)) {
        const retryAfter = parseRetryAfter(headerOf(res.headers, "retry-after"));
        const delay = backoffDelay(policy, attempt, retryAfter);
        if (mayRetry(policy, attempt, started, delay)) {
          await res.body.dump().catch(() => undefined);
          await cancellableSleep(delay, signal);
          continue;
        }
      }
      const accepted =
        req.accept === "any"
          ? true
          : listed || (req.accept === undefined && status >= 200 && status < 300);
      if (accepted) {
        return {
          status,
          url: url.href,
          header: (name) => headerOf(res.headers, name),
          body: res.body,
        };
      }
      const body = await readText(res.body);
      throw errorFromResponse({
        method: req.method,
        url: url.href,
        status,
        ...(res.statusText ? { statusText: res.statusText } : {}),
        body,
        context,
        attempts: attempt,
        ...(Object.keys(res.headers).length === 0 ? { bare: true } : {}),
        ...(status === 401 ? await unauthorized(this.auth, res.headers) : {}),
      });
    }
  }

  private get origin(): string {
    return new URL(this.baseUrl).origin;
  }

  /** Whether `req`, sent to `sentTo`, goes again over `to` (scheme-switch.ts). */
  private switchScheme(req: RegistryRequest, to: "http" | "https", sentTo: string): boolean {
    const next = () => this.resolve(req.url).origin;
    return switchScheme(this.scheme, to, sentTo, this.origin, next, !isStreamBody(req.body));
  }

  /** Absolute URL for a request path or Location. */
  resolve(url: string): URL {
    return registryUrl(this.baseUrl, url, this.endpoint.apiRoot, this.endpoint.query);
  }

  private async attempt(
    req: RegistryRequest,
    signal: AbortSignal | undefined,
    hops: Hops,
  ): Promise<{ res: Dispatcher.ResponseData; url: URL }> {
    if (req.anonymous) return this.follow(req, undefined, signal, hops);
    const scopes = req.scopes ?? [];
    // Token fetches are shared between requests: one caller's signal stops its own wait only.
    const sent = await raceCancellation(this.auth.authorization(scopes), signal);
    const first = await this.follow(req, sent, signal, hops);
    if (first.res.statusCode !== 401) return first;
    const challenge = headerOf(first.res.headers, "www-authenticate");
    let retry: string | undefined;
    try {
      retry = await raceCancellation(this.auth.respond(challenge, scopes, sent), signal);
    } catch (err) {
      await first.res.body.dump().catch(() => undefined);
      throw err;
    }
    if (retry === undefined || isStreamBody(req.body)) return first;
    await first.res.body.dump().catch(() => undefined);
    return this.follow(req, retry, signal, hops);
  }

  /**
   * One exchange, following redirects. Authorization only ever goes to the registry's origin
   * (or, for a token request, to the realm asked), and a 401 from anywhere else is refused here,
   * before anyone could answer its challenge.
   */
  private async follow(
    req: RegistryRequest,
    authorization: string | undefined,
    signal: AbortSignal | undefined,
    hops: Hops,
  ): Promise<{ res: Dispatcher.ResponseData; url: URL }> {
    if (this.closed)
      throw new OcicompatError("INTERNAL", `the client for ${this.registry} is closed`);
    const followRedirects =
      !isStreamBody(req.body) &&
      (req.followRedirects ?? (req.method === "GET" || req.method === "HEAD"));
    let url = this.resolve(req.url);
    const firstOrigin = url.origin;
    hops.origin = firstOrigin; // where it went, for a change of scheme (send)
    hops.redirectedTo = undefined;
    // Whose 401 may be answered: the registry's; for a token request, the realm's.
    const trustedOrigin = req.anonymous ? firstOrigin : this.origin;
    let method: HttpMethod = req.method;
    let body = req.body;
    for (let hop = 0; ; hop++) {
      const onFirstOrigin = url.origin === firstOrigin;
      // Configured headers go to the registry, and to the token service its 401 named.
      const configuredGo =
        url.origin === this.origin || (req.context?.what === "token" && onFirstOrigin);
      const headers = hopHeaders({
        userAgent: this.userAgent,
        configured: configuredGo ? this.endpoint.headers : undefined,
        requested: req.headers,
        onFirstOrigin,
        authorization: onFirstOrigin && url.origin === this.origin ? authorization : undefined,
      });
      this.onRequest?.(method, redactUrl(url.href));
      const res = await this.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        // undici sends async iterables chunk by chunk, awaiting the socket (its types omit them).
        body: (body ?? null) as Uint8Array | null,
        headersTimeout: this.headersTimeout,
        bodyTimeout: this.bodyTimeout,
        // undici closes the connection after every HEAD, in case a server sends a body anyway:
        // then each existence check and each warm `select` pays a new TCP connection (and TLS
        // handshake). Registries answer HEAD without a body, and Go's client (skopeo, containerd)
        // keeps the connection too.
        ...(method === "HEAD" ? { reset: false } : {}),
        ...(signal === undefined ? {} : { signal }),
      });
      // An answer from the registry settles its scheme, before any redirect target is tried.
      if (!isPlainHttpToTls(res.statusCode, res.headers)) {
        settleScheme(this.scheme, url.origin, this.origin);
      }
      if (res.statusCode === 401 && url.origin !== trustedOrigin) {
        await res.body.dump().catch(() => undefined);
        throw foreignChallenge(this.registry, req, url, trustedOrigin, hop > 0);
      }
      const location = headerOf(res.headers, "location");
      if (!followRedirects || !REDIRECTS.has(res.statusCode) || location === undefined) {
        return { res, url };
      }
      await res.body.dump().catch(() => undefined);
      if (hop >= this.maxRedirects) {
        throw new OcicompatError(
          "REGISTRY",
          `${this.registry}: more than ${this.maxRedirects} redirects for ${req.method} ${redactUrl(this.resolve(req.url).href)}`,
        );
      }
      url = new URL(location, url);
      hops.redirectedTo = url;
      if (res.statusCode === 303 && method !== "HEAD") {
        method = "GET";
        body = undefined;
      }
    }
  }
}
