// `ocicompat select REF` and `ocicompat check REF`: read an image's index and every entry's
// compatibilities, learn the node (a profile, or lazy discovery of this host), and choose.
//
// Requests (DESIGN §5, the performance contract), with a caching store opener:
// * the tag: one HEAD (the registry store's resolve), which names the index digest;
// * the index, nested indexes, and configs of entries without a platform: GET by digest, served
//   from the on-disk cache once seen;
// * compatibilities: the Proposal I manifest and its config, or the Proposal J blob, once per
//   distinct descriptor, in parallel, also by digest through the cache.
// * presence of every compatibilities document the cache answers: a HEAD beside the read, since a
//   warm cache must not answer for content the registry no longer serves (issue #12.7, the same
//   tag gives the same answer on every node); a read that reaches the registry proves it itself.
// So a cold run costs 2 + 2 per distinct compat manifest + 1 per compat blob, a warm one 1 + 2
// per compat manifest + 1 per compat blob (the HEADs, in parallel).
//
// Budgets (compat/budget.ts) bound what one image may make it read and compile; the caller's
// signal (or `--timeout`) ends the run, and the first error stops the reads still in flight.
import { setMaxListeners } from "node:events";
import { createBudgetMeter, resolveBudgets, type SelectionBudgets } from "../compat/budget.js";
import { createCatalog, type LabelCatalog } from "../compat/catalog.js";
import { prepareNode } from "../compat/evaluate.js";
import type { NodeProfile } from "../compat/node-profile.js";
import { parsePlatformOverride } from "../compat/platform-match.js";
import { selectEntries } from "../compat/select.js";
import type { SelectionResult } from "../compat/select/report.js";
import { createStoreOpener, type StoreOpener } from "../content/open.js";
import type { ContentDescriptor } from "../content/store.js";
import { OcicompatError } from "../oci/errors.js";
import { parseReference } from "../oci/reference.js";
import type { Diagnostic } from "../node/discover.js";
import { linkedSignal, raceCancellation, throwIfCancelled } from "../content/cancel.js";
import { createLimit } from "../content/limit.js";
import { discoverFor, loadProfileOption, usesNfd, type NodeSource } from "./select/node.js";
import { imageReaderFor, type CompatSource, type ImageRead } from "./select/read-image.js";
import { nfdFeaturesOfProfile } from "../node/nfd/features-of-profile.js";

export { labelsNeeded } from "./select/node.js";

/** Content reads in flight at once (index, nested indexes, configs, compatibilities). */
const DEFAULT_CONCURRENCY = 16;

export interface SelectImageOptions {
  /** `registry/repo:tag`, `...@digest`, `oci:DIR[:tag|@digest]`, `oci-archive:FILE[:tag]`. */
  reference: string;
  /**
   * Opens the reference; give it `cache: true` so digest-addressed reads hit the cache. Default:
   * an opener of this call only, with the on-disk cache and the registry options of the
   * environment (docker credentials), as `ocicompat select` opens references.
   */
  opener?: StoreOpener;
  /** Default: the built-in label catalog (no label packs). */
  catalog?: LabelCatalog;
  /** A saved node profile; else `profile`; else lazy live discovery of this host. */
  nodeFile?: string;
  profile?: NodeProfile;
  /** Replaces live discovery (tests, embedding); gets the labels the image needs. */
  discover?: (labels: ReadonlySet<string>) => Promise<NodeProfile>;
  /** `os/arch[/variant]`: replaces the node's platform. */
  platform?: string;
  /** Only compatibility sets carrying one of these tags are considered. */
  tags?: readonly string[];
  /**
   * Which compatibilities decide (docs/interop.md): `auto` (default) reads Proposal I/J data and,
   * for entries without any, the entry's NFD image-compatibility artifact; `ij` or `nfd` only one.
   */
  source?: CompatSource;
  concurrency?: number;
  /** Per-image budgets (docs/security.md); each one left out keeps its default. */
  budgets?: Partial<SelectionBudgets>;
  /**
   * Cancels the run: every store call gets it, and selectImage rejects with its reason (an
   * OcicompatError as given, e.g. TIMEOUT) or with CANCELLED.
   */
  signal?: AbortSignal;
}

export interface SelectionNodeSummary {
  name: string;
  source: NodeSource;
  /** The profile file, or the root discovery probed. */
  input?: string;
  /** The effective platform, after `platformOverride`. */
  platform: string;
  platformOverride?: string;
  /** What lazy discovery was asked for. */
  labelsWanted?: string[];
}

export interface ImageSelection extends Omit<SelectionResult, "nodePlatform"> {
  verdict: "compatible" | "not-compatible";
  reference: string;
  /** What the reference names: an index, or a single manifest (then one entry). */
  root: { mediaType: string; digest: string; size: number; kind: "index" | "manifest" };
  /** Where the image was read from, when registries.conf sent the read to a mirror or location. */
  readFrom?: { registry: string; repository: string; mirror: boolean };
  node: SelectionNodeSummary;
  /** Diagnostics of live discovery (probes that could not read something). */
  diagnostics: Diagnostic[];
}

type ResolvedOptions = SelectImageOptions & { opener: StoreOpener; catalog: LabelCatalog };

/**
 * Chooses the entry of `options.reference` that fits the node. Only `reference` is required:
 * without `opener` and `catalog` the defaults above apply, and without a node this host is
 * discovered (only the labels the image uses).
 */
export async function selectImage(options: SelectImageOptions): Promise<ImageSelection> {
  const catalog = options.catalog ?? createCatalog();
  if (options.opener !== undefined)
    return selectWith({ ...options, catalog, opener: options.opener });
  const opener = createStoreOpener({ cache: true, http2: true });
  try {
    return await selectWith({ ...options, catalog, opener });
  } finally {
    await opener.close();
  }
}

async function selectWith(options: ResolvedOptions): Promise<ImageSelection> {
  const { catalog } = options;
  const budgets = resolveBudgets(options.budgets);
  const override =
    options.platform === undefined ? undefined : parsePlatformOverride(options.platform);
  const ref = parseReference(options.reference);
  throwIfCancelled(options.signal);
  const early = await loadProfileOption(options);

  const {
    store,
    reference,
    source: readFrom,
  } = await options.opener.open(ref, { pull: true, signal: options.signal });
  if (reference === undefined) {
    throw new OcicompatError("USAGE", "names no tag or digest", { subject: options.reference });
  }
  const run = linkedSignal(options.signal);
  const signal = run.controller.signal;
  // Every read in flight listens on the run's signal (its race, its request): up to `concurrency`
  // reads at once, each with a few listeners, are expected and no leak, so Node's warning at 11
  // (printed to the user's terminal for a wide index) is raised to what the limit allows.
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  setMaxListeners(4 * concurrency + 16, signal);
  let image: ImageRead;
  try {
    const resolved = await raceCancellation(store.resolve(reference, { signal }), signal);
    const root: ContentDescriptor = {
      mediaType: resolved.mediaType,
      digest: resolved.digest,
      size: resolved.size,
    };
    const context = {
      store,
      limit: createLimit(concurrency),
      signal,
    };
    const budget = createBudgetMeter(budgets, options.reference);
    const reader = imageReaderFor(context, catalog, budget, options.reference, options.source);
    image = await reader.read(root).catch((err: unknown) => {
      // The first failure stops the other reads of this run.
      run.controller.abort(err);
      throw err;
    });
  } finally {
    run.dispose();
  }
  const root = image.root;

  const node =
    early ?? (await raceCancellation(discoverFor(image.entries, options), options.signal));
  throwIfCancelled(options.signal);
  // A profile without NFD features (saved before profiles carried them) gets them from its
  // labels, when some entry has NFD rules to read them.
  const profile =
    node.profile.nfd === undefined && usesNfd(image.entries)
      ? { ...node.profile, nfd: nfdFeaturesOfProfile(node.profile) }
      : node.profile;
  const result = selectEntries(image.entries, {
    node: prepareNode(profile, catalog),
    catalog,
    ...(override ? { platform: override } : {}),
    ...(options.tags ? { tags: options.tags } : {}),
  });
  const summary: SelectionNodeSummary = {
    name: node.profile.name,
    source: node.source,
    platform: result.nodePlatform,
  };
  if (node.input !== undefined) summary.input = node.input;
  if (options.platform !== undefined) summary.platformOverride = options.platform;
  if (node.labelsWanted !== undefined) summary.labelsWanted = node.labelsWanted;
  // Key order is the documented -o json order (docs/cli.md).
  return {
    verdict: result.compatible ? "compatible" : "not-compatible",
    compatible: result.compatible,
    reference: options.reference,
    root: { ...root, kind: image.kind },
    ...(readFrom === undefined ? {} : { readFrom }),
    chosen: result.chosen,
    node: summary,
    ranking: result.ranking,
    entries: result.entries,
    warnings: result.warnings,
    diagnostics: node.diagnostics,
  };
}
