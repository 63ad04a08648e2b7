// protect --images: the keep tag `sha256-<hex>.keep` of every manifest an index lists, and of what
// nested indexes list, since distribution 2.x's `garbage-collect --delete-untagged` deletes
// untagged manifests even when a tagged index lists them. An index's children go a window at a
// time: their reads at once, then their keep tags at once, image manifests' before indexes'
// (distribution 2.8 rewrites a manifest's link file in place when the manifest is put again
// under a tag, and an index put meanwhile that lists it is refused), then each nested index's own
// children, in turn.
import { createLimit, settleAll } from "../../content/limit.js";
import { isManifestType, type ContentDescriptor } from "../../content/store.js";
import { parseIJson } from "../../oci/ijson.js";
import { isObject } from "../../oci/json-value.js";
import { IndexMediaTypes } from "../../oci/media-types.js";
import { keepTag } from "../anchors.js";
import type { ContentWriter } from "../attach/writer.js";
import type { AnchorFinder } from "../verify/anchors.js";
import { READ_AHEAD, WINDOW, asDescriptor, readIfPresent } from "./reads.js";
import type { ProtectedImage } from "./report.js";

interface Child {
  desc: ContentDescriptor;
  nested: boolean;
  image: ProtectedImage;
  bytes?: Uint8Array;
}

/** The keep tag of every manifest `index` lists, depth first; reports in the index's order. */
export async function keepImages(
  writer: ContentWriter,
  finder: AnchorFinder,
  index: unknown,
  where: string,
  seen = new Set<string>(),
): Promise<ProtectedImage[]> {
  const out: ProtectedImage[] = [];
  const children = isObject(index) && Array.isArray(index["manifests"]) ? index["manifests"] : [];
  for (let start = 0; start < children.length; start += WINDOW) {
    const window: Child[] = [];
    for (const [i, child] of children.slice(start, start + WINDOW).entries()) {
      const desc = asDescriptor(child);
      if (desc === undefined || seen.has(desc.digest)) continue;
      const nested = IndexMediaTypes.has(desc.mediaType);
      if (!nested && !isManifestType(desc.mediaType)) continue;
      seen.add(desc.digest);
      const location = `${where} → manifests[${start + i}]`;
      const image: ProtectedImage = {
        location,
        mediaType: desc.mediaType,
        digest: desc.digest,
        status: "already",
      };
      window.push({ desc, nested, image });
    }
    await keepWindow(writer, finder, window);
    for (const child of window) {
      out.push(child.image);
      if (child.nested && child.bytes !== undefined) {
        const doc = parseIJson(child.bytes).value;
        out.push(...(await keepImages(writer, finder, doc, child.image.location, seen)));
      }
    }
  }
  return out;
}

/** One window of an index's children: each read, and its keep tag written where it is missing. */
async function keepWindow(
  writer: ContentWriter,
  finder: AnchorFinder,
  window: readonly Child[],
): Promise<void> {
  const registry = writer.kind === "registry";
  const limit = createLimit(READ_AHEAD);
  const reads = await settleAll(
    window.map((child) =>
      limit(() =>
        settleAll([
          readIfPresent(writer.store, child.desc),
          registry ? finder.keepTagTarget(child.desc.digest) : undefined,
        ]),
      ),
    ),
  );
  const tagging: { child: Child; bytes: Uint8Array }[] = [];
  for (const [i, child] of window.entries()) {
    const [bytes, kept] = reads[i] ?? [];
    if (bytes === undefined) {
      child.image.status = "missing";
      continue;
    }
    child.bytes = bytes;
    // A layout keeps what its tagged indexes list (index.json entries are its GC roots).
    if (!registry) continue;
    child.image.tag = keepTag(child.desc.digest);
    if (kept?.digest !== child.desc.digest) tagging.push({ child, bytes });
  }
  for (const nested of [false, true]) {
    await writer.each(
      tagging.filter(({ child }) => child.nested === nested),
      async (w, { child, bytes }) => {
        await w.tag("keep-tag", child.desc, bytes, keepTag(child.desc.digest));
        child.image.status = "protected";
      },
    );
  }
}
