// What attach reports: per entry, the descriptor it now has and the anchors written for it, and
// every write in order. A dry run fills in the same report with what would be written.
import type { ContentDescriptor } from "../../content/store.js";
import type { AnchorPolicy } from "../anchors.js";
import type { AttachFormat, CompatSet } from "./options.js";
import type { WriteRecord } from "./writer.js";

export interface AttachedEntry {
  position: number;
  platform: string;
  /** The image manifest: the compat manifest's subject. */
  manifest: ContentDescriptor;
  /** The descriptor now in `platform.compatibilities`. */
  compatibilities: ContentDescriptor;
  /** The compat manifest, or for the blob format the keeper manifest. */
  compatManifest: ContentDescriptor;
  /** The descriptors the entry had before (`compatibilities`, `compat`). */
  replaced: ContentDescriptor[];
  /** The anchors written (or, in a dry run, planned) for it. */
  anchors: {
    compatTag?: string;
    referrersTag?: string;
    subjectAccepted?: boolean;
    /** The keep tag left on what the `.compat` tag named before (registries; see anchors.ts). */
    keptPrevious?: string;
  };
  /** The entry's own sets, when `setsFor` made them. */
  sets?: readonly CompatSet[];
}

/** One planned or performed write, in order. */
export type PlannedWrite = WriteRecord & {
  /** In a dry run: written only when the registry turns out to have no referrers API. */
  conditional?: boolean;
};

export interface AttachResult {
  store: string;
  tag: string;
  format: AttachFormat;
  anchor: AnchorPolicy;
  /** The `org.opencontainers.image.created` time written. */
  created: string;
  dryRun: boolean;
  /** What the tag named before: the index, or the single manifest that was wrapped. */
  oldIndex: ContentDescriptor;
  wrapped: boolean;
  newIndex: ContentDescriptor;
  entries: AttachedEntry[];
  /** Every write, in the order it was (or would be) made. */
  writes: PlannedWrite[];
  warnings: string[];
}
