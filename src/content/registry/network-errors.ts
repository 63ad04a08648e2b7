// Failures without an HTTP answer (refused, DNS, TLS, reset, timeout): which of them are transport
// failures, what they mean in words, whether trying again may help, and the RegistryError a
// request that met one ends with. errors.ts holds the error type and the answers' failures.
import { OcicompatError, errorMessage } from "../../oci/errors.js";
import { RegistryError, type ErrorContext } from "./errors.js";
import { systemCas, systemTrustEnabled } from "./system-ca.js";

export interface NetworkReason {
  text: string;
  temporary: boolean;
}

const NETWORK_REASONS: Record<string, NetworkReason> = {
  ECONNREFUSED: { text: "connection refused", temporary: false },
  ENOTFOUND: { text: "host name not found", temporary: false },
  EAI_NONAME: { text: "host name not found", temporary: false },
  EAI_AGAIN: { text: "name lookup failed temporarily", temporary: true },
  EHOSTUNREACH: { text: "host unreachable", temporary: false },
  ENETUNREACH: { text: "network unreachable", temporary: false },
  ECONNRESET: { text: "connection reset", temporary: true },
  EPIPE: { text: "connection closed while sending", temporary: true },
  ECONNABORTED: { text: "connection aborted", temporary: true },
  ETIMEDOUT: { text: "connection timed out", temporary: true },
  UND_ERR_CONNECT_TIMEOUT: { text: "connection timed out", temporary: true },
  UND_ERR_HEADERS_TIMEOUT: { text: "no answer in time (headers timeout)", temporary: true },
  UND_ERR_BODY_TIMEOUT: { text: "the answer stalled (body timeout)", temporary: true },
  UND_ERR_SOCKET: { text: "connection closed by the server", temporary: true },
  UND_ERR_CLOSED: { text: "connection closed", temporary: true },
  UND_ERR_ABORTED: { text: "request aborted", temporary: false },
};

/** undici's own deadlines: for the headers of an answer, and for silence inside a body. */
const DEADLINES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

const TLS_TRUST = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_UNTRUSTED",
]);

/**
 * The ways out a failure's message names, in the command line's words. A command whose sides
 * have their own flags (copy's `--src-tls-verify`) puts the side's flag in their place
 * (cli/copy-hints.ts), so both come from here.
 */
export function untrustedCertificateHint(skipFlag = "--insecure"): string {
  return `pass --ca-file with the CA, or ${skipFlag} to skip verification`;
}

export function clientCertificateHint(certDirFlag = "--cert-dir"): string {
  return `if the registry requires a client certificate, put NAME.cert and NAME.key in its certs.d directory, or pass ${certDirFlag}`;
}

/** The error code of a low-level failure, looking through `cause` chains. */
export function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") {
      // undici wraps socket errors; prefer the system code underneath when there is one.
      const inner = (current as { cause?: { code?: unknown } }).cause?.code;
      return typeof inner === "string" &&
        inner !== "" &&
        code.startsWith("UND_ERR") &&
        inner !== code
        ? inner
        : code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Trust failures that another set of CAs may cure (not an expired or misnamed certificate). */
const UNKNOWN_ISSUER = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_UNTRUSTED",
]);

/** Whether a connection failed because no trusted CA vouches for the certificate. */
export function isTrustFailure(err: unknown): boolean {
  return UNKNOWN_ISSUER.has(networkCode(err) ?? "");
}

/**
 * Whether an HTTPS connection failed in a way plain HTTP may not: refused, or answered by a
 * server that does not speak TLS (its HTTP reply read as a TLS record).
 */
export function isNotTlsEndpoint(err: unknown): boolean {
  const code = networkCode(err) ?? "";
  return code === "ECONNREFUSED" || code === "EPROTO" || code.startsWith("ERR_SSL");
}

/** Whether a thrown error is a transport failure (as opposed to ours or the caller's). */
export function isNetworkFailure(err: unknown): boolean {
  if (err instanceof OcicompatError) return false;
  const code = networkCode(err);
  if (code === undefined) return false;
  return (
    Object.hasOwn(NETWORK_REASONS, code) ||
    TLS_TRUST.has(code) ||
    code.startsWith("ERR_SSL") ||
    code === "EPROTO" ||
    code.startsWith("HPE_") ||
    code.startsWith("UND_ERR") ||
    code.startsWith("E")
  );
}

/** What went wrong with a connection, in words, and whether trying again may help. */
export function networkReason(err: unknown): NetworkReason {
  const code = networkCode(err) ?? "";
  if (Object.hasOwn(NETWORK_REASONS, code)) return NETWORK_REASONS[code] as NetworkReason;
  if (TLS_TRUST.has(code)) {
    const system = systemTrustEnabled() ? systemCas() : undefined;
    const tried =
      system === undefined ? "" : ` (the system's CAs, from ${system.sources.join(" and ")}, too)`;
    return {
      text: `its TLS certificate is not trusted${tried} (${code}); ${untrustedCertificateHint()}`,
      temporary: false,
    };
  }
  if (code.startsWith("ERR_SSL") || code === "EPROTO") {
    return {
      text: `the TLS handshake failed (${code}); if the registry speaks plain HTTP, pass --plain-http`,
      temporary: false,
    };
  }
  if (code.startsWith("HPE_")) {
    return {
      text: `it did not answer with HTTP (${code}); if it uses TLS, drop --plain-http`,
      temporary: false,
    };
  }
  const text = errorMessage(err);
  return { text: code ? `${text} (${code})` : text, temporary: false };
}

/**
 * A RegistryError for a request that got no HTTP answer. `beforeAnswer`: the connection failed
 * before any response (not in the middle of a body).
 */
export function errorFromNetwork(
  err: unknown,
  method: string,
  url: string,
  context: ErrorContext,
  attempts = 1,
  options: { beforeAnswer?: boolean } = {},
): RegistryError {
  const code = networkCode(err) ?? "";
  const plainHttp = url.startsWith("http:") && options.beforeAnswer === true;
  const reason = networkReason(err);
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
  // A TLS server hangs up on a plain-HTTP request without a word, and so does one that wants a
  // client certificate it was not given (Go's TLS 1.3 server, after the handshake).
  const hungUp =
    options.beforeAnswer === true && (code === "UND_ERR_SOCKET" || code === "ECONNRESET");
  const hint = !hungUp
    ? ""
    : plainHttp
      ? "; if the registry speaks HTTPS, do not use plain HTTP"
      : url.startsWith("https:")
        ? `; ${clientCertificateHint()}`
        : "";
  return new RegistryError({
    // A deadline that passed is a TIMEOUT, like the transfer floor and --timeout.
    code: DEADLINES.has(code) ? "TIMEOUT" : "UNREACHABLE",
    message: `cannot reach ${context.registry}: ${reason.text}${tries}${hint}`,
    temporary: reason.temporary,
    method,
    url,
    subject: context.registry,
    cause: err,
  });
}

/** Whether a network failure is worth retrying. */
export function isTemporaryNetworkFailure(err: unknown): boolean {
  const code = networkCode(err);
  if (code === undefined) return false;
  return Object.hasOwn(NETWORK_REASONS, code)
    ? (NETWORK_REASONS[code] as NetworkReason).temporary
    : false;
}
