// What a registry client is given and gives back: its options, one request, one response.
// The client itself is client.ts.
import type { Dispatcher } from "undici";
import type { CredentialProvider } from "../auth/credentials.js";
import type { ErrorContext } from "./errors.js";
import type { ProxyEnvironment } from "./proxy-env.js";
import type { RetryPolicy } from "./retry.js";
import type { TransferFloor } from "./transfer-guard.js";

export interface RegistryClientOptions {
  /** `host[:port]` as in a reference: `registry.example`, `127.0.0.1:5000`, `docker.io`. */
  registry: string;
  /** Speak HTTP instead of HTTPS. Default: true for loopback hosts, false otherwise. */
  plainHttp?: boolean;
  /** Skip TLS certificate verification. */
  insecure?: boolean;
  /**
   * HTTPS first, and plain HTTP from then on if the registry refuses the HTTPS connection or does
   * not speak TLS: what containers/image does for a registry marked `insecure` in
   * registries.conf. Ignored with `plainHttp` set.
   */
  plainHttpFallback?: boolean;
  /** A PEM file of CA certificates to trust besides the system's. */
  caFile?: string;
  /**
   * A certs.d directory (`*.crt` CAs, `*.cert`/`*.key` client certificates) to use as it is.
   * Default: the registry's directory in $HOME/.config/containers/certs.d, /etc/containers/certs.d
   * or /etc/docker/certs.d, as podman and skopeo look it up (cert-dir.ts); false: none.
   */
  certDir?: string | false;
  /**
   * Where the distribution API lives on the host: "/v2" by default. A mirror may serve it under a
   * prefix (containerd's hosts.toml); paths the client is given start with "/v2" either way.
   */
  apiRoot?: string;
  /** Query parameters added to every API request (containerd's `ns`, naming a mirror's upstream). */
  query?: Readonly<Record<string, string>>;
  /**
   * Headers sent with every request to the registry and to the token service its 401 names
   * (containerd's hosts.toml [header]); never to a redirect target on another origin. The
   * client's own headers (Authorization, User-Agent, Accept, ...) win over them.
   */
  headers?: Readonly<Record<string, readonly string[]>>;
  /** More TLS material from files: CAs, and client certificates (a key in the cert file if none). */
  tlsFiles?: { cas: readonly string[]; clientCerts: readonly { cert: string; key?: string }[] };
  /** Where credentials come from; default: none (anonymous). */
  credentials?: CredentialProvider;
  /** Default: `ocicompat/VERSION`. */
  userAgent?: string;
  retry?: Partial<RetryPolicy>;
  /** Called before every HTTP request this client sends (redirect hops and tokens included). */
  onRequest?: (method: string, url: string) => void;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** Deadline for each answer's headers (per HTTP exchange, not refreshed by trickled bytes). Default 30 s. */
  headersTimeoutMs?: number;
  /** Longest silence inside a response body. Default 60 s (the transfer floor trips first). */
  bodyTimeoutMs?: number;
  /**
   * The minimum transfer rate of response bodies over a sliding window; slower fails with
   * TIMEOUT. Default 1024 bytes/s over 30 s; `minBytesPerSecond: 0` turns it off.
   */
  transferFloor?: Partial<TransferFloor>;
  /** Default 5. */
  maxRedirects?: number;
  /**
   * Offer HTTP/2 over TLS and send the requests in flight on one connection when the registry
   * accepts it. Only for clients that read manifests and small blobs (multiplexing.ts says why).
   * Default false.
   */
  http2?: boolean;
  /**
   * Proxies. Default: HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lower-case forms) from the
   * environment, read as Go's clients read them (proxy-env.ts); these values instead; or false to
   * connect directly whatever the environment says.
   */
  proxy?: ProxyEnvironment | false;
}

export type HttpMethod = "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";

export interface RegistryRequest {
  method: HttpMethod;
  /** A path on the registry (`/v2/...`) or an absolute URL (an upload `Location`). */
  url: string;
  headers?: Record<string, string>;
  /**
   * A stream is sent as it is read (a streamed blob upload). It cannot be sent twice, so such a
   * request is never retried, redirected or repeated after a 401: the caller starts over.
   */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  /** Token scopes the request needs (`repository:team/app:pull`). */
  scopes?: readonly string[];
  /**
   * Statuses that are answers rather than failures. Default: any 2xx. "any" returns every
   * status (after retries of temporary ones).
   */
  accept?: readonly number[] | "any";
  /** Retry temporary failures. Default: true for GET, HEAD, PUT and DELETE. */
  retry?: boolean;
  /** Follow redirects. Default: true for GET and HEAD. */
  followRedirects?: boolean;
  /** No Authorization from this client and no challenge handling (token requests). */
  anonymous?: boolean;
  /** What the request is about, for error messages. */
  context?: Omit<ErrorContext, "registry">;
  /** Cancels the request, its body and its retries. */
  signal?: AbortSignal | undefined;
}

export interface RegistryResponse {
  status: number;
  /** The URL that answered (after redirects); relative `Location`s resolve against it. */
  url: string;
  header(name: string): string | undefined;
  /** Must be consumed or dumped by the caller. */
  body: Dispatcher.ResponseData["body"];
}

/**
 * Where one attempt of a request went: the origin of its first hop (a change of scheme is judged
 * by it), and the redirect target it was last sent on to, whose failure is not the registry's.
 */
export interface Hops {
  origin?: string;
  redirectedTo?: URL | undefined;
}
