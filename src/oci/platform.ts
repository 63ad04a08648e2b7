// Platforms as the image-spec describes them, normalised so that the many spellings of one CPU
// family compare equal. The rules follow containerd's platforms.Normalize with one deliberate
// difference: amd64 micro-architecture levels (v2, v3, v4) are kept, because ocicompat selects
// between image variants built for them.
import { OcicompatError } from "./errors.js";
import { describeChar } from "./describe-char.js";

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
  features?: string[];
}

export interface ArchitectureAlias {
  alias: string;
  architecture: string;
  /** A string replaces the given variant, null drops it, undefined keeps it. */
  variant?: string | null;
}

// A name that fixes the ISA level (armhf, armv7l) wins over whatever variant came with it, as in
// containerd; the i386 family names carry no usable variant.
export const ARCHITECTURE_ALIASES: readonly ArchitectureAlias[] = [
  { alias: "x86_64", architecture: "amd64" },
  { alias: "x86-64", architecture: "amd64" },
  { alias: "i386", architecture: "386", variant: null },
  { alias: "i486", architecture: "386", variant: null },
  { alias: "i586", architecture: "386", variant: null },
  { alias: "i686", architecture: "386", variant: null },
  { alias: "aarch64", architecture: "arm64" },
  { alias: "armhf", architecture: "arm", variant: "v7" },
  { alias: "armel", architecture: "arm", variant: "v6" },
  { alias: "armv5l", architecture: "arm", variant: "v5" },
  { alias: "armv6l", architecture: "arm", variant: "v6" },
  { alias: "armv7l", architecture: "arm", variant: "v7" },
  { alias: "armv8l", architecture: "arm", variant: "v8" },
  { alias: "ppc64el", architecture: "ppc64le" },
];

export const OS_ALIASES: Readonly<Record<string, string>> = { macos: "darwin" };

const ALIAS_BY_NAME = new Map(ARCHITECTURE_ALIASES.map((a) => [a.alias, a]));

// Outside the characters containerd accepts in a platform specifier part.
const SPEC_PART_BAD_CHAR = /[^A-Za-z0-9_.-]/;

export function normalizePlatform(p: PlatformSpec): PlatformSpec {
  const lowerOs = p.os.toLowerCase();
  const os = OS_ALIASES[lowerOs] ?? lowerOs;
  const { architecture, variant } = normalizeArchitecture(
    p.architecture.toLowerCase(),
    p.variant?.toLowerCase(),
  );
  const out: PlatformSpec = { os, architecture };
  if (variant !== undefined && variant !== "") out.variant = variant;
  if (p.osVersion !== undefined) out.osVersion = p.osVersion;
  if (p.osFeatures !== undefined) out.osFeatures = [...p.osFeatures];
  if (p.features !== undefined) out.features = [...p.features];
  return out;
}

function normalizeArchitecture(
  arch: string,
  variant: string | undefined,
): { architecture: string; variant: string | undefined } {
  const alias = ALIAS_BY_NAME.get(arch);
  let architecture = arch;
  if (alias) {
    architecture = alias.architecture;
    if (alias.variant === null) variant = undefined;
    else if (alias.variant !== undefined) variant = alias.variant;
  }
  // Bare numbers ("7", "8.2") are how GOARM and GOAMD64 spell variants; the spec spells them "v7".
  const known = architecture === "amd64" || architecture === "arm64" || architecture === "arm";
  if (known && variant !== undefined && /^[0-9]/.test(variant)) variant = `v${variant}`;
  switch (architecture) {
    case "amd64":
      // v1 is the x86-64 baseline every amd64 machine meets, so it says nothing.
      if (variant === "v1") variant = undefined;
      break;
    case "arm64":
      // ARMv8.0 is the arm64 baseline.
      if (variant === "v8" || variant === "v8.0") variant = undefined;
      else if (variant === "v9.0") variant = "v9";
      break;
    case "arm":
      // containerd's choice: unqualified 32-bit arm means the common hard-float ARMv7.
      if (variant === undefined || variant === "") variant = "v7";
      break;
  }
  return { architecture, variant };
}

export function parsePlatform(spec: string): PlatformSpec {
  const problem = platformSpecProblem(spec);
  if (problem !== undefined)
    throw new OcicompatError("INVALID_PLATFORM", problem, { subject: spec });
  const [os, architecture, variant] = spec.split("/") as [string, string, string | undefined];
  return normalizePlatform(
    variant === undefined ? { os, architecture } : { os, architecture, variant },
  );
}

function platformSpecProblem(spec: string): string | undefined {
  if (spec === "") return "platform is empty: expected OS/ARCH[/VARIANT], e.g. linux/amd64";
  const parts = spec.split("/");
  if (parts.length === 1) {
    return `platform "${spec}" has no architecture: expected OS/ARCH[/VARIANT], e.g. linux/${spec}`;
  }
  if (parts.length > 3) {
    return `platform "${spec}" has ${parts.length} parts: expected OS/ARCH[/VARIANT]`;
  }
  const names = ["OS", "architecture", "variant"];
  for (const [i, part] of parts.entries()) {
    if (part === "") return `platform "${spec}" has an empty ${names[i]}`;
    const bad = SPEC_PART_BAD_CHAR.exec(part);
    if (bad) {
      return `platform "${spec}" has ${describeChar(bad[0])} in its ${names[i]}; allowed are letters, digits, "_", "." and "-"`;
    }
  }
  return undefined;
}

/** "os/arch[/variant]" of the normalised platform. */
export function formatPlatform(p: PlatformSpec): string {
  const n = normalizePlatform(p);
  return n.variant === undefined
    ? `${n.os}/${n.architecture}`
    : `${n.os}/${n.architecture}/${n.variant}`;
}

/** Same OS, architecture and variant once both are normalised; other fields are ignored. */
export function platformsEqual(a: PlatformSpec, b: PlatformSpec): boolean {
  const x = normalizePlatform(a);
  const y = normalizePlatform(b);
  return x.os === y.os && x.architecture === y.architecture && x.variant === y.variant;
}
