// What a dry run reports it would write, in the order attach would write it, without writing: the
// anchors come from the policy alone, since only a write tells whether the registry indexes subjects.
import type { BuiltContent } from "../../compat/build.js";
import type { ContentDescriptor } from "../../content/store.js";
import {
  chooseAnchors,
  compatTag,
  fallbackTag,
  previousToKeep,
  type AnchorPolicy,
  rounds,
} from "../anchors.js";
import type { PlannedEntry } from "./plan.js";
import type { AttachedEntry, AttachResult, PlannedWrite } from "./result.js";
import type { ContentWriter, WriteRole } from "./writer.js";

/**
 * Per planned entry, the keep tag a registry attach would leave on what the entry's `.compat` tag
 * names now (anchors.ts, previousToKeep), read from the registry; nothing is written. The write is
 * listed once per tag name (entries sharing a J blob share its keeper), as the attach makes it.
 */
export async function keepTagsPlanned(
  writer: ContentWriter,
  anchor: AnchorPolicy,
  planned: readonly PlannedEntry[],
  entries: readonly AttachedEntry[],
): Promise<{ tag?: string; write?: PlannedWrite }[]> {
  if (writer.kind !== "registry" || !chooseAnchors(anchor, writer.kind, false).compatTag) {
    return planned.map(() => ({}));
  }
  const reads = await writer.each([...planned.entries()], (w, [i, p]) =>
    previousToKeep(w, p.subject.digest, p.manifest.content.descriptor, entries[i]?.replaced ?? []),
  );
  const listed = new Set<string>();
  const plans: { tag?: string; write?: PlannedWrite }[] = [];
  for (const plan of reads) {
    if (plan === undefined) {
      plans.push({});
      continue;
    }
    const fresh = !plan.exists && !listed.has(plan.tag);
    listed.add(plan.tag);
    plans.push({
      tag: plan.tag,
      ...(fresh
        ? {
            write: {
              action: "tag",
              role: "keep-tag",
              descriptor: plan.previous.descriptor,
              tag: plan.tag,
            },
          }
        : {}),
    });
  }
  return plans;
}

export function dryRunWrites(
  kind: "registry" | "layout",
  anchor: AnchorPolicy,
  blobs: readonly { role: WriteRole; content: BuiltContent }[],
  manifests: readonly { role: WriteRole; content: BuiltContent }[],
  planned: readonly PlannedEntry[],
  result: AttachResult,
  newIndex: ContentDescriptor,
  tag: string,
  keepTags: readonly { tag?: string; write?: PlannedWrite }[],
): PlannedWrite[] {
  const writes: PlannedWrite[] = [];
  for (const b of blobs)
    writes.push({ action: "blob", role: b.role, descriptor: b.content.descriptor });
  for (const m of manifests)
    writes.push({ action: "manifest", role: m.role, descriptor: m.content.descriptor });
  // Without the registry's answer, `auto` on a registry shows the anchors for no referrers API.
  const choice = chooseAnchors(anchor, kind, false);
  const conditional = anchor === "auto" && kind === "registry";
  // In attach's order (anchor-step.ts): round by round, the keep tags, the `.compat` tags, then
  // the referrers indexes of the round's entries.
  const marked = conditional ? { conditional } : {};
  for (const round of rounds(
    [...planned.keys()],
    (i) => (planned[i] as PlannedEntry).subject.digest,
  )) {
    for (const i of round) {
      const keep = keepTags[i];
      if (!choice.compatTag || keep === undefined) continue;
      if (keep.write !== undefined) writes.push({ ...keep.write, ...marked });
      if (keep.tag !== undefined)
        (result.entries[i] as AttachedEntry).anchors.keptPrevious = keep.tag;
    }
    for (const role of ["compat-tag", "referrers-tag"] as const) {
      if (!(role === "compat-tag" ? choice.compatTag : choice.referrersTag)) continue;
      for (const i of round) {
        const p = planned[i] as PlannedEntry;
        const entry = result.entries[i] as AttachedEntry;
        const name =
          role === "compat-tag" ? compatTag(p.subject.digest) : fallbackTag(p.subject.digest);
        writes.push({
          action: "tag",
          role,
          descriptor: p.manifest.content.descriptor,
          tag: name,
          ...marked,
        });
        if (role === "compat-tag") entry.anchors.compatTag = name;
        else entry.anchors.referrersTag = name;
      }
    }
  }
  writes.push({ action: "tag", role: "index", descriptor: newIndex, tag });
  return writes;
}
