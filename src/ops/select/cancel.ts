// Cancellation for select and check: the caller's AbortSignal (a deadline, an admission hook
// giving up) ends the run promptly, whether or not the store underneath honours the signal too.
import { isOcicompatError, OcicompatError } from "../../oci/errors.js";

/** The signal's reason as an OcicompatError: its own (TIMEOUT from --timeout), else CANCELLED. */
export function abortReason(signal: AbortSignal): OcicompatError {
  const reason: unknown = signal.reason;
  if (isOcicompatError(reason)) return reason;
  const detail =
    reason instanceof Error && reason.name !== "AbortError" ? `: ${reason.message}` : "";
  return new OcicompatError("CANCELLED", `cancelled by the caller${detail}`, { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** `work`, or the abort reason as soon as `signal` aborts, whichever comes first. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/**
 * A controller that aborts when `outer` does, or when the run itself aborts it (the first error of
 * a run stops the reads still in flight). `dispose` lets go of `outer` once the run is over.
 */
export function runController(outer: AbortSignal | undefined): {
  controller: AbortController;
  dispose(): void;
} {
  const controller = new AbortController();
  if (outer === undefined) return { controller, dispose: () => undefined };
  const forward = (): void => controller.abort(outer.reason);
  if (outer.aborted) forward();
  else outer.addEventListener("abort", forward, { once: true });
  return { controller, dispose: () => outer.removeEventListener("abort", forward) };
}
