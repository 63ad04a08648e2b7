// `ocicompat affinity REF...`: read each image's entries and compatibilities (as select does, by
// digest through the caller's store), and translate them into one nodeAffinity over NFD's node
// labels (compat/affinity). The webhook reuses the two halves separately, to cache per digest.
import {
  combineImages,
  imageAffinity,
  type AffinityResult,
  type ImageAffinity,
  type NfdVocabulary,
} from "../compat/affinity/index.js";
import { createBudgetMeter, resolveBudgets, type SelectionBudgets } from "../compat/budget.js";
import type { LabelCatalog } from "../compat/catalog.js";
import { raceCancellation, throwIfCancelled } from "../content/cancel.js";
import type { StoreOpener } from "../content/open.js";
import type { ContentDescriptor, Store } from "../content/store.js";
import { nfdCpuidNames } from "../compat/nfd/cpuid-flags.js";
import {
  NFD_DEFAULT_KERNEL_CONFIG,
  NFD_HIDDEN_CPUID_FLAGS,
  NFD_LABEL_PREFIX,
  VENDOR_TO_NFD,
} from "../node/nfd/names.js";
import { OcicompatError } from "../oci/errors.js";
import { parseReference } from "../oci/reference.js";
import { createLimit } from "../content/limit.js";
import { imageReaderFor } from "./select/read-image.js";

/** Each architecture's NFD flag table without the flags NFD hides, shared as the tables are. */
const SHOWN_FLAGS = new Map<ReadonlyMap<string, string>, ReadonlyMap<string, string>>();

function shownCpuFlags(architecture: string): ReadonlyMap<string, string> | undefined {
  const all = nfdCpuidNames(architecture);
  if (all === undefined) return undefined;
  let shown = SHOWN_FLAGS.get(all);
  if (shown === undefined) {
    shown = new Map([...all].filter(([, nfd]) => !NFD_HIDDEN_CPUID_FLAGS.has(nfd)));
    SHOWN_FLAGS.set(all, shown);
  }
  return shown;
}
const VENDOR_BY_LOWER: ReadonlyMap<string, string> = new Map(
  [...VENDOR_TO_NFD].map(([ours, nfd]) => [ours.toLowerCase(), nfd]),
);

/** NFD's default labels (the tables `discover -o nfd` writes with). */
export const nfdVocabulary: NfdVocabulary = {
  prefix: NFD_LABEL_PREFIX,
  cpuFlags: shownCpuFlags,
  vendor: (written) => VENDOR_BY_LOWER.get(written.trim().toLowerCase()),
  kernelConfig: new Set(NFD_DEFAULT_KERNEL_CONFIG),
};

const DEFAULT_CONCURRENCY = 16;

export interface ReadForAffinityOptions {
  catalog: LabelCatalog;
  budgets?: Partial<SelectionBudgets>;
  signal?: AbortSignal;
}

/** One image's affinity from the content `root` names in `store` (a digest: cacheable forever). */
export async function imageAffinityAt(
  store: Store,
  root: ContentDescriptor,
  reference: string,
  options: ReadForAffinityOptions,
): Promise<ImageAffinity> {
  const signal = options.signal ?? new AbortController().signal;
  const context = { store, limit: createLimit(DEFAULT_CONCURRENCY), signal };
  const budget = createBudgetMeter(resolveBudgets(options.budgets), reference);
  const reader = imageReaderFor(context, options.catalog, budget, reference);
  const image = await reader.read(root);
  return imageAffinity({ reference, entries: image.entries }, nfdVocabulary);
}

/** The store and the descriptor a reference names now (one HEAD for a tag). */
export async function resolveImage(
  opener: StoreOpener,
  reference: string,
  signal?: AbortSignal,
): Promise<{ store: Store; root: ContentDescriptor }> {
  const { store, reference: inStore } = await opener.open(parseReference(reference), {
    pull: true,
    signal,
  });
  if (inStore === undefined) {
    throw new OcicompatError("USAGE", "names no tag or digest", { subject: reference });
  }
  const resolved = await raceCancellation(store.resolve(inStore, signal ? { signal } : {}), signal);
  return {
    store,
    root: { mediaType: resolved.mediaType, digest: resolved.digest, size: resolved.size },
  };
}

export interface AffinityOptions extends ReadForAffinityOptions {
  references: readonly string[];
  opener: StoreOpener;
}

/** The nodeAffinity under which some entry of every image may fit (docs/kubernetes.md). */
export async function affinityFor(options: AffinityOptions): Promise<AffinityResult> {
  const images = await Promise.all(
    options.references.map(async (reference) => {
      throwIfCancelled(options.signal);
      const { store, root } = await resolveImage(options.opener, reference, options.signal);
      return imageAffinityAt(store, root, reference, options);
    }),
  );
  return combineImages(images);
}
