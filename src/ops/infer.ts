// `ocicompat infer REF`: compatibility rules read from what an image contains (ELF notes and
// machines, the config's NVIDIA_REQUIRE_*), with the evidence for each, and findings about a
// broken image. Only the layers of the entries asked for (--platform) are read.
import type { CallOptions, ContentDescriptor, Store } from "../content/store.js";
import { mergeInferred, type CompatSet, type MergeResult } from "../compat/infer/merge.js";
import { OcicompatError } from "../oci/errors.js";
import { formatPlatform } from "../oci/platform.js";
import { readTagSource } from "./attach/source.js";
import { selectTargets } from "./attach/targets.js";
import type { EntryPlatform } from "../compat/index-edit.js";
import { inferManifest, type EntryInference } from "./infer/infer-entry.js";
import { DEFAULT_BOUNDS, type ScanBounds } from "./infer/scan-layer.js";

export { DEFAULT_BOUNDS, type ScanBounds } from "./infer/scan-layer.js";
export type { EntryInference, ScannedLayer } from "./infer/infer-entry.js";
export { inferManifest } from "./infer/infer-entry.js";

export interface InferOptions {
  /** Only the entry (or entries) of this platform: `linux/amd64/v3`. */
  platform?: string;
  bounds?: Partial<ScanBounds>;
  /** Refuse (before reading any layer) when more than one entry would be read. */
  single?: boolean;
  signal?: AbortSignal | undefined;
}

export interface InferredEntry extends EntryInference {
  /** Position in the index's `manifests[]` (0 for a single manifest). */
  position: number;
  /** `linux/amd64/v3`. */
  platformText: string;
}

export interface InferResult {
  store: string;
  reference: string;
  /** The digest the reference resolved to. */
  root: string;
  entries: InferredEntry[];
  /** Some entry has an error finding: the image is broken (exit 1). */
  failed: boolean;
}

export function platformText(p: EntryPlatform): string {
  return formatPlatform({
    os: p.os,
    architecture: p.architecture,
    ...(p.variant ? { variant: p.variant } : {}),
  });
}

/** The scan bounds with the defaults filled in, each checked to be a positive integer. */
export function scanBounds(given: Partial<ScanBounds> = {}): ScanBounds {
  const bounds = { ...DEFAULT_BOUNDS, ...given };
  for (const [name, value] of Object.entries(bounds)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new OcicompatError(
        "USAGE",
        `the ${name} bound must be a positive integer, not ${value}`,
      );
    }
  }
  return bounds;
}

/** Infers compatibilities for the image entries `reference` (a tag or digest in `store`) names. */
export async function infer(
  store: Store,
  reference: string,
  options: InferOptions = {},
): Promise<InferResult> {
  const call: CallOptions = options.signal === undefined ? {} : { signal: options.signal };
  const bounds = scanBounds(options.bounds);
  const source = await readTagSource(store, reference, call);
  const targets = selectTargets(source.index, {
    all: true,
    ...(options.platform === undefined ? {} : { platform: options.platform }),
  });
  if (options.single && targets.length > 1) {
    throw new OcicompatError(
      "USAGE",
      `the image has ${targets.length} entries and one authoring file describes one entry; say which with --platform (or use -o json for all):\n${targets.map((t) => `  ${t.platformText}  ${t.descriptor.digest}`).join("\n")}`,
      { subject: reference },
    );
  }
  const entries: InferredEntry[] = [];
  for (const target of targets) {
    const p = target.platform;
    const given: EntryPlatform | undefined =
      p !== undefined && typeof p["os"] === "string" && typeof p["architecture"] === "string"
        ? {
            os: p["os"],
            architecture: p["architecture"],
            ...(typeof p["variant"] === "string" && p["variant"] !== ""
              ? { variant: p["variant"] }
              : {}),
          }
        : undefined;
    const inferred = await inferManifest(store, target.descriptor, given, bounds, call);
    entries.push({
      ...inferred,
      position: target.position,
      platformText: platformText(inferred.platform),
    });
  }
  return {
    store: store.name,
    reference,
    root: source.current.digest,
    entries,
    failed: entries.some((e) => e.findings.some((f) => f.severity === "error")),
  };
}

/** An entry whose inference found it broken: `attach --infer` refuses to describe it. */
export class BrokenImageError extends OcicompatError {
  readonly inference: EntryInference;

  constructor(inference: EntryInference) {
    const errors = inference.findings.filter((f) => f.severity === "error");
    super(
      "VALIDATION",
      `the entry ${platformText(inference.platform)} is broken: ${errors.map((f) => f.message).join("; ")}`,
      { subject: inference.manifest.digest },
    );
    this.name = "BrokenImageError";
    this.inference = inference;
  }
}

export function isBrokenImageError(err: unknown): err is BrokenImageError {
  return err instanceof BrokenImageError;
}

/**
 * The `setsFor` hook of attach (AttachOptions.setsFor) for `attach --infer`: infers each targeted
 * entry from its layers and merges the result into the authored sets (compat/infer/merge.ts).
 * An entry with an error finding stops the attach before anything is written.
 */
export function inferredSetsFor(
  store: Store,
  options: {
    bounds?: Partial<ScanBounds>;
    signal?: AbortSignal | undefined;
    onInferred?: (entry: EntryInference, kept: MergeResult["kept"]) => void;
  } = {},
) {
  const bounds = scanBounds(options.bounds);
  const call: CallOptions = options.signal === undefined ? {} : { signal: options.signal };
  return async (
    entry: { manifest: ContentDescriptor; platform: EntryPlatform },
    sets: readonly CompatSet[],
  ): Promise<CompatSet[]> => {
    const inferred = await inferManifest(store, entry.manifest, entry.platform, bounds, call);
    if (inferred.findings.some((f) => f.severity === "error")) throw new BrokenImageError(inferred);
    const merged = mergeInferred(sets, inferred.sets);
    options.onInferred?.(inferred, merged.kept);
    return merged.sets;
  };
}
