// Platform matching for selection (DESIGN §5.2, docs/compat-language.md#selection): does an index
// entry's platform run on a node, and how specific is it? Pure.
//
// * Both sides are normalised (x86_64 → amd64, aarch64 → arm64, armhf → arm/v7, amd64 v1 → "").
// * `os` must be equal. `architecture` must be equal, or one of two fallbacks: amd64 runs 386, and
//   arm64 runs 32-bit arm up to v8. A fallback entry is chosen only when no native entry fits.
// * The entry's variant must be at most the node's, on the architecture's ladder: amd64
//   v1 < v2 < v3 < v4 (x86-64 micro-architecture levels), arm v5 < v6 < v7 < v8, arm64
//   v8 < v8.1 < ... with v9.x running v8.(x+5) and below, as containerd orders them, ppc64le
//   power8 < power9 < power10 and riscv64 rva20u64 < rva22u64 < rva23u64, in the order of the
//   image-spec's platform variant table (and Go's GOPPC64 and GORISCV64). Other architectures have
//   no ladder: a variant must equal the node's.
// * On Windows, the entry's `os.version` must be one the node's build runs (windows-version.ts).
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
import {
  describeWindowsVersion,
  parseWindowsVersion,
  windowsRuns,
  type WindowsVersion,
} from "./windows-version.js";
import { x86LevelOf } from "./x86-level.js";

/** The node's side of platform matching, normalised once. */
export interface NodePlatform {
  os: string;
  architecture: string;
  /** Normalised: absent for the amd64 baseline (v1) and the arm64 baseline (v8). */
  variant?: string;
  /** Windows only: the node's `os.version`, when it is one (`10.0.17763[.5830]`). */
  osVersion?: WindowsVersion;
  osFeatures: readonly string[];
  /** Feature keys (see {@link featureKey}) of the profile's platform.features and oci.cpu.features. */
  featureKeys: ReadonlySet<string>;
  /** `os/arch[/variant]` */
  text: string;
  /** Where the profile contradicts itself (a variant its CPU flags do not meet, ...). */
  warnings: string[];
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
      /** How many `os.features` the entry names (all of them the node's); a ranking input. */
      osFeatures: number;
      /** Windows: the entry's `os.version` when it names one; closeness is a ranking input. */
      osVersion?: WindowsVersion;
    }
  | { ok: false; reason: string };

export function parsePlatformOverride(spec: string): PlatformOverride {
  return { platform: parsePlatform(spec), variantGiven: spec.split("/").length === 3 };
}

/** How platform.features and CPU flags are compared: case and `_` ignored (`sse4_2` = `SSE42`). */
export function featureKey(feature: string): string {
  return nameKey("cpu-feature", feature);
}

const X86_LEVEL_FEATURES: readonly [string, number][] = [
  [featureKey("X86_64_V4"), 4],
  [featureKey("X86_64_V3"), 3],
  [featureKey("X86_64_V2"), 2],
];

// SSE2 is part of the x86-64 baseline, so every flag list from /proc/cpuinfo or a full CPUID dump
// names it; NFD's node labels hide it (with CX16, POPCNT, SSE4.2, BMI2, ...), and hand-written
// profiles list a few flags of interest. Only a list naming it can prove a level by its absences.
const COMPLETE_FLAG_LIST_WITNESS = featureKey("SSE2");

/**
 * A ladder of variants, lowest first. An entry or node without a variant is at `baseline`
 * (absent when the architecture has no variant-less baseline; arm normalises to v7).
 */
interface Ladder {
  steps: readonly string[];
  baseline?: string;
}

const LADDERS: ReadonlyMap<string, Ladder> = new Map([
  // amd64 v1 normalises to no variant.
  ["amd64", { steps: ["", "v2", "v3", "v4"], baseline: "" }],
  ["arm", { steps: ["v5", "v6", "v7", "v8"] }],
  // The image-spec's table (POWER8+) and Go's GOPPC64: power8 is what ppc64le means without one.
  ["ppc64le", { steps: ["power8", "power9", "power10"], baseline: "power8" }],
  // The image-spec's table and Go's GORISCV64: RVA20U64 is the default profile.
  ["riscv64", { steps: ["rva20u64", "rva22u64", "rva23u64"], baseline: "rva20u64" }],
]);

const ARM_LADDER = LADDERS.get("arm")?.steps ?? [];

function stringList(fact: unknown): string[] {
  return Array.isArray(fact) ? fact.filter((f): f is string => typeof f === "string") : [];
}

/**
 * The x86-64 level the node's CPU flags prove, or undefined when they prove none: a complete
 * flag list (see COMPLETE_FLAG_LIST_WITNESS) decides by itself; otherwise the highest
 * `X86_64_Vn` flag, which discovery and the NFD import derive from a complete list.
 */
function amd64LevelFromFlags(featureKeys: ReadonlySet<string>): number | undefined {
  if (featureKeys.has(COMPLETE_FLAG_LIST_WITNESS)) {
    return x86LevelOf((flag) => featureKeys.has(featureKey(flag)));
  }
  return X86_LEVEL_FEATURES.find(([key]) => featureKeys.has(key))?.[1];
}

function amd64Variant(level: number): string | undefined {
  return level <= 1 ? undefined : `v${level}`;
}

/**
 * The node's platform: the profile's, or the override's os/architecture/variant. On amd64 the
 * CPU flags, when they prove a level, decide it: a profile that claims v4 on a CPU whose flags
 * meet v2 would otherwise get a v4 build that dies with an illegal instruction. A mismatch with
 * the profile's own variant is a warning. An override that names a variant (even `v1`) is taken
 * as it is: it is the user's question "what if".
 */
export function nodePlatformOf(
  profile: NodeProfile,
  catalog: LabelCatalog,
  override?: PlatformOverride,
): NodePlatform {
  const p = profile.platform;
  const cpuFeatures = stringList(factOf(profile, "oci.cpu.features", catalog));
  const featureKeys = new Set([...(p.features ?? []), ...cpuFeatures].map(featureKey));
  const own = normalizePlatform(p);
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
  const warnings: string[] = [];
  let variant = base.variant;
  if (base.architecture === "amd64" && override?.variantGiven !== true) {
    // `--platform linux/amd64` on an amd64 profile keeps the profile's level.
    const claimed = own.architecture === "amd64" ? own.variant : variant;
    variant = claimed;
    const level = own.architecture === "amd64" ? amd64LevelFromFlags(featureKeys) : undefined;
    if (level !== undefined) {
      const proven = amd64Variant(level);
      if (claimed !== undefined && claimed !== proven) {
        warnings.push(
          `the node profile's platform says amd64 variant ${claimed}, but its CPU flags (oci.cpu.features, platform.features) meet x86-64-v${level}: selecting for ${proven ?? "v1"}, as the flags say`,
        );
      }
      variant = proven;
    }
  }
  const node: NodePlatform = {
    os: base.os,
    architecture: base.architecture,
    osFeatures: p["os.features"] ?? [],
    featureKeys,
    text: "",
    warnings,
  };
  if (variant !== undefined) node.variant = variant;
  const osVersion = p["os.version"];
  if (base.os === "windows" && own.os === "windows" && osVersion !== undefined) {
    const parsed = parseWindowsVersion(osVersion);
    if (parsed) node.osVersion = parsed;
    else
      warnings.push(
        `the node profile's os.version ${JSON.stringify(osVersion)} is not a Windows version (major.minor.build[.revision]): entries' os.version is not compared`,
      );
  }
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

/**
 * Every v9.x above every v8.y, as containerd tries them (a v9.2 node: v9.2, v9.1, v9, v8.7, ...):
 * a v9 build may use SVE2, which no v8.x build does.
 */
function arm64Level(v: Arm64Version): number {
  return v.major === 8 ? v.minor : 10 + v.minor;
}

function variantName(v: string | undefined, architecture: string): string {
  if (v !== undefined && v !== "") return v;
  const baseline = LADDERS.get(architecture)?.baseline;
  if (architecture === "amd64") return "v1";
  if (architecture === "arm64") return "v8";
  return baseline !== undefined && baseline !== "" ? baseline : "none";
}

type VariantCheck = { ok: true; level: number } | { ok: false; reason: string };

function ladderStep(ladder: Ladder, variant: string | undefined): number {
  const name = variant === undefined || variant === "" ? ladder.baseline : variant;
  return name === undefined ? -1 : ladder.steps.indexOf(name);
}

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
  const ladder = LADDERS.get(architecture);
  if (ladder) {
    const e = ladderStep(ladder, entry);
    const n = ladderStep(ladder, node);
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

type OsVersionCheck = { ok: true; version?: WindowsVersion } | { ok: false; reason: string };

/**
 * containerd's rule: only Windows compares `os.version`, and an entry or node without one matches.
 * Elsewhere the field has no agreed meaning.
 */
function checkOsVersion(entry: PlatformSpec, node: NodePlatform): OsVersionCheck {
  if (node.os !== "windows" || entry.osVersion === undefined || entry.osVersion === "") {
    return { ok: true };
  }
  const version = parseWindowsVersion(entry.osVersion);
  if (node.osVersion === undefined) return version ? { ok: true, version } : { ok: true };
  const host = describeWindowsVersion(node.osVersion);
  if (version === undefined) {
    return {
      ok: false,
      reason: `os.version ${JSON.stringify(entry.osVersion)} is not a Windows version (major.minor.build[.revision]), so it cannot be matched to the node's ${host}`,
    };
  }
  const problem = windowsRuns(node.osVersion, version);
  return problem === undefined
    ? { ok: true, version }
    : {
        ok: false,
        reason: `os.version ${entry.osVersion} does not run on the node's ${host}: ${problem}`,
      };
}

/** Whether an entry's platform runs on the node, and how specific it is. */
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
  const osVersion = checkOsVersion(entry, node);
  if (!osVersion.ok) return { ok: false, reason: osVersion.reason };
  if (osFeatureProblem !== undefined) return { ok: false, reason: osFeatureProblem };
  const match: PlatformMatch = {
    ok: true,
    native,
    variantLevel: variant.level,
    osFeatures: new Set((entry.osFeatures ?? []).map((f) => f.toLowerCase())).size,
  };
  if (osVersion.version !== undefined) match.osVersion = osVersion.version;
  return match;
}

/** The entry's Proposal E features the node lacks, as the entry spells them. */
export function missingFeatures(required: readonly string[], node: NodePlatform): string[] {
  return required.filter((f) => !node.featureKeys.has(featureKey(f)));
}
