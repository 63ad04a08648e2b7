// `ocicompat inspect REF`: the raw bytes of what a reference names, or a tree of index → manifests
// → config, with each entry's compatibilities descriptor followed to its sets.
import { readSets, type CompatibilitySet } from "../compat/sets.js";
import { lenientCompatConfig, lenientCompatDocument } from "../compat/lenient.js";
import type { ValidationIssue } from "../oci/errors.js";
import {
  fetchBytes,
  isManifestType,
  type CallOptions,
  type ContentDescriptor,
  type Store,
} from "../content/store.js";
import { isOcicompatError, OcicompatError, errorMessage } from "../oci/errors.js";
import { parseIJson } from "../oci/ijson.js";
import { IndexMediaTypes, ManifestMediaTypes, MediaType } from "../oci/media-types.js";
import type { NfdCompatibility } from "../compat/nfd/spec.js";
import { NfdReader } from "./select/read-nfd.js";
import { createLimit } from "../content/limit.js";
import { isObject, type Json } from "../oci/json-value.js";

export interface CompatSummary {
  /** "manifest" (Proposal I) or "blob" (Proposal J). */
  form: "manifest" | "blob";
  descriptor: ContentDescriptor;
  sets?: CompatibilitySet[];
  /** Why the sets could not be read: dangling, corrupt, not compatibilities. */
  problem?: string;
  /** Deviations from the proposals' text, read leniently (docs/interop.md). */
  warnings?: ValidationIssue[];
}

/** An entry's NFD image-compatibility artifact (a referrer of its image manifest). */
export interface NfdSummary {
  artifact: ContentDescriptor;
  compatibilities?: NfdCompatibility[];
  problem?: string;
  warnings?: ValidationIssue[];
}

export interface InspectNode {
  descriptor: ContentDescriptor;
  platform?: string;
  features?: string[];
  compat?: CompatSummary;
  /** The newest NFD artifact, for an image manifest entry that has one. */
  nfd?: NfdSummary;
  /** Index entries, or a manifest's config and layers. */
  children: InspectNode[];
  artifactType?: string;
  problem?: string;
}

export interface InspectResult {
  reference: string;
  root: InspectNode;
}

function platformText(p: Json): string {
  return [p["os"], p["architecture"], p["variant"]]
    .filter((x) => typeof x === "string" && x !== "")
    .join("/");
}

export interface InspectOptions {
  /** Cancels the inspection (a command's --timeout): it fails as a whole, with the reason. */
  signal?: AbortSignal | undefined;
}

async function readJson(
  store: Store,
  desc: ContentDescriptor,
  options: CallOptions,
): Promise<unknown> {
  return parseIJson(await fetchBytes(store, desc, undefined, options)).value;
}

/**
 * What is recorded as a node's problem rather than thrown: anything about the content. A deadline
 * that passed or a cancellation says nothing about the content and ends the whole inspection.
 */
function problemOf(err: unknown): string {
  if (isOcicompatError(err) && (err.code === "TIMEOUT" || err.code === "CANCELLED")) throw err;
  return errorMessage(err);
}

async function compatSummary(
  store: Store,
  desc: ContentDescriptor,
  options: CallOptions,
): Promise<CompatSummary> {
  const form = desc.mediaType === MediaType.Compatibilities ? "blob" : "manifest";
  const summary: CompatSummary = { form, descriptor: desc };
  try {
    let list: unknown;
    let warnings: ValidationIssue[];
    if (form === "blob") {
      const read = lenientCompatDocument(await readJson(store, desc, options));
      warnings = read.warnings;
      list = isObject(read.value) ? read.value["compatibilities"] : undefined;
    } else {
      const manifest = await readJson(store, desc, options);
      const config = isObject(manifest) ? manifest["config"] : undefined;
      if (!isObject(config))
        throw new OcicompatError("VALIDATION", "compatibilities manifest has no config");
      const read = lenientCompatConfig(await readJson(store, config as ContentDescriptor, options));
      warnings = read.warnings;
      const doc = read.value;
      list =
        isObject(doc) && isObject(doc["config"]) ? doc["config"]["compatibilities"] : undefined;
    }
    if (!Array.isArray(list) || !list.every(isObject))
      throw new OcicompatError("VALIDATION", "holds no compatibility sets");
    summary.sets = readSets(list);
    if (warnings.length > 0) summary.warnings = warnings;
  } catch (err) {
    summary.problem = problemOf(err);
  }
  return summary;
}

/** The entry's NFD artifact as select reads it (ops/select/read-nfd.ts), or undefined. */
async function nfdSummary(
  store: Store,
  desc: ContentDescriptor,
  options: CallOptions,
): Promise<NfdSummary | undefined> {
  const signal = options.signal ?? new AbortController().signal;
  const reader = new NfdReader({ store, limit: createLimit(1), signal });
  let found;
  try {
    found = await reader.read(desc);
  } catch (err) {
    // A registry that cannot list referrers says nothing about the image: no NFD line.
    if (isOcicompatError(err) && (err.code === "TIMEOUT" || err.code === "CANCELLED")) throw err;
    return undefined;
  }
  if (found === undefined || found.state === "none") return undefined;
  const artifact = found.descriptor;
  if (found.state === "unreadable") return { artifact, problem: found.problem };
  const summary: NfdSummary = {
    artifact,
    compatibilities: [...(found.nfd?.compatibilities ?? [])],
  };
  if (found.warnings && found.warnings.length > 0) summary.warnings = [...found.warnings];
  return summary;
}

async function inspectNode(
  store: Store,
  desc: ContentDescriptor,
  depth: number,
  options: CallOptions,
): Promise<InspectNode> {
  const node: InspectNode = { descriptor: desc, children: [] };
  if (!isManifestType(desc.mediaType) || depth > 4) return node;
  let doc: unknown;
  try {
    doc = await readJson(store, desc, options);
  } catch (err) {
    node.problem = problemOf(err);
    return node;
  }
  if (!isObject(doc)) return node;
  if (typeof doc["artifactType"] === "string") node.artifactType = doc["artifactType"];
  if (IndexMediaTypes.has(desc.mediaType) && Array.isArray(doc["manifests"])) {
    node.children = await Promise.all(
      doc["manifests"].filter(isObject).map(async (entry) => {
        const child = await inspectNode(store, entry as ContentDescriptor, depth + 1, options);
        const platform = entry["platform"];
        if (isObject(platform)) {
          child.platform = platformText(platform);
          if (Array.isArray(platform["features"]))
            child.features = platform["features"].map(String);
          const compat = platform["compatibilities"] ?? platform["compat"];
          if (isObject(compat))
            child.compat = await compatSummary(store, compat as ContentDescriptor, options);
        }
        if (ManifestMediaTypes.has(child.descriptor.mediaType) && child.problem === undefined) {
          const nfd = await nfdSummary(store, child.descriptor, options);
          if (nfd !== undefined) child.nfd = nfd;
        }
        return child;
      }),
    );
  } else {
    const parts = [doc["config"], ...(Array.isArray(doc["layers"]) ? doc["layers"] : [])];
    node.children = parts
      .filter(isObject)
      .map((d) => ({ descriptor: d as ContentDescriptor, children: [] }));
  }
  return node;
}

export async function inspect(
  store: Store,
  reference: string,
  options: InspectOptions = {},
): Promise<InspectResult> {
  const call: CallOptions = options.signal === undefined ? {} : { signal: options.signal };
  const { mediaType, digest, size } = await store.resolve(reference, call);
  // Only what names the content: a layout's ref.name annotation is about the tag, not the image.
  return { reference, root: await inspectNode(store, { mediaType, digest, size }, 0, call) };
}

/** The exact bytes stored for the reference (verified). */
export async function inspectRaw(
  store: Store,
  reference: string,
  options: InspectOptions = {},
): Promise<Uint8Array> {
  const call: CallOptions = options.signal === undefined ? {} : { signal: options.signal };
  return fetchBytes(store, await store.resolve(reference, call), undefined, call);
}
