// The check tagComplete runs under index.json's lock before it tags: the tag still names what the
// caller means to replace, and no descriptor below the root (or of a given list) lacks its blob.
import { OcicompatError } from "../../oci/errors.js";
import { successors } from "../graph.js";
import type { LayoutStore } from "../layout.js";
import { fetchBytes, isManifestType, type ContentDescriptor, type Store } from "../store.js";
import { refNameOf } from "./index-json.js";

/** Throws CONFLICT or INCOMPLETE unless `tag` may point at `desc` (see LayoutStore.tagComplete). */
export async function checkTagComplete(
  store: LayoutStore,
  desc: ContentDescriptor,
  tag: string,
  only: readonly ContentDescriptor[] | undefined,
  replacing: string | undefined,
): Promise<void> {
  if (replacing !== undefined) {
    const now = (await store.readIndex()).index.manifests.find((e) => refNameOf(e) === tag);
    if (now?.digest !== replacing) {
      throw new OcicompatError(
        "CONFLICT",
        `${tag} moved from ${replacing} to ${now?.digest ?? "nothing"} while ocicompat was writing; the tag was left as it is, run the command again`,
        { subject: `${store.name}:${tag}` },
      );
    }
  }
  const missing =
    only === undefined ? await missingBelow(store, desc) : await absentFrom(store, [desc, ...only]);
  if (missing.length === 0) return;
  const shown = missing.slice(0, 5).map((d) => `${d.mediaType} ${d.digest}`);
  const more = missing.length > shown.length ? `, and ${missing.length - shown.length} more` : "";
  throw new OcicompatError(
    "INCOMPLETE",
    `cannot tag ${desc.digest} as "${tag}" in ${store.name}: ${missing.length} descriptor${missing.length === 1 ? "" : "s"} below it ${missing.length === 1 ? "is" : "are"} missing (${shown.join(", ")}${more}); something removed ${missing.length === 1 ? "it" : "them"} after ${missing.length === 1 ? "it was" : "they were"} written`,
    { subject: desc.digest },
  );
}

/** Those of `descs` whose blobs are absent from `store`. */
async function absentFrom(
  store: Store,
  descs: readonly ContentDescriptor[],
): Promise<ContentDescriptor[]> {
  const missing: ContentDescriptor[] = [];
  for (const d of descs) if (!(await store.exists(d))) missing.push(d);
  return missing;
}

/** Descriptors under `root` (itself included) whose blobs are absent; manifests are verified. */
async function missingBelow(store: Store, root: ContentDescriptor): Promise<ContentDescriptor[]> {
  const missing: ContentDescriptor[] = [];
  const seen = new Set<string>();
  const pending = [root];
  for (let desc = pending.pop(); desc !== undefined; desc = pending.pop()) {
    // Walked as a document even if a descriptor named the same digest as a plain blob first.
    const document = isManifestType(desc.mediaType);
    const key = `${document ? "document" : "blob"} ${desc.digest}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!(await store.exists(desc))) {
      missing.push(desc);
      continue;
    }
    if (document) {
      pending.push(...successors(desc, await fetchBytes(store, desc)).children);
    }
  }
  return missing;
}
