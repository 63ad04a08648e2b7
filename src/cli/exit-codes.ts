// The one place outcomes and errors become exit statuses, grep-style:
// 0 ok / compatible, 1 not compatible / check failed / invalid, 2 error.
import { isOcicompatError, ValidationError, errorMessage } from "../oci/errors.js";

export const ExitCode = { Ok: 0, Failed: 1, Error: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type Verdict = "ok" | "failed" | "error";

export function exitCodeForVerdicts(verdicts: readonly Verdict[]): ExitCode {
  if (verdicts.includes("error")) return ExitCode.Error;
  if (verdicts.includes("failed")) return ExitCode.Failed;
  return ExitCode.Ok;
}

/** Any error that escapes a command is exit 2: usage, I/O, auth, registry, internal. */
export function exitCodeForError(_err: unknown): ExitCode {
  return ExitCode.Error;
}

/**
 * Lines for stderr: one per problem, never a stack trace (unless OCICOMPAT_DEBUG is set, which the
 * caller handles).
 */
export function describeError(err: unknown): string[] {
  const also = (FOLLOW_UPS.get(err as object) ?? []).flatMap((f) =>
    describeError(f).map((line) => `also: ${line}`),
  );
  return [...describeOne(err), ...also];
}

function describeOne(err: unknown): string[] {
  if (err instanceof ValidationError && err.issues.length > 0) {
    return err.issues.map(
      (i) => `${err.subject ?? ""}${err.subject ? ": " : ""}${i.path}: ${i.message}`,
    );
  }
  if (isOcicompatError(err)) return [err.subject ? `${err.subject}: ${err.message}` : err.message];
  const message = errorMessage(err);
  return [`internal error: ${message}`];
}

/** Failures that followed an error (cleaning up after it), reported after it, as `also:`. */
const FOLLOW_UPS = new WeakMap<object, unknown[]>();

/** Records that `later` failed while recovering from `err`; describeError lists it after `err`. */
export function noteFollowUp(err: unknown, later: unknown): void {
  if (typeof err !== "object" || err === null) return;
  FOLLOW_UPS.set(err, [...(FOLLOW_UPS.get(err) ?? []), later]);
}
