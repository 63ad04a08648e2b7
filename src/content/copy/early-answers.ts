// What a copy asks of the destination before a node's turn: the children of a root that is most
// likely new are asked about (or mounted) while the root's own presence is still awaited, and
// each child's step takes the answer instead of asking again. The walker owns when; this owns
// the answers, and that none is left in flight when the walk returns.
import { isManifestType, type CallOptions, type ContentDescriptor } from "../store.js";
import { closeUnusedSession, mountBlob, mountsFirst } from "./blob-transfer.js";
import type { Run } from "./run.js";
import { onSide } from "./side.js";

/** An answer asked early; undefined when it was not asked after all (see askEarly). */
type Early = Promise<boolean | undefined>;

export interface EarlyAnswers {
  /** Presence at the destination, asked before its node's turn, by digest. */
  presence: Map<string, Early>;
  /** Mounts sent before their blob's turn: whether a repository lent the blob, by digest. */
  mounts: Map<string, { desc: ContentDescriptor; lent: Early }>;
  /** The steps that may still ask early (a root's bytes on their way). */
  asking: Promise<void>[];
}

export function noEarlyAnswers(): EarlyAnswers {
  return { presence: new Map(), mounts: new Map(), asking: [] };
}

/**
 * Asks about `children` now. Presence is asked of each; a blob the destination's memory places
 * only in its other repositories (mountsFirst) is mounted instead, which sends no bytes and links
 * a blob the registry already holds. Each waits its turn in `run.limit`, and is not sent at all
 * if, by then, `wanted` says the root was found present. Children already under way (`started`)
 * or asked are left alone. With a `preCopy` hook mountsFirst blobs wait for their own turn: the
 * hook is called before a write of a node the walk has found, and its refusal stops the copy.
 */
export function askEarly(
  run: Run,
  early: EarlyAnswers,
  children: readonly ContentDescriptor[],
  started: (digest: string) => boolean,
  wanted: () => boolean,
): void {
  for (const child of children) {
    const { digest } = child;
    if (started(digest) || early.presence.has(digest) || early.mounts.has(digest)) continue;
    if (!isManifestType(child.mediaType) && mountsFirst(run, child)) {
      if (run.options.preCopy !== undefined) continue;
      const lent = ifWanted(run, child, wanted, () => mountBlob(run, child));
      lent.catch(() => undefined); // taken by the blob's own step, or settled by settleEarly
      early.mounts.set(digest, { desc: child, lent });
      continue;
    }
    const asked = ifWanted(run, child, wanted, (o) => run.dst.exists(child, o));
    asked.catch(() => undefined); // taken by the child's own step, or settled by settleEarly
    early.presence.set(digest, asked);
  }
}

/** `ask`, in its turn of run.limit, unless by then the answer is no longer wanted. */
function ifWanted(
  run: Run,
  desc: ContentDescriptor,
  wanted: () => boolean,
  ask: (options: CallOptions) => Promise<boolean>,
): Early {
  return onSide(run, "destination", desc, (o) =>
    run.limit(async () => (wanted() ? ask(o) : undefined)),
  );
}

/** The destination's answer for `desc`: the one asked early, else asked now. */
export async function presenceOf(
  run: Run,
  early: EarlyAnswers,
  desc: ContentDescriptor,
): Promise<boolean> {
  const asked = early.presence.get(desc.digest);
  early.presence.delete(desc.digest);
  return (await asked) ?? askPresence(run, desc);
}

/**
 * The mount sent early for `desc`, now the blob's own step's: whether a repository lent it, or
 * undefined when none was sent (the step then mounts in its turn).
 */
export function takeEarlyMount(early: EarlyAnswers, desc: ContentDescriptor): Early {
  const sent = early.mounts.get(desc.digest);
  early.mounts.delete(desc.digest);
  return sent?.lent ?? Promise.resolve(undefined);
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
      if ((await lent.catch(() => false)) !== false) return;
      await closeUnusedSession(run, desc);
    }),
  ]);
  early.presence.clear();
}

function askPresence(run: Run, desc: ContentDescriptor): Promise<boolean> {
  return onSide(run, "destination", desc, (o) => run.limit(() => run.dst.exists(desc, o)));
}
