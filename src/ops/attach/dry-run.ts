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
  for (const [i, p] of planned.entries()) {
    const entry = result.entries[i] as AttachedEntry;
    const manifest = p.manifest.content.descriptor;
    if (choice.compatTag) {
      const keep = keepTags[i];
      if (keep?.write !== undefined)
        writes.push({ ...keep.write, ...(conditional ? { conditional } : {}) });
      if (keep?.tag !== undefined) entry.anchors.keptPrevious = keep.tag;
      const name = compatTag(p.subject.digest);
      writes.push({
        action: "tag",
        role: "compat-tag",
        descriptor: manifest,
        tag: name,
        ...(conditional ? { conditional } : {}),
      });
      entry.anchors.compatTag = name;
    }
    if (choice.referrersTag) {
      const name = fallbackTag(p.subject.digest);
      writes.push({
        action: "tag",
        role: "referrers-tag",
        descriptor: manifest,
        tag: name,
        ...(conditional ? { conditional } : {}),
      });
      entry.anchors.referrersTag = name;
    }
  }
  writes.push({ action: "tag", role: "index", descriptor: newIndex, tag });
  return writes;
}
