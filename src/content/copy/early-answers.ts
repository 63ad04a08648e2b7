// What a copy asks of the destination before a node's turn: the children of a root that is most
// likely new are asked about (or mounted) while the root's own presence is still awaited, and
// each child's step takes the answer instead of asking again. The walker owns when; this owns
// the answers, and that none is left in flight when the walk returns.
import { isManifestType, type ContentDescriptor } from "../store.js";
import { mountBlob, mountsFirst } from "./blob-transfer.js";
import type { Run } from "./run.js";
import { onSide } from "./side.js";

export interface EarlyAnswers {
  /** Presence at the destination, asked before its node's turn, by digest. */
  presence: Map<string, Promise<boolean>>;
  /** Mounts sent before their blob's turn: whether a repository lent the blob, by digest. */
  mounts: Map<string, { desc: ContentDescriptor; lent: Promise<boolean> }>;
  /** The steps that may still ask early (a root's bytes on their way). */
  asking: Promise<void>[];
}

export function noEarlyAnswers(): EarlyAnswers {
  return { presence: new Map(), mounts: new Map(), asking: [] };
}

/**
 * Asks about `children` now. Presence is asked of each; a blob the destination's memory places
 * only in its other repositories (mountsFirst) is mounted instead, which sends no bytes and links
 * a blob the registry already holds, so a root that turns out present loses nothing by it.
 * Children already under way (`started`) or asked are left alone.
 */
export function askEarly(
  run: Run,
  early: EarlyAnswers,
  children: readonly ContentDescriptor[],
  started: (digest: string) => boolean,
): void {
  for (const child of children) {
    const { digest } = child;
    if (started(digest) || early.presence.has(digest) || early.mounts.has(digest)) continue;
    if (!isManifestType(child.mediaType) && mountsFirst(run, child)) {
      const lent = mountNow(run, child);
      lent.catch(() => undefined); // taken by the blob's own step, or settled by settleEarly
      early.mounts.set(digest, { desc: child, lent });
      continue;
    }
    const asked = askPresence(run, child);
    asked.catch(() => undefined); // taken by the child's own step, or settled by settleEarly
    early.presence.set(digest, asked);
  }
}

/** The destination's answer for `desc`: the one asked early, else asked now. */
export function presenceOf(
  run: Run,
  early: EarlyAnswers,
  desc: ContentDescriptor,
): Promise<boolean> {
  const asked = early.presence.get(desc.digest);
  if (asked === undefined) return askPresence(run, desc);
  early.presence.delete(desc.digest);
  return asked;
}

/** The mount sent early for `desc`, now the blob's own step's to finish; undefined if none. */
export function takeEarlyMount(
  early: EarlyAnswers,
  desc: ContentDescriptor,
): Promise<boolean> | undefined {
  const sent = early.mounts.get(desc.digest);
  if (sent === undefined) return undefined;
  early.mounts.delete(desc.digest);
  return sent.lent;
}

/**
 * Waits for what asks early, then for the answers no step took (a root found present): the
 * caller may close the destination once the walk returns. A mount no step took and that no
 * repository granted left an upload session open, which is closed.
 */
export async function settleEarly(run: Run, early: EarlyAnswers): Promise<void> {
  await Promise.all(early.asking.splice(0));
  const mounts = [...early.mounts.values()];
  early.mounts.clear();
  await Promise.allSettled([
    ...early.presence.values(),
    ...mounts.map(async ({ desc, lent }) => {
      if (await lent.catch(() => false)) return;
      await run.mounter?.closeUploadSession?.(desc, run.call).catch(() => undefined);
    }),
  ]);
  early.presence.clear();
}

function askPresence(run: Run, desc: ContentDescriptor): Promise<boolean> {
  return onSide(run, "destination", desc, (o) => run.limit(() => run.dst.exists(desc, o)));
}

async function mountNow(run: Run, desc: ContentDescriptor): Promise<boolean> {
  return run.limit(async () => {
    await run.options.preCopy?.(desc);
    return mountBlob(run, desc);
  });
}
