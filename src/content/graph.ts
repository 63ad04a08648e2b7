// The content graph: what a manifest or index points at. ocicompat's successors include the
// compatibilities descriptors inside `platform`, which no registry and no other copy tool
// follows; that is how compat content stops getting lost.
//
// Every descriptor a document names is checked (oci/followed-descriptor.ts) before it is
// returned: a walk that skipped an entry with `"size": "100"` would copy, keep or verify less than
// the document says and still report success. A document that cannot be parsed, or names
// something that cannot be followed, is refused with its digest and the JSON path.
import { followableDescriptor } from "../oci/followed-descriptor.js";
import { parseIJson } from "../oci/ijson.js";
import { isOcicompatError, OcicompatError } from "../oci/errors.js";
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

/**
 * The descriptors a manifest or index references; other content has none. Throws INVALID_JSON
 * (naming `desc.digest`) when the document is not I-JSON, and VALIDATION (with the JSON path) when
 * a descriptor in it cannot be followed.
 */
export function successors(desc: ContentDescriptor, bytes: Uint8Array): Successors {
  if (!ManifestMediaTypes.has(desc.mediaType) && !IndexMediaTypes.has(desc.mediaType))
    return { children: [] };
  const doc = parseDocument(desc, bytes);
  if (!isObject(doc)) return { children: [] };
  const children: ContentDescriptor[] = [];
  const add = (v: unknown, path: string): void => {
    children.push(followableDescriptor(v, path, desc.digest));
  };
  const manifests = doc["manifests"];
  if (manifests !== undefined) {
    if (!Array.isArray(manifests)) throw notAList(desc, "$.manifests");
    manifests.forEach((entry: unknown, i: number) => {
      const at = `$.manifests[${i}]`;
      // Compat content first: it must exist before the entry that names it is published.
      if (isObject(entry) && isObject(entry["platform"])) {
        for (const field of ["compatibilities", "compat"] as const) {
          const value = entry["platform"][field];
          if (value !== undefined) add(value, `${at}.platform.${field}`);
        }
      }
      add(entry, at);
    });
  }
  if (doc["config"] !== undefined) add(doc["config"], "$.config");
  const layers = doc["layers"];
  if (layers !== undefined) {
    if (!Array.isArray(layers)) throw notAList(desc, "$.layers");
    layers.forEach((layer: unknown, i: number) => add(layer, `$.layers[${i}]`));
  }
  const subject =
    doc["subject"] === undefined
      ? undefined
      : followableDescriptor(doc["subject"], "$.subject", desc.digest);
  return subject ? { children: dedupe(children), subject } : { children: dedupe(children) };
}

/** The document's JSON value; a parse error names the document it came from. */
function parseDocument(desc: ContentDescriptor, bytes: Uint8Array): unknown {
  try {
    return parseIJson(bytes).value;
  } catch (err) {
    if (!isOcicompatError(err)) throw err;
    throw new OcicompatError(
      "INVALID_JSON",
      `${desc.mediaType} is not valid JSON: ${err.message}`,
      {
        subject: desc.digest,
        cause: err,
      },
    );
  }
}

function notAList(desc: ContentDescriptor, path: string): OcicompatError {
  return new OcicompatError("VALIDATION", `${path}: must be an array of descriptors`, {
    subject: desc.digest,
  });
}

function dedupe(list: ContentDescriptor[]): ContentDescriptor[] {
  const seen = new Set<string>();
  return list.filter((d) => (seen.has(d.digest) ? false : (seen.add(d.digest), true)));
}
