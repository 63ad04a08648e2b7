// protect --images: the keep tag `sha256-<hex>.keep` of every manifest an index lists, and of what
// nested indexes list, since distribution 2.x's `garbage-collect --delete-untagged` deletes
// untagged manifests even when a tagged index lists them. Two passes:
//   1. the walk, depth first in the index's order (each manifest once, where it is first met),
//      reading a window of an index's children at once;
//   2. the keep tags, each step's at once, in steps so that no manifest is put in the step of an
//      index that lists it: distribution 2.8 rewrites a manifest's link file in place when the
//      manifest is put again under a tag, and an index put meanwhile that lists it is refused.
//      Image manifests go first, then the indexes that list only what went before, and so on.
import { settleAll, settleEach } from "../../content/limit.js";
import { isManifestType, type ContentDescriptor } from "../../content/store.js";
import { parseIJson } from "../../oci/ijson.js";
import { isObject } from "../../oci/json-value.js";
import { IndexMediaTypes } from "../../oci/media-types.js";
import { keepTag } from "../anchors.js";
import type { ContentWriter } from "../attach/writer.js";
import type { AnchorFinder } from "../verify/anchors.js";
import { READ_AHEAD, WINDOW, asDescriptor, readIfPresent } from "./reads.js";
import type { ProtectedImage } from "./report.js";

/** A manifest the walk met, with what a keep tag needs. */
interface Found {
  image: ProtectedImage;
  desc: ContentDescriptor;
  /** Undefined when the manifest is gone. */
  bytes?: Uint8Array;
  /** For an index: the digests it lists. */
  lists: readonly string[];
}

/** The keep tag of every manifest `index` lists, depth first; reports in the walk's order. */
export async function keepImages(
  writer: ContentWriter,
  finder: AnchorFinder,
  index: unknown,
): Promise<ProtectedImage[]> {
  const found: Found[] = [];
  await walk(writer, finder, children(index), "index", new Set(), found);
  // A layout keeps what its tagged indexes list (index.json entries are its GC roots).
  if (writer.kind === "registry") await writeKeepTags(writer, finder, found);
  return found.map((f) => f.image);
}

function children(index: unknown): unknown[] {
  return isObject(index) && Array.isArray(index["manifests"]) ? index["manifests"] : [];
}

/** Pass 1: every manifest under `listed`, depth first, each where it is first met. */
async function walk(
  writer: ContentWriter,
  finder: AnchorFinder,
  listed: readonly unknown[],
  where: string,
  seen: Set<string>,
  found: Found[],
): Promise<void> {
  for (let start = 0; start < listed.length; start += WINDOW) {
    const window = listed.slice(start, start + WINDOW);
    const bytesOf = await readWindow(writer, finder, window, seen);
    for (const [i, child] of window.entries()) {
      const desc = asDescriptor(child);
      if (desc === undefined || seen.has(desc.digest)) continue;
      const nested = IndexMediaTypes.has(desc.mediaType);
      if (!nested && !isManifestType(desc.mediaType)) continue;
      seen.add(desc.digest);
      const image: ProtectedImage = {
        location: `${where} → manifests[${start + i}]`,
        mediaType: desc.mediaType,
        digest: desc.digest,
        status: "already",
      };
      // Read ahead with its window: a child not yet seen here was not seen when it was read.
      const bytes = bytesOf.get(desc.digest);
      if (bytes === undefined) {
        image.status = "missing";
        found.push({ image, desc, lists: [] });
        continue;
      }
      const inner = nested ? children(parseIJson(bytes).value) : [];
      const lists = inner.flatMap((c) => asDescriptor(c)?.digest ?? []);
      found.push({ image, desc, bytes, lists });
      if (nested) await walk(writer, finder, inner, image.location, seen, found);
    }
  }
}

/** A window's manifests and keep tags read at once; returns each manifest's bytes (or undefined: gone). */
async function readWindow(
  writer: ContentWriter,
  finder: AnchorFinder,
  window: readonly unknown[],
  seen: ReadonlySet<string>,
): Promise<Map<string, Uint8Array | undefined>> {
  const wanted = new Map<string, ContentDescriptor>();
  for (const child of window) {
    const desc = asDescriptor(child);
    if (desc === undefined || seen.has(desc.digest)) continue;
    if (IndexMediaTypes.has(desc.mediaType) || isManifestType(desc.mediaType))
      wanted.set(desc.digest, desc);
  }
  const reads = await settleEach([...wanted.values()], READ_AHEAD, (desc) =>
    settleAll([
      readIfPresent(writer.store, desc),
      writer.kind === "registry" ? finder.keepTagTarget(desc.digest) : undefined,
    ]),
  );
  return new Map([...wanted.keys()].map((digest, i) => [digest, reads[i]?.[0]]));
}

/** Pass 2: the keep tags that are missing, in steps (see the top of this file). */
async function writeKeepTags(
  writer: ContentWriter,
  finder: AnchorFinder,
  found: readonly Found[],
): Promise<void> {
  const present = found.filter((f): f is Found & { bytes: Uint8Array } => f.bytes !== undefined);
  for (const f of present) f.image.tag = keepTag(f.desc.digest);
  const kept = await writer.each(present, (_, f) => finder.keepTagTarget(f.desc.digest));
  let waiting = present.filter((f, i) => kept[i]?.digest !== f.desc.digest);
  while (waiting.length > 0) {
    const later = new Set(waiting.map((f) => f.desc.digest));
    const ready = waiting.filter((f) => !f.lists.some((d) => later.has(d)));
    // Content addresses allow no cycle, so some manifest is always ready; all go if not.
    const step = new Set(ready.length > 0 ? ready : waiting);
    await writer.each([...step], async (w, f) => {
      await w.tag("keep-tag", f.desc, f.bytes, keepTag(f.desc.digest));
      f.image.status = "protected";
    });
    waiting = waiting.filter((f) => !step.has(f));
  }
}
