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

/** Where each store method takes its CallOptions (content/store.ts and its abilities). */
const OPTIONS_AT: Readonly<Record<string, number>> = {
  resolve: 1,
  fetch: 1,
  exists: 1,
  push: 2,
  tag: 2,
  listTags: 0,
  referrers: 2,
  mount: 2,
  tagComplete: 2,
};

/**
 * `store` with `signal` added to the options of every store call, for code that hands the store
 * on (anchor finders, writers) and so cannot pass it call by call. Other properties, and the
 * type guards that look for them, see the store itself.
 */
export function withSignal<S extends object>(store: S, signal: AbortSignal | undefined): S {
  if (signal === undefined) return store;
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const at = typeof property === "string" ? OPTIONS_AT[property] : undefined;
      const method = value as (...args: unknown[]) => unknown;
      if (at === undefined) return method.bind(target);
      return (...args: unknown[]) => {
        const given = args[at];
        const next = [...args];
        while (next.length < at) next.push(undefined);
        next[at] = { ...(typeof given === "object" && given !== null ? given : {}), signal };
        return method.apply(target, next);
      };
    },
  });
}
