// Attach's step 3, the GC anchors of every entry (anchors.ts says which and why), written at once
// where they are independent. Three things are not:
// - the `.compat` tag of a subject moves only after what it named has its keep tag;
// - a referrers fallback index is read, edited and written again, so entries of one subject (an
//   index may list one image twice) take turns, in rounds: the n-th entry of every subject in
//   round n, as the sequential order would have met them;
// - distribution 2.8 rewrites a manifest's link file in place whenever the manifest is put again,
//   also under a tag, and an index put meanwhile that lists the manifest is refused (the race
//   registry/link-race.ts recovers from, at two more round trips). So every `.compat` and keep
//   tag of a round is written before its referrers indexes, which list those compat manifests.
// A round: every read at once, then the keep tags, the `.compat` tags, the referrers indexes.
import { settleAll } from "../../content/limit.js";
import type { ContentDescriptor } from "../../content/store.js";
import { MediaType } from "../../oci/media-types.js";
import {
  compatTag,
  fallbackTag,
  nextReferrersIndex,
  previousToKeep,
  referrerDescriptor,
  rounds,
  type AnchorChoice,
} from "../anchors.js";
import type { PlannedEntry } from "./plan.js";
import type { AttachedEntry } from "./result.js";
import type { ContentWriter } from "./writer.js";

/** One entry's anchors: what was planned, its report (filled in here) and which anchors to write. */
export interface Anchoring {
  planned: PlannedEntry;
  entry: AttachedEntry;
  choice: AnchorChoice;
}

type Tagged = { descriptor: ContentDescriptor; bytes: Uint8Array };

/** Writes the anchors `choice` asks for of every entry, round by round. */
export async function writeAnchors(
  writer: ContentWriter,
  all: readonly Anchoring[],
  created: string,
): Promise<void> {
  const anchored = all.filter((a) => a.choice.compatTag || a.choice.referrersTag);
  for (const round of rounds(anchored, (a) => a.planned.subject.digest)) {
    await writeRound(writer, round, created);
  }
}

/** One round of writeAnchors: subjects all different. */
async function writeRound(
  writer: ContentWriter,
  round: readonly Anchoring[],
  created: string,
): Promise<void> {
  // A layout needs no keep tags: its gc follows the compat descriptors of every tagged index.
  const keeping = writer.kind === "registry";
  const reads = await writer.each(round, async (w, { planned, choice, entry }) => {
    const subject = planned.subject.digest;
    const manifest = planned.manifest.content.descriptor;
    const [keep, referrers] = await settleAll([
      choice.compatTag && keeping
        ? previousToKeep(w, subject, manifest, entry.replaced)
        : undefined,
      choice.referrersTag
        ? nextReferrersIndex(w, subject, referrerDescriptor(manifest, created))
        : undefined,
    ]);
    return { keep, referrers };
  });
  // Once per keep tag name: entries sharing a Proposal J blob share its keeper.
  const keeps = new Map<string, Tagged>();
  for (const [i, { keep }] of reads.entries()) {
    if (keep === undefined) continue;
    (round[i] as Anchoring).entry.anchors.keptPrevious = keep.tag;
    if (!keep.exists && !keeps.has(keep.tag)) keeps.set(keep.tag, keep.previous);
  }
  await writer.each([...keeps], (w, [tag, previous]) =>
    w.tag("keep-tag", previous.descriptor, previous.bytes, tag),
  );
  const tagging = round.filter((a) => a.choice.compatTag);
  await writer.each(tagging, async (w, { planned, entry }) => {
    const manifest = planned.manifest.content;
    const tagged = { ...manifest.descriptor, artifactType: MediaType.Compatibilities };
    await w.tag("compat-tag", tagged, manifest.bytes, compatTag(planned.subject.digest));
    entry.anchors.compatTag = compatTag(planned.subject.digest);
  });
  const listing = round.flatMap((a, i) => (a.choice.referrersTag ? [{ a, read: reads[i] }] : []));
  await writer.each(listing, async (w, { a, read }) => {
    const next = read?.referrers;
    if (next !== undefined) await w.tag("referrers-tag", next.descriptor, next.bytes, next.tag);
    a.entry.anchors.referrersTag = fallbackTag(a.planned.subject.digest);
  });
}
