// `ocicompat attach --format nfd`: push an NFD image-compatibility artifact for index entries, so
// that clusters running `nfd compat validate-node` consume data authored with ocicompat. Unlike
// Proposal I/J data, the artifact is a referrer of the entry's image manifest: the index and the
// tag are not changed. Writes, step by step: the spec layer and the empty config, the artifact
// manifest (subject = the image manifest), then its anchors where the registry has no referrers
// API (auto): the referrers fallback tag `sha256-<hex>` listing it (how NFD finds it there) and a
// tag `sha256-<hex>.nfd` on the artifact (what keeps it under --delete-untagged, as the `.compat`
// tag does). Older NFD artifacts stay listed: NFD itself reads the newest by creation time.
import { buildNfdArtifact } from "../../compat/nfd/artifact.js";
import { NFD_ARTIFACT_TYPE } from "../../compat/nfd/spec.js";
import type { CallOptions, ContentDescriptor, Store } from "../../content/store.js";
import { CREATED_ANNOTATION } from "../../compat/lenient.js";
import { isObject } from "../../oci/json-value.js";
import { EmptyDescriptor } from "../../oci/media-types.js";
import { normalizePlatform } from "../../oci/platform.js";
import {
  chooseAnchors,
  fallbackTag,
  rounds,
  writeReferrersTag,
  type AnchorPolicy,
} from "../anchors.js";
import { unique } from "./plan.js";
import { readTagSource } from "./source.js";
import { selectTargets, type TargetEntry, type TargetSelector } from "./targets.js";
import { ContentWriter, type WriteRecord } from "./writer.js";

export interface AttachNfdOptions extends TargetSelector {
  /**
   * The spec pushed for an entry of an architecture (YAML or JSON text), already validated; it
   * may throw to refuse the entry, which happens for every target before anything is written.
   */
  specFor(architecture: string): Uint8Array;
  anchor?: AnchorPolicy;
  created: string;
  signal?: AbortSignal | undefined;
}

export interface NfdAttachedEntry {
  position: number;
  platform: string;
  manifest: ContentDescriptor;
  artifact: ContentDescriptor;
  anchors: { referrersTag?: string; nfdTag?: string; subjectAccepted: boolean };
}

export interface AttachNfdResult {
  store: string;
  tag: string;
  created: string;
  entries: NfdAttachedEntry[];
  writes: WriteRecord[];
}

/** The entry's architecture as NFD's node labels name it (normalised; amd64 when absent). */
function architectureOf(target: TargetEntry): string {
  const p = target.platform;
  if (!isObject(p) || typeof p["architecture"] !== "string") return "amd64";
  return normalizePlatform({ os: String(p["os"] ?? "linux"), architecture: p["architecture"] })
    .architecture;
}

/** The tag that keeps an NFD artifact alive on a registry without the referrers API. */
export function nfdTag(subjectDigest: string): string {
  return `${fallbackTag(subjectDigest)}.nfd`;
}

export async function attachNfd(
  store: Store,
  tag: string,
  options: AttachNfdOptions,
): Promise<AttachNfdResult> {
  const call: CallOptions = options.signal === undefined ? {} : { signal: options.signal };
  const anchor = options.anchor ?? "auto";
  const source = await readTagSource(store, tag, call);
  const targets = selectTargets(source.index, options);
  // Every entry's spec first: one an architecture cannot express refuses the whole attach.
  const specs = targets.map((t) => options.specFor(architectureOf(t)));
  const writer = new ContentWriter(store, call);
  const result: AttachNfdResult = {
    store: store.name,
    tag,
    created: options.created,
    entries: [],
    writes: [],
  };
  const artifacts = targets.map((t, i) =>
    buildNfdArtifact(specs[i] as Uint8Array, t.descriptor, options.created),
  );
  // As attach: each step's writes at once, the steps in turn (docs/design.md, "Attach and
  // detach"). Entries of one architecture share their spec layer, written once.
  const layers = unique(
    artifacts.map((a) => a.layer),
    (layer) => layer.descriptor.digest,
  );
  const empty = new TextEncoder().encode("{}");
  await writer.each([undefined, ...layers], (w, layer) =>
    layer === undefined
      ? w.blob(
          "empty",
          { mediaType: EmptyDescriptor.mediaType, digest: EmptyDescriptor.digest, size: 2 },
          empty,
        )
      : w.blob("compat-blob", layer.descriptor, layer.bytes),
  );
  // An index listing one image twice gets one artifact for it, put once.
  const distinct = unique(artifacts, (a) => a.manifest.descriptor.digest);
  const answers = await writer.each(distinct, (w, a) =>
    w.manifest("compat-manifest", a.manifest.descriptor, a.manifest.bytes),
  );
  const answerOf = new Map(distinct.map((a, i) => [a.manifest.descriptor.digest, answers[i]]));
  const accepted = artifacts.map((a) => answerOf.get(a.manifest.descriptor.digest) === true);
  result.entries = targets.map((target, i) => ({
    position: target.position,
    platform: target.platformText,
    manifest: target.descriptor,
    artifact: (artifacts[i] as (typeof artifacts)[0]).manifest.descriptor,
    anchors: { subjectAccepted: accepted[i] === true },
  }));
  // The tags before the referrers indexes that list what they name (distribution 2.8's link
  // race); entries of one image take turns on its referrers index.
  const anchoring = result.entries.map((entry, i) => ({
    entry,
    artifact: (artifacts[i] as (typeof artifacts)[0]).manifest,
    choice: chooseAnchors(anchor, writer.kind, entry.anchors.subjectAccepted),
  }));
  for (const round of rounds(anchoring, (a) => a.entry.manifest.digest)) {
    await writer.each(
      round.filter((a) => a.choice.compatTag),
      async (w, { entry, artifact }) => {
        const tagged = { ...artifact.descriptor, artifactType: NFD_ARTIFACT_TYPE };
        await w.tag("compat-tag", tagged, artifact.bytes, nfdTag(entry.manifest.digest));
        entry.anchors.nfdTag = nfdTag(entry.manifest.digest);
      },
    );
    await writer.each(
      round.filter((a) => a.choice.referrersTag),
      async (w, { entry, artifact }) => {
        await writeReferrersTag(w, entry.manifest.digest, {
          ...artifact.descriptor,
          artifactType: NFD_ARTIFACT_TYPE,
          annotations: { [CREATED_ANNOTATION]: options.created },
        });
        entry.anchors.referrersTag = fallbackTag(entry.manifest.digest);
      },
    );
  }
  result.writes = writer.records;
  return result;
}
