// What a caller gives copyGraph (the options and hooks) and what it gets back (the counts). Apart
// from the walker so the copy's parts here can read them without importing it.
import type { ContentDescriptor } from "../store.js";

/** The repositories of the destination's registry to try mounting `desc` from, in order. */
export type MountFromChooser = (
  desc: ContentDescriptor,
) => readonly string[] | Promise<readonly string[]>;

export interface CopyOptions {
  /** Concurrent transfers; default 4. */
  concurrency?: number;
  /** Tag to write at the destination once the graph is complete. */
  tag?: string;
  /**
   * The digest `tag` names at the destination now (null: the tag is absent), when the caller has
   * asked already (`copyImage` asks while it resolves the source). When that is the root, no
   * referrers are asked for and the destination does not check a graph as it tags it (a
   * registry; a layout does), the copy is complete as it stands: nothing is read or written, and
   * the root counts as skipped. When it is something else, the root is most likely absent, so
   * its bytes are asked of the source while the destination is asked whether it has it.
   */
  taggedAtDestination?: string | null;
  /**
   * Where blobs can be mounted from (`POST ?mount=&from=`) rather than uploaded, when the
   * destination is a registry repository: the source repository's name when source and
   * destination are repositories of the same registry, or a chooser naming candidates per blob.
   * After these, the repositories the destination remembers holding the blob are tried
   * (`MountCapable.mountCandidates`, a registry store given a blob location memory).
   */
  mountFrom?: string | MountFromChooser;
  /**
   * Also copy the referrers of every manifest in the graph (each with its own graph), and, when
   * the destination has no referrers API, list them in its `sha256-<hex>` fallback tag.
   */
  referrers?: boolean;
  /** Cancels the copy: no new transfer starts, those under way stop, the tag is not written. */
  signal?: AbortSignal;
  /**
   * Before a node absent from the destination is written (uploaded, mounted or pushed), or
   * before a blob is mounted without asking first (`MountCapable.seenHere`). A rejection stops
   * the copy, as a failed transfer does.
   */
  preCopy?: (desc: ContentDescriptor) => void | Promise<void>;
  /** A descriptor became known (before it is copied or skipped): for progress totals. */
  onDiscovered?: (desc: ContentDescriptor) => void;
  /**
   * `bytes` more of `desc` were read from the source; negative when a push that failed for a
   * temporary reason is about to be repeated, taking back what it had read.
   */
  onProgress?: (desc: ContentDescriptor, bytes: number) => void;
  onCopied?: (desc: ContentDescriptor) => void;
  onMounted?: (desc: ContentDescriptor) => void;
  /** The destination already had `desc` (and, for a document, the graph below it). */
  onSkipped?: (desc: ContentDescriptor) => void;
}

export interface CopyStats {
  /** Blobs and manifests written (uploaded or mounted). */
  copied: number;
  skipped: number;
  bytesCopied: number;
  bytesSkipped: number;
  /** Of `copied`, the blobs linked by cross-repository mount (no bytes sent). */
  mounted: number;
  bytesMounted: number;
  /** Referrer manifests found in the source (their graphs are counted above). */
  referrers: number;
  /** Fallback tags written at the destination. */
  referrersTags: string[];
  /** Of `copied`, blobs sent again because they vanished from the destination during the copy. */
  repaired: number;
  /** What was left undone, and why (the copy itself succeeded). */
  warnings: string[];
}
