// How every step of a copy calls a store: cancellation checked first, and a failure turned into
// a CopyError that names the side and the descriptor. Shared by the walker and the copy's parts.
import { cancellation, throwIfCancelled } from "../cancel.js";
import type { CallOptions, ContentDescriptor } from "../store.js";
import { CopyError, type CopySide } from "./error.js";
import type { Run } from "./run.js";

/** Runs one store call of one side; its failure becomes a CopyError naming side and descriptor. */
export async function onSide<T>(
  run: Run,
  side: CopySide,
  desc: ContentDescriptor,
  step: (options: CallOptions) => Promise<T>,
): Promise<T> {
  throwIfCancelled(run.options.signal);
  try {
    return await step(run.call);
  } catch (err) {
    throw sideError(run, side, desc, err);
  }
}

export function sideError(run: Run, side: CopySide, desc: ContentDescriptor, err: unknown): Error {
  // Cancellation is the caller's doing, not a side's failure: its own error, unwrapped.
  if (run.options.signal?.aborted) return cancellation(run.options.signal);
  if (err instanceof CopyError) return err;
  return new CopyError(side, side === "source" ? run.src.name : run.dst.name, desc, err);
}
