// Reading a fleet's images: each distinct reference is resolved once, each distinct digest read
// once (a tag and a digest reference to the same index share the read), with bounded concurrency
// and the caller's caching opener, so a second run costs one tag resolution per reference. The
// reads are select's own (ops/select/read-image.ts), so fleet and `select --node` decide from the
// same input. An image that cannot be read is a problem of that image, reported in its cells; a
// deadline or cancellation ends the whole run.
import { createBudgetMeter, resolveBudgets, type SelectionBudgets } from "../../compat/budget.js";
import type { LabelCatalog } from "../../compat/catalog.js";
import { linkedSignal, raceCancellation, throwIfCancelled } from "../../content/cancel.js";
import type { StoreOpener } from "../../content/open.js";
import { isOcicompatError, OcicompatError } from "../../oci/errors.js";
import { parseReference } from "../../oci/reference.js";
import { createLimit, type Limit } from "../../content/limit.js";
import { imageReaderFor, type ImageRead } from "../select/read-image.js";

export type FleetImageRead =
  | { reference: string; state: "ok"; digest: string; image: ImageRead }
  | { reference: string; state: "unreadable"; problem: string };

export interface ReadImagesOptions {
  opener: StoreOpener;
  catalog: LabelCatalog;
  /** Reads in flight at once, over all images. */
  concurrency?: number;
  budgets?: Partial<SelectionBudgets>;
  signal?: AbortSignal;
}

const DEFAULT_CONCURRENCY = 16;

function problemOf(err: unknown): string {
  if (!isOcicompatError(err)) throw err;
  if (err.code === "TIMEOUT" || err.code === "CANCELLED") throw err;
  return err.subject !== undefined && !err.message.includes(err.subject)
    ? `${err.subject}: ${err.message}`
    : err.message;
}

async function readOne(
  reference: string,
  options: ReadImagesOptions,
  limit: Limit,
  byDigest: Map<string, Promise<ImageRead>>,
): Promise<FleetImageRead> {
  const run = linkedSignal(options.signal);
  const signal = run.controller.signal;
  try {
    const ref = parseReference(reference);
    const { store, reference: name } = await options.opener.open(ref, { pull: true, signal });
    if (name === undefined) {
      throw new OcicompatError("USAGE", "names no tag or digest", { subject: reference });
    }
    const resolved = await limit(() => raceCancellation(store.resolve(name, { signal }), signal));
    const root = { mediaType: resolved.mediaType, digest: resolved.digest, size: resolved.size };
    let pending = byDigest.get(root.digest);
    if (pending === undefined) {
      const context = { store, limit, signal };
      const budget = createBudgetMeter(resolveBudgets(options.budgets), reference);
      const reader = imageReaderFor(context, options.catalog, budget, reference);
      pending = reader.read(root);
      byDigest.set(root.digest, pending);
    }
    return { reference, state: "ok", digest: root.digest, image: await pending };
  } catch (err) {
    throwIfCancelled(options.signal);
    return { reference, state: "unreadable", problem: problemOf(err) };
  } finally {
    run.dispose();
  }
}

/** Every reference read, in the order given. */
export async function readFleetImages(
  references: readonly string[],
  options: ReadImagesOptions,
): Promise<FleetImageRead[]> {
  const limit = createLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  const byDigest = new Map<string, Promise<ImageRead>>();
  return Promise.all(references.map((r) => readOne(r, options, limit, byDigest)));
}
