// What a tag names before attach or detach edits it: an OCI image index (edited in place), or a
// single image manifest (wrapped into a one-entry index whose platform comes from its config).
import {
  parseIndexDocument,
  platformFromConfig,
  wrapInIndex,
  type EntryPlatform,
} from "../../compat/index-edit.js";
import {
  canGetManifest,
  fetchBytes,
  type CallOptions,
  type ContentDescriptor,
  type Store,
} from "../../content/store.js";
import { OcicompatError } from "../../oci/errors.js";
import { parseIJson } from "../../oci/ijson.js";
import { ManifestMediaTypes, MediaType } from "../../oci/media-types.js";
import { isObject, type Json } from "../../oci/json-value.js";

export interface TagSource {
  tag: string;
  /** What the tag named: the index, or the single manifest that was wrapped. */
  current: ContentDescriptor;
  /** The index to edit: the tagged one, or the wrapper. */
  indexBytes: Uint8Array;
  index: Json;
  /** The tag named a single manifest; `indexBytes` is a new one-entry index around it. */
  wrapped: boolean;
}

/** Resolves `tag` and reads what it names, refusing what compatibilities cannot be added to. */
export async function readTagSource(
  store: Store,
  tag: string,
  options: { expect?: string; wrap?: boolean } & CallOptions = {},
): Promise<TagSource> {
  const call: CallOptions = options.signal === undefined ? {} : { signal: options.signal };
  // A registry answers with the bytes in one GET (which metered registries count as the GET
  // after a HEAD would have been counted); other stores resolve, then read.
  const got = canGetManifest(store) ? await store.getManifest(tag, call) : undefined;
  const current = got?.descriptor ?? (await store.resolve(tag, call));
  const where = `${store.name}:${tag}`;
  if (options.expect !== undefined && current.digest !== options.expect) {
    throw new OcicompatError(
      "CONFLICT",
      `${tag} names ${current.digest}, not ${options.expect}; refusing to change it`,
      { subject: where },
    );
  }
  if (current.mediaType === MediaType.DockerManifestList) {
    throw new OcicompatError(
      "UNSUPPORTED",
      `${tag} is a Docker manifest list; compatibilities extend OCI image indexes (convert it first, e.g. skopeo copy --all --format oci)`,
      { subject: where },
    );
  }
  const bytes = got?.bytes ?? (await fetchBytes(store, current, undefined, call));
  if (current.mediaType === MediaType.ImageIndex) {
    return {
      tag,
      current,
      indexBytes: bytes,
      index: parseIndexDocument(bytes, where),
      wrapped: false,
    };
  }
  if (ManifestMediaTypes.has(current.mediaType)) {
    if (options.wrap === false) {
      throw new OcicompatError(
        "NOT_FOUND",
        `${tag} names a single image manifest, not an index: it has no compatibilities`,
        { subject: where },
      );
    }
    const platform = await platformOfManifest(store, current, bytes, call);
    const wrapper = wrapInIndex(current, platform);
    return {
      tag,
      current,
      indexBytes: wrapper.bytes,
      index: parseIndexDocument(wrapper.bytes, where),
      wrapped: true,
    };
  }
  throw new OcicompatError(
    "UNSUPPORTED",
    `${tag} names a ${current.mediaType}, neither an image index nor an image manifest`,
    { subject: where },
  );
}

/** The platform of an image manifest, from its config: os, architecture, variant, os.*. */
export async function platformOfManifest(
  store: Store,
  manifest: ContentDescriptor,
  bytes?: Uint8Array,
  options?: CallOptions,
): Promise<EntryPlatform> {
  const doc = parseIJson(bytes ?? (await fetchBytes(store, manifest, undefined, options))).value;
  const config = isObject(doc) ? doc["config"] : undefined;
  if (!isObject(config) || typeof config["digest"] !== "string") {
    throw new OcicompatError("VALIDATION", "the image manifest has no config descriptor", {
      subject: manifest.digest,
    });
  }
  const configDoc = parseIJson(
    await fetchBytes(store, config as unknown as ContentDescriptor, undefined, options),
  ).value;
  const platform = platformFromConfig(configDoc);
  if (platform === undefined) {
    throw new OcicompatError(
      "VALIDATION",
      "the image config names no os and architecture, so the platform is unknown",
      { subject: String(config["digest"]) },
    );
  }
  return platform;
}
