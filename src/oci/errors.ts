// Every failure ocicompat reports is an OcicompatError with a string-literal code; the CLI maps codes to
// exit statuses in exactly one place (src/cli/exit-codes.ts).

export type ErrorCode =
  | "USAGE"
  | "IO"
  | "NOT_FOUND"
  | "TOO_LARGE"
  | "INVALID_JSON"
  | "INVALID_YAML"
  | "INVALID_DIGEST"
  | "DIGEST_MISMATCH"
  | "SIZE_MISMATCH"
  | "INVALID_REFERENCE"
  | "INVALID_PLATFORM"
  | "VALIDATION"
  | "UNSUPPORTED"
  /** What was about to be changed changed meanwhile (a tag moved between reading and writing). */
  | "CONFLICT"
  /** Content below what was about to be tagged is missing: something removed it meanwhile. */
  | "INCOMPLETE"
  /** A registry refused a request (HTTP 4xx/5xx other than 401/403/404). */
  | "REGISTRY"
  /** Authentication or authorization failed: 401, 403, token service, credential helpers. */
  | "AUTH"
  /** No HTTP answer: connection refused, DNS, TLS, reset, timeout. */
  | "UNREACHABLE"
  /** A deadline passed: the command's --timeout, a request's header deadline, a stalled body. */
  | "TIMEOUT"
  /**
   * The signature policy (containers-policy.json) rejects the image, or requires signatures,
   * which ocicompat does not verify.
   */
  | "POLICY"
  /** The caller aborted the operation through its AbortSignal. */
  | "CANCELLED"
  | "INTERNAL";

export class OcicompatError extends Error {
  readonly code: ErrorCode;
  /** Where the problem is: a file name, a JSON path, a digest, a reference. */
  readonly subject: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { subject?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OcicompatError";
    this.code = code;
    this.subject = options?.subject;
  }
}

/** One problem found in a document, located by a JSONPath such as `$.manifests[2].digest`. */
export interface ValidationIssue {
  path: string;
  message: string;
  /** 1-based column inside a string value, when the problem is inside the value's own syntax. */
  column?: number;
}

export class ValidationError extends OcicompatError {
  readonly issues: readonly ValidationIssue[];

  constructor(subject: string, issues: readonly ValidationIssue[]) {
    const first = issues[0];
    const summary = first ? `${first.path}: ${first.message}` : "invalid";
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super("VALIDATION", `${summary}${more}`, { subject });
    this.name = "ValidationError";
    this.issues = issues;
  }
}

export function isOcicompatError(err: unknown): err is OcicompatError {
  return err instanceof OcicompatError;
}

/** What went wrong, in one line: an error's message, or anything else as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
