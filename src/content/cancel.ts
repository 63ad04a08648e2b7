// Cancellation through an AbortSignal, the same way in every store: a call that is cancelled
// rejects with the signal's reason when that is already an OcicompatError (a command's --timeout
// gives a TIMEOUT), else with CANCELLED. Waits stop at once, and a stream stops at its next chunk.
import { OcicompatError } from "../oci/errors.js";

/** The error an aborted `signal` stands for. */
export function cancellation(signal: AbortSignal): OcicompatError {
  const reason: unknown = signal.reason;
  if (reason instanceof OcicompatError) return reason;
  return new OcicompatError(
    "CANCELLED",
    "cancelled",
    reason === undefined ? undefined : { cause: reason },
  );
}

/** Throws the cancellation error when `signal` has been aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancellation(signal);
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function cancellableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise((resolve) => setTimeout(resolve, ms));
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(cancellation(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancellation(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * `source`, stopping with the cancellation error at the first chunk asked for after `signal`
 * aborted; the source is let go of (its `return()` runs). For streams whose chunks are already
 * at hand (memory, the cache); a network stream is cut by its request's own signal.
 */
export async function* cancellable<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  if (signal === undefined) {
    yield* source;
    return;
  }
  throwIfCancelled(signal);
  for await (const chunk of source) {
    throwIfCancelled(signal);
    yield chunk;
  }
  throwIfCancelled(signal);
}

/**
 * A controller whose signal aborts when `signal` does (if given), with the cancellation error as
 * its reason, so that whatever it cuts (an undici request and its body) fails with that error; the
 * owner may also abort it on its own (a run's first failure stops the reads still in flight).
 * `dispose` detaches it from `signal` once the work it guards is over, so a long-lived signal
 * does not gather listeners.
 */
export function linkedSignal(signal: AbortSignal | undefined): {
  controller: AbortController;
  signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  const linked = { controller, signal: controller.signal };
  if (signal === undefined) return { ...linked, dispose: () => undefined };
  if (signal.aborted) {
    controller.abort(cancellation(signal));
    return { ...linked, dispose: () => undefined };
  }
  const onAbort = (): void => controller.abort(cancellation(signal));
  signal.addEventListener("abort", onAbort, { once: true });
  return { ...linked, dispose: () => signal.removeEventListener("abort", onAbort) };
}

/**
 * `work`, or the cancellation error as soon as `signal` aborts, whichever comes first. For work
 * shared with other callers (a token fetch several requests wait for), which one caller's signal
 * must not cut short for the others.
 */
export function raceCancellation<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(cancellation(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancellation(signal));
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
 * Where each store method takes its CallOptions (content/store.ts and its abilities).
 * closeUploadSession is left out on purpose: a close goes even after a cancellation.
 */
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
  getManifest: 1,
  taggedDigest: 1,
  pushManifest: 3,
  openUploadSession: 1,
  delete: 1,
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
