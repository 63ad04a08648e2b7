// A manifest requested by tag: resolve it upstream, and when it names an index that says which
// entry fits which node (compatibilities, platform features, variants), answer with the chosen
// entry's image manifest: its exact bytes, media type and digest. Everything else passes through.
//
// The selection is the one `ocicompat select` makes (ops/select.ts), through the on-disk cache.
// Its verdict is remembered per index digest for `verdictTtlMs` (and until the node is
// re-discovered): the index digest fixes every document the selection reads, so a warm tag
// request costs one upstream request, the tag's GET. The time limit bounds how long a node keeps
// choosing from compatibilities content that the registry has since deleted (issue #12.7).
// Identical requests that arrive together share one selection.
import type { SelectionBudgets } from "../../compat/budget.js";
import type { LabelCatalog } from "../../compat/catalog.js";
import type { NodeProfile } from "../../compat/node-profile.js";
import type { StoreOpener } from "../../content/open.js";
import { fetchBytes, type ContentDescriptor, type Store } from "../../content/store.js";
import { errorMessage } from "../../oci/errors.js";
import { parseIJson } from "../../oci/ijson.js";
import { isObject } from "../../oci/json-value.js";
import { IndexMediaTypes } from "../../oci/media-types.js";
import { selectImage, type ImageSelection } from "../select.js";
import type { UpstreamRepository } from "./upstreams.js";

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Why the index itself was served instead of one of its entries. */
export type PassthroughReason =
  "not-an-index" | "plain-index" | "accept" | "no-entry-fits" | "selection-failed";

export interface Content {
  descriptor: ContentDescriptor;
  bytes: Uint8Array;
}

/** What the selection made of one index for one node; kept per index digest. */
export type Verdict =
  | { kind: "chosen"; index: Content; chosen: Content; reason: string }
  | { kind: "plain"; index: Content; reason: string }
  | { kind: "incompatible"; index: Content; reason: string }
  | { kind: "failed"; index: Content; reason: string };

export interface NodeState {
  profile: NodeProfile;
  /** Bumped on every re-discovery: verdicts of an older generation are not used. */
  generation: number;
}

export interface DeciderOptions {
  catalog: LabelCatalog;
  /** `os/arch[/variant]` replacing the node's platform. */
  platform?: string;
  budgets?: Partial<SelectionBudgets>;
  verdictTtlMs: number;
  /** Verdicts kept; the least recently used go first. */
  maxVerdicts?: number;
  /** Bytes of indexes and manifests the kept verdicts may hold together; default 64 MiB. */
  maxVerdictBytes?: number;
  now?: () => number;
}

interface Kept {
  verdict: Verdict;
  generation: number;
  at: number;
  bytes: number;
}

function bytesOf(verdict: Verdict): number {
  return (
    verdict.index.bytes.byteLength +
    (verdict.kind === "chosen" ? verdict.chosen.bytes.byteLength : 0)
  );
}

export interface VerdictLookup {
  verdict: Verdict;
  /** Answered from the remembered verdicts, with no selection run. */
  remembered: boolean;
}

/** Entries that make an index worth a selection: anything beyond plain os/architecture. */
export function isSelectable(index: unknown): boolean {
  if (!isObject(index) || !Array.isArray(index["manifests"])) return false;
  return index["manifests"].some((entry: unknown) => {
    if (!isObject(entry)) return false;
    if (typeof entry["mediaType"] === "string" && IndexMediaTypes.has(entry["mediaType"])) {
      return true;
    }
    const p = entry["platform"];
    if (!isObject(p)) return false;
    return (
      p["compatibilities"] !== undefined ||
      p["compat"] !== undefined ||
      (Array.isArray(p["features"]) && p["features"].length > 0) ||
      (typeof p["variant"] === "string" && p["variant"] !== "")
    );
  });
}

/** Reads a store for one selection, with the index it was asked about already resolved. */
function pinnedOpener(store: Store, root: ContentDescriptor): StoreOpener {
  const pinned = Object.create(store) as Store;
  pinned.resolve = (reference, options) =>
    reference === root.digest ? Promise.resolve(root) : store.resolve(reference, options);
  return {
    open: (ref) => {
      const reference = ref.scheme === "registry" ? (ref.digest ?? ref.tag) : undefined;
      return Promise.resolve(
        reference === undefined ? { store: pinned } : { store: pinned, reference },
      );
    },
    close: () => Promise.resolve(),
  };
}

/** One line per entry that did not fit: the text of a `fail` answer and of the log. */
export function whyNothingFits(selection: ImageSelection): string {
  const entries = selection.entries
    .filter((e) => e.status !== "nested")
    .map(
      (e) =>
        `entry ${e.index} (${e.platform ?? "no platform"}): ${e.reasons.map((r) => r.message).join("; ") || e.status}`,
    );
  return `no entry fits node ${selection.node.name} (${selection.node.platform}): ${entries.join(" | ")}`;
}

function chosenReason(selection: ImageSelection): string {
  const chosen = selection.chosen;
  const report = selection.entries.find((e) => e.status === "chosen");
  const score = report?.score === undefined ? "" : `, score ${report.score}`;
  return `entry ${chosen?.index ?? "?"} (${chosen?.platform ?? "no platform"}) fits node ${selection.node.name} best${score}`;
}

export interface Decider {
  /** The verdict for the index `index` (read and verified) in `repository`, for the node now. */
  verdictFor(
    upstream: string,
    repository: UpstreamRepository,
    index: Content,
    node: NodeState,
    signal: AbortSignal,
  ): Promise<VerdictLookup>;
  /** Forgets every verdict (the node changed). */
  clear(): void;
}

export function createDecider(options: DeciderOptions): Decider {
  const kept = new Map<string, Kept>();
  const inFlight = new Map<string, Promise<Verdict>>();
  const now = options.now ?? Date.now;
  const maxVerdicts = options.maxVerdicts ?? 1024;
  const maxBytes = options.maxVerdictBytes ?? 64 * 1024 * 1024;
  let keptBytes = 0;
  const forget = (key: string): void => {
    const entry = kept.get(key);
    if (entry === undefined) return;
    kept.delete(key);
    keptBytes -= entry.bytes;
  };

  const decide = async (
    upstream: string,
    repository: UpstreamRepository,
    index: Content,
    node: NodeState,
    signal: AbortSignal,
  ): Promise<Verdict> => {
    const store = repository.cached;
    const root = index.descriptor;
    let doc: unknown;
    try {
      doc = parseIJson(index.bytes, { maxBytes: MAX_MANIFEST_BYTES }).value;
    } catch (err) {
      // The registry served it, so a runtime may well take it (a duplicate key, say): fail open.
      return {
        kind: "failed",
        index,
        reason: `the index is not strict JSON (${errorMessage(err)})`,
      };
    }
    if (!isSelectable(doc)) {
      return {
        kind: "plain",
        index,
        reason: "the index has no compatibilities, features or variants",
      };
    }
    let selection: ImageSelection;
    try {
      selection = await selectImage({
        reference: `${upstream}/${repository.registry.repository}@${root.digest}`,
        opener: pinnedOpener(store, root),
        catalog: options.catalog,
        profile: node.profile,
        signal,
        ...(options.platform === undefined ? {} : { platform: options.platform }),
        ...(options.budgets === undefined ? {} : { budgets: options.budgets }),
      });
    } catch (err) {
      // The request's own deadline or a client that went away: nothing to answer.
      if (signal.aborted) throw err;
      const message = errorMessage(err);
      return { kind: "failed", index, reason: `the selection failed: ${message}` };
    }
    if (selection.chosen === null) {
      return { kind: "incompatible", index, reason: whyNothingFits(selection) };
    }
    const chosenDescriptor: ContentDescriptor = {
      mediaType: selection.chosen.mediaType,
      digest: selection.chosen.digest,
      size: selection.chosen.size,
    };
    const chosenBytes = await fetchBytes(store, chosenDescriptor, MAX_MANIFEST_BYTES, { signal });
    return {
      kind: "chosen",
      index,
      chosen: { descriptor: chosenDescriptor, bytes: chosenBytes },
      reason: chosenReason(selection),
    };
  };

  return {
    async verdictFor(upstream, repository, index, node, signal) {
      const key = `${upstream}/${repository.registry.repository}@${index.descriptor.digest}`;
      const found = kept.get(key);
      if (
        found !== undefined &&
        found.generation === node.generation &&
        now() - found.at < options.verdictTtlMs
      ) {
        kept.delete(key);
        kept.set(key, found);
        return { verdict: found.verdict, remembered: true };
      }
      const flightKey = `${key}#${node.generation}`;
      let running = inFlight.get(flightKey);
      if (running === undefined) {
        running = decide(upstream, repository, index, node, signal);
        inFlight.set(flightKey, running);
        void running
          .then((verdict) => {
            // A failed selection is tried again on the next request, not remembered.
            if (verdict.kind === "failed" || options.verdictTtlMs <= 0) return;
            forget(key);
            const bytes = bytesOf(verdict);
            kept.set(key, { verdict, generation: node.generation, at: now(), bytes });
            keptBytes += bytes;
            // Least recently used first; the newest stays even when it alone is over the limit.
            while (kept.size > 1 && (kept.size > maxVerdicts || keptBytes > maxBytes)) {
              const oldest = kept.keys().next().value;
              if (oldest === undefined) break;
              forget(oldest);
            }
          })
          .catch(() => undefined)
          .finally(() => inFlight.delete(flightKey));
      }
      return { verdict: await running, remembered: false };
    },
    clear() {
      kept.clear();
      keptBytes = 0;
    },
  };
}
