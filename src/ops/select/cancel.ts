// Cancellation for select and check: the caller's AbortSignal (a deadline, an admission hook
// giving up) ends the run promptly, whether or not the store underneath honours the signal too
// (each store call is raced against it, content/cancel.ts); the run's own controller also stops
// the reads still in flight after the first error.

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
