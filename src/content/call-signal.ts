// Honouring a CallOptions signal in stores and walks that are not HTTP: check before each step,
// and stop a stream between chunks. The error is the signal's reason when that is an
// OcicompatError (the CLI's --timeout aborts with TIMEOUT), else CANCELLED.
import { isOcicompatError, OcicompatError } from "../oci/errors.js";

/** The error a cancelled call rejects with. */
export function cancelledError(signal: AbortSignal): OcicompatError {
  const reason: unknown = signal.reason;
  if (isOcicompatError(reason)) return reason;
  return new OcicompatError("CANCELLED", "the operation was cancelled", { cause: reason });
}

/** Throws the cancellation error when `signal` has aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal);
}

/**
 * `source`, stopped with the cancellation error at the next chunk once `signal` aborts; the
 * source is released (its `return()` runs) when iteration stops.
 */
export async function* cancellable<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal | undefined,
): AsyncIterable<T> {
  throwIfCancelled(signal);
  for await (const chunk of source) {
    throwIfCancelled(signal);
    yield chunk;
  }
}
