// Tags in index.json, an entry's ref.name annotation: the tags a layout lists, and the edit that
// points a tag at a descriptor (see the decisions in layout.ts). No I/O: the store reads, locks
// and writes index.json around them.
import type { IndexEntry } from "../../oci/schema.js";
import type { ContentDescriptor } from "../store.js";
import {
  editIndexJson,
  REF_NAME,
  refNameOf,
  type EntryEdit,
  type IndexJson,
} from "./index-json.js";

export function uniqueTags(entries: readonly IndexEntry[]): string[] {
  const tags = new Set<string>();
  for (const entry of entries) {
    const name = refNameOf(entry);
    if (name !== undefined) tags.add(name);
  }
  return [...tags];
}

/**
 * The index.json text with `tag` on `desc`. The first entry carrying the tag is replaced in place
 * (or a new entry is appended); later entries that also carry it keep their place and lose only
 * the annotation, as containers/image does, so no content stops being a root.
 */
export function retag(current: IndexJson, desc: ContentDescriptor, tag: string): string {
  const entries = current.index.manifests;
  const holders = entries.map((e, at) => ({ e, at })).filter(({ e }) => refNameOf(e) === tag);
  const wanted = entryFor(desc, tag);
  const edits: EntryEdit[] = [];
  const [first, ...others] = holders;
  if (first === undefined) {
    edits.push({ kind: "append", entry: wanted });
  } else if (!sameTarget(first.e, desc)) {
    edits.push({ kind: "replace", at: first.at, entry: wanted });
  }
  for (const { e, at } of others) {
    const annotations = { ...e.annotations };
    delete annotations[REF_NAME];
    const stripped: IndexEntry = { ...e, annotations };
    if (Object.keys(annotations).length === 0) delete stripped.annotations;
    edits.push({ kind: "replace", at, entry: stripped });
  }
  return edits.length === 0 ? current.text : editIndexJson(current.text, edits);
}

function sameTarget(entry: IndexEntry, desc: ContentDescriptor): boolean {
  return (
    entry.digest === desc.digest && entry.size === desc.size && entry.mediaType === desc.mediaType
  );
}

function entryFor(desc: ContentDescriptor, tag: string): IndexEntry {
  const entry: IndexEntry = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  if (desc.artifactType !== undefined) entry.artifactType = desc.artifactType;
  const annotations = { ...desc.annotations };
  delete annotations[REF_NAME];
  entry.annotations = { ...annotations, [REF_NAME]: tag };
  return entry;
}
