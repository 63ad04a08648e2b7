// One graph walker for every copy: children before parents, content already at the destination
// skipped, each digest transferred once, transfers bounded. A tag is written only after the
// whole graph below it is present, so no tag ever points at incomplete content.
import { OcifitError } from "../oci/errors.js";
import { successors } from "./graph.js";
import { fetchBytes, isManifestType, type ContentDescriptor, type Store } from "./store.js";

export interface CopyOptions {
  /** Concurrent transfers; default 4. */
  concurrency?: number;
  /** Tag to write at the destination once the graph is complete. */
  tag?: string;
  onCopied?: (desc: ContentDescriptor) => void;
  onSkipped?: (desc: ContentDescriptor) => void;
}

export interface CopyStats {
  copied: number;
  skipped: number;
  bytesCopied: number;
  bytesSkipped: number;
}

function limiter(concurrency: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (job) => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export async function copyGraph(
  src: Store,
  dst: Store,
  root: ContentDescriptor,
  options: CopyOptions = {},
): Promise<CopyStats> {
  const stats: CopyStats = { copied: 0, skipped: 0, bytesCopied: 0, bytesSkipped: 0 };
  const limit = limiter(options.concurrency ?? 4);
  const done = new Map<string, Promise<void>>();

  const skip = (desc: ContentDescriptor): void => {
    stats.skipped++;
    stats.bytesSkipped += desc.size;
    options.onSkipped?.(desc);
  };

  const copyNode = (desc: ContentDescriptor): Promise<void> => {
    let job = done.get(desc.digest);
    if (!job) {
      job = (async () => {
        if (await dst.exists(desc)) {
          // Parents are written after their children, so content that exists is complete below.
          skip(desc);
          return;
        }
        if (isManifestType(desc.mediaType)) {
          const bytes = await fetchBytes(src, desc);
          await Promise.all(successors(desc, bytes).children.map(copyNode));
          await dst.push(desc, bytes);
        } else {
          await limit(async () => dst.push(desc, await src.fetch(desc)));
        }
        stats.copied++;
        stats.bytesCopied += desc.size;
        options.onCopied?.(desc);
      })();
      done.set(desc.digest, job);
    }
    return job;
  };

  await copyNode(root);
  if (options.tag !== undefined) {
    if (!isManifestType(root.mediaType)) {
      throw new OcifitError(
        "USAGE",
        `cannot tag ${root.mediaType}: only manifests and indexes can be tagged`,
        { subject: root.digest },
      );
    }
    await dst.tag(root, options.tag);
  }
  return stats;
}
