// The content attach writes for one targeted entry, built before anything is written: the blobs,
// the compat manifest (or the Proposal J blob's keeper) and the descriptor the entry's platform gets.
import {
  buildCompatBlob,
  buildCompatConfig,
  buildCompatManifest,
  type BuiltContent,
} from "../../compat/build.js";
import type { EntryPlatform } from "../../compat/index-edit.js";
import type { ContentDescriptor } from "../../content/store.js";
import { EmptyDescriptor } from "../../oci/media-types.js";
import type { Descriptor } from "../../oci/schema.js";
import type { AttachOptions, CompatSet } from "./options.js";
import type { TargetEntry } from "./targets.js";
import type { WriteRole } from "./writer.js";

export interface PlannedEntry {
  target: TargetEntry;
  platform: EntryPlatform;
  /** The subject: the entry's image manifest. */
  subject: Descriptor;
  blobs: { role: WriteRole; content: BuiltContent }[];
  manifest: { role: WriteRole; content: BuiltContent };
  compatibilities: ContentDescriptor;
  /** Set when `setsFor` made this entry's sets. */
  ownSets?: readonly CompatSet[];
}

export function platformOfEntry(target: TargetEntry): EntryPlatform | undefined {
  const p = target.platform;
  if (p === undefined || typeof p["os"] !== "string" || typeof p["architecture"] !== "string")
    return undefined;
  const platform: EntryPlatform = { architecture: p["architecture"], os: p["os"] };
  if (typeof p["variant"] === "string" && p["variant"] !== "") platform.variant = p["variant"];
  return platform;
}

function emptyBlob(): BuiltContent {
  return {
    descriptor: {
      mediaType: EmptyDescriptor.mediaType,
      digest: EmptyDescriptor.digest,
      size: EmptyDescriptor.size,
    },
    bytes: new TextEncoder().encode("{}"),
  };
}

export function planEntry(
  target: TargetEntry,
  platform: EntryPlatform,
  sets: readonly CompatSet[],
  options: AttachOptions,
  created: string,
): PlannedEntry {
  const subject: Descriptor = { ...target.descriptor };
  if ((options.format ?? "manifest") === "blob") {
    const blob = buildCompatBlob(sets, options.blobAnnotations, created);
    const empty = emptyBlob();
    const keeper = buildCompatManifest(empty.descriptor, {
      created,
      subject,
      layers: "none",
      extraLayers: [blob.descriptor],
    });
    return {
      target,
      platform,
      subject,
      blobs: [
        { role: "empty", content: empty },
        { role: "compat-blob", content: blob },
      ],
      manifest: { role: "keeper", content: keeper },
      compatibilities: blob.descriptor,
    };
  }
  const layers = options.layers ?? "empty";
  const config = buildCompatConfig(sets, platform, created);
  const manifest = buildCompatManifest(config.descriptor, {
    created,
    subject,
    layers: layers === "empty" ? "empty-descriptor" : "none",
  });
  return {
    target,
    platform,
    subject,
    blobs: [
      ...(layers === "empty" ? [{ role: "empty" as const, content: emptyBlob() }] : []),
      { role: "config", content: config },
    ],
    manifest: { role: "compat-manifest", content: manifest },
    compatibilities: {
      mediaType: manifest.descriptor.mediaType,
      digest: manifest.descriptor.digest,
      size: manifest.descriptor.size,
    },
  };
}

/** Removes repeats of one digest, keeping the first (the same config serves equal entries). */
export function unique<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => (seen.has(key(item)) ? false : (seen.add(key(item)), true)));
}
