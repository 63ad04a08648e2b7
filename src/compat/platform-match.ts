// Platform matching for selection (DESIGN §5.2, docs/compat-language.md#selection): does an index
// entry's platform run on a node, and how specific is it? Pure.
//
// * Both sides are normalised (x86_64 → amd64, aarch64 → arm64, armhf → arm/v7, amd64 v1 → "").
// * `os` must be equal. `architecture` must be equal, or one of two fallbacks: amd64 runs 386, and
//   arm64 runs 32-bit arm up to v8. A fallback entry is chosen only when no native entry fits.
// * The entry's variant must be at most the node's, on the architecture's ladder: amd64
//   v1 < v2 < v3 < v4 (x86-64 micro-architecture levels), arm v5 < v6 < v7 < v8, arm64
//   v8 < v8.1 < ... with v9.x running v8.(x+5) and below, as containerd orders them. Other
//   architectures have no ladder: a variant must equal the node's.
// * The entry's `os.features` must all be among the node's.
// * Proposal E `platform.features` must all be among the node's `platform.features` and
//   `oci.cpu.features`, ignoring case and `_` (the NFD spelling drops underscores).
import {
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  type PlatformSpec,
} from "../oci/platform.js";
import { nameKey } from "./canonical-names.js";
import type { LabelCatalog } from "./catalog.js";
import { factOf, type NodeProfile } from "./node-profile.js";

/** The node's side of platform matching, normalised once. */
export interface NodePlatform {
  os: string;
  architecture: string;
  /** Normalised: absent for the amd64 baseline (v1) and the arm64 baseline (v8). */
  variant?: string;
  osFeatures: readonly string[];
  /** Feature keys (see {@link featureKey}) of the profile's platform.features and oci.cpu.features. */
  featureKeys: ReadonlySet<string>;
  /** `os/arch[/variant]` */
  text: string;
}

/** `--platform os/arch[/variant]`; `variantGiven` tells `linux/amd64/v1` from `linux/amd64`. */
export interface PlatformOverride {
  platform: PlatformSpec;
  variantGiven: boolean;
}

export type PlatformMatch =
  | {
      ok: true;
      /** False for the architecture fallbacks (386 on amd64, arm on arm64). */
      native: boolean;
      /** The entry variant's step above its architecture's baseline; a ranking input. */
      variantLevel: number;
    }
  | { ok: false; reason: string };

export function parsePlatformOverride(spec: string): PlatformOverride {
  return { platform: parsePlatform(spec), variantGiven: spec.split("/").length === 3 };
}

/** How platform.features and CPU flags are compared: case and `_` ignored (`sse4_2` = `SSE42`). */
export function featureKey(feature: string): string {
  return nameKey("cpu-feature", feature);
}

const X86_LEVEL_FEATURES: readonly [string, string][] = [
  [featureKey("X86_64_V4"), "v4"],
  [featureKey("X86_64_V3"), "v3"],
  [featureKey("X86_64_V2"), "v2"],
];

const AMD64_LADDER = ["", "v2", "v3", "v4"];
const ARM_LADDER = ["v5", "v6", "v7", "v8"];

function stringList(fact: unknown): string[] {
  return Array.isArray(fact) ? fact.filter((f): f is string => typeof f === "string") : [];
}

/** The higher of two amd64 variants ("" is the baseline). */
function higherAmd64(a: string | undefined, b: string | undefined): string | undefined {
  const rank = (v: string | undefined): number => AMD64_LADDER.indexOf(v ?? "");
  return rank(b) > rank(a) ? b : a;
}

/**
 * The node's platform: the profile's, or the override's os/architecture/variant. The amd64 level
 * comes from the variant, and else (or when higher) from the `X86_64_V2..V4` flags in
 * `oci.cpu.features`; an override that names a variant (even `v1`) is taken as it is.
 */
export function nodePlatformOf(
  profile: NodeProfile,
  catalog: LabelCatalog,
  override?: PlatformOverride,
): NodePlatform {
  const p = profile.platform;
  const cpuFeatures = stringList(factOf(profile, "oci.cpu.features", catalog));
  const featureKeys = new Set([...(p.features ?? []), ...cpuFeatures].map(featureKey));
  const base = normalizePlatform({
    os: override?.platform.os ?? p.os,
    architecture: override?.platform.architecture ?? p.architecture,
    ...(override
      ? override.platform.variant === undefined
        ? {}
        : { variant: override.platform.variant }
      : p.variant === undefined
        ? {}
        : { variant: p.variant }),
  });
  let variant = base.variant;
  const exact = override?.variantGiven === true;
  if (base.architecture === "amd64" && !exact) {
    if (override && normalizePlatform(p).architecture === "amd64") {
      variant = higherAmd64(variant, normalizePlatform(p).variant);
    }
    const fromFlags = X86_LEVEL_FEATURES.find(([key]) => featureKeys.has(key))?.[1];
    variant = higherAmd64(variant, fromFlags);
    if (variant === "") variant = undefined;
  }
  const node: NodePlatform = {
    os: base.os,
    architecture: base.architecture,
    osFeatures: p["os.features"] ?? [],
    featureKeys,
    text: "",
  };
  if (variant !== undefined) node.variant = variant;
  node.text = formatPlatform({
    os: node.os,
    architecture: node.architecture,
    ...(variant === undefined ? {} : { variant }),
  });
  return node;
}

interface Arm64Version {
  major: number;
  minor: number;
}

function arm64Version(variant: string | undefined): Arm64Version | undefined {
  if (variant === undefined || variant === "") return { major: 8, minor: 0 };
  const m = /^v(8|9)(?:\.(\d))?$/.exec(variant);
  return m ? { major: Number(m[1]), minor: Number(m[2] ?? 0) } : undefined;
}

/** containerd's order: v8.x runs v8.0..v8.x; v9.x runs v9.0..v9.x and v8.0..v8.(x+5). */
function arm64Runs(node: Arm64Version, entry: Arm64Version): boolean {
  if (entry.major === 8) return entry.minor <= node.minor + (node.major === 9 ? 5 : 0);
  return node.major === 9 && entry.minor <= node.minor;
}

function arm64Level(v: Arm64Version): number {
  return v.major === 8 ? v.minor : v.minor + 6;
}

function variantName(v: string | undefined, architecture: string): string {
  if (v !== undefined && v !== "") return v;
  return architecture === "amd64" ? "v1" : architecture === "arm64" ? "v8" : "none";
}

type VariantCheck = { ok: true; level: number } | { ok: false; reason: string };

function checkVariant(
  architecture: string,
  entry: string | undefined,
  node: string | undefined,
): VariantCheck {
  const above = (): VariantCheck => ({
    ok: false,
    reason: `variant ${variantName(entry, architecture)} is above the node's ${variantName(node, architecture)}`,
  });
  const unordered = (): VariantCheck => ({
    ok: false,
    reason: `variant ${variantName(entry, architecture)} is not the node's ${variantName(node, architecture)}, and ocicompat knows no order of ${architecture} variants`,
  });
  const ladder =
    architecture === "amd64" ? AMD64_LADDER : architecture === "arm" ? ARM_LADDER : undefined;
  if (ladder) {
    const e = ladder.indexOf(entry ?? "");
    const n = ladder.indexOf(node ?? "");
    if (e < 0 || n < 0) return entry === node ? { ok: true, level: 0 } : unordered();
    return e <= n ? { ok: true, level: e } : above();
  }
  if (architecture === "arm64") {
    const e = arm64Version(entry);
    const n = arm64Version(node);
    if (e === undefined || n === undefined)
      return entry === node ? { ok: true, level: 0 } : unordered();
    return arm64Runs(n, e) ? { ok: true, level: arm64Level(e) } : above();
  }
  if (entry === undefined || entry === "") return { ok: true, level: 0 };
  return entry === node ? { ok: true, level: 1 } : unordered();
}

/** Whether an entry's platform runs on the node, and how specific its variant is. */
export function matchPlatform(entryPlatform: PlatformSpec, node: NodePlatform): PlatformMatch {
  const entry = normalizePlatform(entryPlatform);
  if (entry.os !== node.os) {
    return { ok: false, reason: `os ${entry.os} is not the node's ${node.os}` };
  }
  const missingOsFeatures = (entry.osFeatures ?? []).filter(
    (f) => !node.osFeatures.some((n) => n.toLowerCase() === f.toLowerCase()),
  );
  const osFeatureProblem =
    missingOsFeatures.length > 0
      ? `needs os.features ${missingOsFeatures.join(", ")}, which the node lacks`
      : undefined;

  let native = true;
  let variant: VariantCheck;
  if (entry.architecture === node.architecture) {
    variant = checkVariant(entry.architecture, entry.variant, node.variant);
  } else if (node.architecture === "amd64" && entry.architecture === "386") {
    native = false;
    variant = { ok: true, level: 0 };
  } else if (node.architecture === "arm64" && entry.architecture === "arm") {
    native = false;
    const level = ARM_LADDER.indexOf(entry.variant ?? "");
    variant =
      level < 0
        ? {
            ok: false,
            reason: `arm variant ${entry.variant ?? "none"} is not one arm64 runs (v5 to v8)`,
          }
        : { ok: true, level };
  } else {
    return {
      ok: false,
      reason: `architecture ${entry.architecture} does not run on ${node.architecture}`,
    };
  }
  if (!variant.ok) return { ok: false, reason: variant.reason };
  if (osFeatureProblem !== undefined) return { ok: false, reason: osFeatureProblem };
  return { ok: true, native, variantLevel: variant.level };
}

/** The entry's Proposal E features the node lacks, as the entry spells them. */
export function missingFeatures(required: readonly string[], node: NodePlatform): string[] {
  return required.filter((f) => !node.featureKeys.has(featureKey(f)));
}
