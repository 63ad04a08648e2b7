// One copyGraph call's shared state: the stores, the options, the counts, the transfer bound and
// where blobs can be mounted from. Apart from the walker so the copy's parts here can share it.
import { createLimit } from "../limit.js";
import {
  canMount,
  hasReferrers,
  type CallOptions,
  type ContentDescriptor,
  type MountCapable,
  type ReferrersCapable,
  type Store,
} from "../store.js";
import type { CopyOptions, CopyStats, MountFromChooser } from "./options.js";

/** One copyGraph call: the stores, the options, and what every step shares. */
export interface Run {
  src: Store;
  dst: Store;
  options: CopyOptions;
  stats: CopyStats;
  limit: <T>(job: () => Promise<T>) => Promise<T>;
  call: CallOptions;
  mounter: (Store & MountCapable) | undefined;
  mountSources: MountFromChooser;
  referrerSource: (Store & ReferrersCapable) | undefined;
  /** Referrers found per subject digest, for the fallback tags. */
  found: Map<string, { subject: ContentDescriptor; listed: ContentDescriptor[] }>;
  /** The root; `tagged` once its push also wrote `options.tag`. */
  root: { digest: string; tagged: boolean };
}

export function startRun(
  src: Store,
  dst: Store,
  root: ContentDescriptor,
  options: CopyOptions,
): Run {
  const mountFrom = options.mountFrom;
  return {
    src,
    dst,
    options,
    stats: {
      copied: 0,
      skipped: 0,
      bytesCopied: 0,
      bytesSkipped: 0,
      mounted: 0,
      bytesMounted: 0,
      referrers: 0,
      referrersTags: [],
      repaired: 0,
      warnings: [],
    },
    limit: createLimit(Math.max(1, options.concurrency ?? 4)),
    call: options.signal === undefined ? {} : { signal: options.signal },
    mounter: canMount(dst) ? dst : undefined,
    mountSources:
      typeof mountFrom === "function"
        ? mountFrom
        : () => (mountFrom === undefined ? [] : [mountFrom]),
    referrerSource: options.referrers === true && hasReferrers(src) ? src : undefined,
    found: new Map(),
    root: { digest: root.digest, tagged: false },
  };
}
