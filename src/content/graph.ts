// The content graph: what a manifest or index points at. ocicompat's successors include the
// compatibilities descriptors inside `platform`, which no registry and no other copy tool
// follows; that is how compat content stops getting lost.
import { parseIJson } from "../oci/ijson.js";
import { IndexMediaTypes, ManifestMediaTypes } from "../oci/media-types.js";
import type { ContentDescriptor } from "./store.js";
import { isObject } from "../oci/json-value.js";

/** `v` as a descriptor, when it has the three required fields with the right types. */
export function asDescriptor(v: unknown): ContentDescriptor | undefined {
  if (!isObject(v)) return undefined;
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== "string" || typeof digest !== "string" || typeof size !== "number")
    return undefined;
  return v as ContentDescriptor;
}

export interface Successors {
  /** Children in the order they must exist before the parent is written. */
  children: ContentDescriptor[];
  /** The subject this manifest refers to, if any (it is not copied as a child). */
  subject?: ContentDescriptor;
}

/** The descriptors a manifest or index references; other content has none. */
export function successors(desc: ContentDescriptor, bytes: Uint8Array): Successors {
  if (!ManifestMediaTypes.has(desc.mediaType) && !IndexMediaTypes.has(desc.mediaType))
    return { children: [] };
  const doc = parseIJson(bytes).value;
  if (!isObject(doc)) return { children: [] };
  const children: ContentDescriptor[] = [];
  const add = (v: unknown): void => {
    const d = asDescriptor(v);
    if (d) children.push(d);
  };
  if (Array.isArray(doc["manifests"])) {
    for (const entry of doc["manifests"]) {
      // Compat content first: it must exist before the entry that names it is published.
      if (isObject(entry) && isObject(entry["platform"])) {
        add(entry["platform"]["compatibilities"]);
        add(entry["platform"]["compat"]);
      }
      add(entry);
    }
  }
  add(doc["config"]);
  if (Array.isArray(doc["layers"])) doc["layers"].forEach(add);
  const subject = asDescriptor(doc["subject"]);
  return subject ? { children: dedupe(children), subject } : { children: dedupe(children) };
}

function dedupe(list: ContentDescriptor[]): ContentDescriptor[] {
  const seen = new Set<string>();
  return list.filter((d) => (seen.has(d.digest) ? false : (seen.add(d.digest), true)));
}
