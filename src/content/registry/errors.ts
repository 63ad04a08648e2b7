// Registry failures as one error type. HTTP answers carry the status and the OCI error codes of
// the body (`{"errors":[{"code","message","detail"}]}`); failures without an answer (refused,
// DNS, TLS, reset, timeout) carry no status. `temporary` says whether trying again later may help.
// The URL kept on the error has its query values redacted (signed storage URLs carry secrets in
// the query), and no error ever holds a header value.
import { OcicompatError, type ErrorCode } from "../../oci/errors.js";
import { redactUrl } from "./http.js";

export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

export interface RegistryErrorInit {
  code: ErrorCode;
  message: string;
  status?: number;
  registryCodes?: readonly string[];
  errors?: readonly RegistryErrorEntry[];
  temporary: boolean;
  method: string;
  url: string;
  subject?: string;
  cause?: unknown;
}

export class RegistryError extends OcicompatError {
  /** The HTTP status, or undefined when no answer came. */
  readonly status: number | undefined;
  /** OCI error codes from the body: `MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, `DENIED`, ... */
  readonly registryCodes: readonly string[];
  readonly errors: readonly RegistryErrorEntry[];
  /** Whether the same request may succeed later (429, 5xx, resets, timeouts). */
  readonly temporary: boolean;
  readonly method: string;
  /** The request URL, query values redacted. */
  readonly url: string;

  constructor(init: RegistryErrorInit) {
    const options: { subject?: string; cause?: unknown } = {};
    if (init.subject !== undefined) options.subject = init.subject;
    if (init.cause !== undefined) options.cause = init.cause;
    super(init.code, init.message, options);
    this.name = "RegistryError";
    this.status = init.status;
    this.registryCodes = init.registryCodes ?? [];
    this.errors = init.errors ?? [];
    this.temporary = init.temporary;
    this.method = init.method;
    this.url = redactUrl(init.url);
  }

  hasCode(code: string): boolean {
    return this.registryCodes.includes(code);
  }
}

export function isRegistryError(err: unknown): err is RegistryError {
  return err instanceof RegistryError;
}

/** What a request was about, for messages. */
export interface ErrorContext {
  /** `127.0.0.1:5000`: the registry as the user named it. */
  registry: string;
  repository?: string;
  /** A tag or digest. */
  reference?: string;
  /** `manifest`, `blob`, `upload`, `tag list`, `referrers`, `token`... */
  what?: string;
}

// URLs in messages are redacted by http.ts; re-exported for the modules that build errors.
export { redactUrl } from "./http.js";

/** The entries of an OCI error body; [] when the body is something else. */
export function parseErrorBody(text: string): RegistryErrorEntry[] {
  if (text === "" || !/^\s*\{/.test(text)) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (value === null || typeof value !== "object") return [];
  const errors = (value as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  const entries: RegistryErrorEntry[] = [];
  for (const e of errors) {
    if (e === null || typeof e !== "object") continue;
    const { code, message, detail } = e as Record<string, unknown>;
    if (typeof code !== "string") continue;
    const entry: RegistryErrorEntry = {
      code: code.toUpperCase(),
      message: typeof message === "string" ? message : "",
    };
    if (detail !== undefined) entry.detail = detail;
    entries.push(entry);
  }
  return entries;
}

const TEMPORARY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export function isTemporaryStatus(status: number): boolean {
  return TEMPORARY_STATUSES.has(status);
}

export interface ResponseFailure {
  method: string;
  url: string;
  status: number;
  statusText?: string;
  body: string;
  context: ErrorContext;
  /** How many times the request was sent (retries included). */
  attempts?: number;
  /** For 401: whether credentials were sent, and whose. */
  credentials?: string;
  /** For 401 without credentials: where they were looked for (files read, with what they held). */
  searched?: string[];
  /** For 401: the option that withheld credentials on purpose (`--no-creds`). */
  withheldBy?: string;
  /** For 401: the scope a Bearer challenge said was missing (`error="insufficient_scope"`). */
  insufficientScope?: string;
  /** The answer carried no header at all. */
  bare?: boolean;
}

/**
 * Whether a 400 is a TLS server's answer to plain HTTP. Go's (distribution, Harbor, zot) writes a
 * bare `400` with this sentence: no header at all, and so no body to read after a HEAD.
 */
function fromTlsServer(failure: ResponseFailure): boolean {
  return (
    failure.status === 400 &&
    failure.url.startsWith("http:") &&
    (/client sent an HTTP request to an HTTPS server/i.test(failure.body) || failure.bare === true)
  );
}

function searchedIn(places: readonly string[] | undefined): string {
  return places === undefined || places.length === 0 ? "" : ` in ${places.join(", ")}`;
}

/** A RegistryError for an HTTP answer that is a failure. */
export function errorFromResponse(failure: ResponseFailure): RegistryError {
  const { status, context } = failure;
  const errors = parseErrorBody(failure.body);
  const codes = errors.map((e) => e.code);
  const where = context.repository ? `${context.registry}/${context.repository}` : context.registry;
  const said = registrySaid(errors, failure.body, status);
  const tries =
    failure.attempts !== undefined && failure.attempts > 1
      ? ` after ${failure.attempts} attempts`
      : "";
  let code: ErrorCode = "REGISTRY";
  let message: string;
  const has = (c: string) => codes.includes(c);
  const subject =
    context.reference === undefined ? where : `${where}${refSuffix(context.reference)}`;

  if (fromTlsServer(failure)) {
    code = "UNREACHABLE";
    // A loopback registry on the plain-HTTP default has been moved to HTTPS (client.ts), so
    // plain HTTP here was asked for.
    message = `cannot reach ${context.registry} over plain HTTP: it speaks HTTPS (drop --plain-http)`;
  } else if (status === 401 && failure.insufficientScope !== undefined) {
    code = "AUTH";
    message = `access denied to ${where}: ${failure.insufficientScope || "the access needed"} was not granted (${failure.credentials ?? "no credentials"})`;
  } else if (status === 401 && failure.withheldBy !== undefined) {
    code = "AUTH";
    message = `authentication required for ${context.registry}: ${failure.withheldBy} sent no credentials (drop it to send those of the auth files)`;
  } else if (status === 401) {
    code = "AUTH";
    message =
      failure.credentials === undefined || failure.credentials === "no credentials"
        ? `authentication required for ${context.registry}: no credentials found${searchedIn(failure.searched)} (run ocicompat login ${context.registry}, or pass --creds USER:PASSWORD or --authfile FILE)`
        : `wrong credentials for ${context.registry}: ${failure.credentials} was refused`;
  } else if (status === 403) {
    code = "AUTH";
    message = `access denied to ${where}${said}`;
  } else if (status === 404) {
    code = "NOT_FOUND";
    if (has("NAME_UNKNOWN")) {
      message = `repository ${context.repository ?? "?"} not found on ${context.registry}`;
    } else if (has("MANIFEST_UNKNOWN")) {
      message = `manifest ${quote(context.reference)}not found in ${where}`;
    } else if (has("BLOB_UNKNOWN")) {
      message = `blob ${quote(context.reference)}not found in ${where}`;
    } else if (has("BLOB_UPLOAD_UNKNOWN")) {
      message = `upload session not found in ${where} (it may have expired)`;
    } else {
      message = `${context.what ?? "content"} ${quote(context.reference)}not found in ${where}`;
    }
  } else if (status === 400 && has("MANIFEST_BLOB_UNKNOWN")) {
    const missing = errors
      .filter((e) => e.code === "MANIFEST_BLOB_UNKNOWN")
      .map((e) => detailText(e.detail))
      .filter((d) => d !== "");
    message = `${where} refused the manifest: it references content the repository does not have${missing.length > 0 ? ` (${missing.join(", ")})` : ""}; push children before parents`;
  } else if (status === 429) {
    message = `${context.registry} is rate limiting requests${tries}${said}`;
  } else if (status >= 500) {
    message = `${context.registry} failed with ${status}${failure.statusText ? ` ${failure.statusText}` : ""}${tries} (${failure.method} ${context.what ?? "request"})${said}`;
  } else if (status === 405 || has("UNSUPPORTED")) {
    message = `${context.registry} does not support ${failure.method} of ${context.what ?? "this resource"}${said}`;
  } else if (status === 413) {
    message = `${context.registry} refused ${context.what ?? "the request"} as too large${said}`;
  } else {
    message = `${context.registry} refused ${failure.method} of ${context.what ?? "the request"} with ${status}${said}`;
  }
  const codeText = codes.length > 0 ? ` [${status} ${codes.join(", ")}]` : ` [${status}]`;
  return new RegistryError({
    code,
    message: `${message}${codeText}`,
    status,
    registryCodes: codes,
    errors,
    temporary: isTemporaryStatus(status),
    method: failure.method,
    url: failure.url,
    subject,
  });
}

function refSuffix(reference: string): string {
  return reference.includes(":") ? `@${reference}` : `:${reference}`;
}

function quote(reference: string | undefined): string {
  return reference === undefined ? "" : `"${reference}" `;
}

function registrySaid(errors: readonly RegistryErrorEntry[], body: string, status: number): string {
  const messages = errors.map((e) => e.message).filter((m) => m !== "");
  if (messages.length > 0) return `: ${clip(messages.join("; "))}`;
  if (errors.length === 0 && status !== 404 && body.trim() !== "" && body.length < 300) {
    return `: ${clip(body.trim().split("\n")[0] ?? "")}`;
  }
  return "";
}

function detailText(detail: unknown): string {
  if (typeof detail === "string") return detail;
  if (detail !== null && typeof detail === "object") {
    for (const v of Object.values(detail)) if (typeof v === "string") return v;
  }
  return "";
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}
