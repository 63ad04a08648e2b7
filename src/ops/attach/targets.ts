// Which index entries an attach or detach works on: by digest, by platform, or all of them.
// Pure: the parsed index in, entry positions out, or an error that lists what there is.
import { OcicompatError } from "../../oci/errors.js";
import { ManifestMediaTypes } from "../../oci/media-types.js";
import { formatPlatform, parsePlatform, platformsEqual } from "../../oci/platform.js";
import { isObject, type Json } from "../../oci/json-value.js";

export interface TargetSelector {
  /** `os/arch[/variant]`, compared after normalisation. */
  platform?: string;
  /** An entry's manifest digest. */
  digest?: string;
  /** Every matching entry instead of exactly one. */
  all?: boolean;
}

export interface TargetEntry {
  /** Position in `manifests[]`. */
  position: number;
  descriptor: { mediaType: string; digest: string; size: number };
  /** The entry's platform object, when it has one. */
  platform?: Json;
  /** `linux/amd64/v3`, or `(no platform)`. */
  platformText: string;
}

/** The platform as the index spells it: `linux/arm64/v8`. */
function platformTextOf(platform: unknown): string {
  if (!isObject(platform)) return "(no platform)";
  const { os, architecture, variant } = platform;
  if (typeof os !== "string" || typeof architecture !== "string") return "(no platform)";
  return typeof variant === "string" && variant !== ""
    ? `${os}/${architecture}/${variant}`
    : `${os}/${architecture}`;
}

function entryOf(raw: unknown, position: number): TargetEntry {
  const e = raw as Json;
  const entry: TargetEntry = {
    position,
    descriptor: {
      mediaType: e["mediaType"] as string,
      digest: e["digest"] as string,
      size: e["size"] as number,
    },
    platformText: platformTextOf(e["platform"]),
  };
  if (isObject(e["platform"])) entry.platform = e["platform"];
  return entry;
}

/**
 * Entries that can carry compatibilities: image manifests, minus attestation manifests (buildkit
 * lists them with platform `unknown/unknown`).
 */
export function isImageEntry(entry: TargetEntry, raw: unknown): boolean {
  if (!ManifestMediaTypes.has(entry.descriptor.mediaType)) return false;
  const annotations = isObject(raw) ? raw["annotations"] : undefined;
  if (isObject(annotations) && annotations["vnd.docker.reference.type"] === "attestation-manifest")
    return false;
  const p = entry.platform;
  return !(p !== undefined && p["os"] === "unknown" && p["architecture"] === "unknown");
}

function listing(entries: readonly TargetEntry[]): string {
  return entries.map((e) => `  ${e.descriptor.digest}  ${e.platformText}`).join("\n");
}

function matchesPlatform(entry: TargetEntry, wanted: ReturnType<typeof parsePlatform>): boolean {
  const p = entry.platform;
  if (p === undefined) return false;
  const { os, architecture, variant } = p;
  if (typeof os !== "string" || typeof architecture !== "string") return false;
  return platformsEqual(
    typeof variant === "string" ? { os, architecture, variant } : { os, architecture },
    wanted,
  );
}

/** The entries `selector` names in `index` (a validated image index). */
export function selectTargets(index: Json, selector: TargetSelector): TargetEntry[] {
  const raw = index["manifests"] as unknown[];
  const entries = raw.map(entryOf);
  const images = entries.filter((e) => isImageEntry(e, raw[e.position]));
  let chosen: TargetEntry[];
  let what: string;

  if (selector.digest !== undefined) {
    const digest = selector.digest;
    const named = entries.filter((e) => e.descriptor.digest === digest);
    if (named.length === 0) {
      throw new OcicompatError(
        "NOT_FOUND",
        `no entry of the index has digest ${digest}; its entries:\n${listing(entries)}`,
        { subject: digest },
      );
    }
    const notImage = named.find((e) => !ManifestMediaTypes.has(e.descriptor.mediaType));
    if (notImage !== undefined) {
      throw new OcicompatError(
        "UNSUPPORTED",
        `entry ${notImage.position} is a ${notImage.descriptor.mediaType}, not an image manifest; compatibilities describe image manifests`,
        { subject: digest },
      );
    }
    chosen = named;
    what = `digest ${digest}`;
  } else {
    chosen = images;
    what = "the index";
  }

  if (selector.platform !== undefined) {
    const wanted = parsePlatform(selector.platform);
    const pool = chosen;
    chosen = pool.filter((e) => matchesPlatform(e, wanted));
    if (chosen.length === 0) {
      const available = [...new Set(images.map((e) => e.platformText))].join(", ") || "none";
      throw new OcicompatError(
        "NOT_FOUND",
        `no entry ${selector.digest === undefined ? "" : `with ${what} `}has platform ${formatPlatform(wanted)}; available platforms: ${available}`,
        { subject: selector.platform },
      );
    }
    what = `platform ${formatPlatform(wanted)}`;
  }

  if (chosen.length === 0) {
    throw new OcicompatError("NOT_FOUND", "the index lists no image manifests to attach to");
  }
  if (chosen.length > 1 && !selector.all) {
    const hint =
      selector.platform === undefined && selector.digest === undefined
        ? "say which with --platform, --digest or --all"
        : "say which with --digest, or use --all";
    throw new OcicompatError(
      "USAGE",
      `${what} has ${chosen.length} candidate entries; ${hint}:\n${listing(chosen)}`,
    );
  }
  return chosen;
}
