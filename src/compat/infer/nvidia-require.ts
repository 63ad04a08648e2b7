// NVIDIA_REQUIRE_* image environment variables, as the NVIDIA container runtime
// (libnvidia-container) reads them at container start: a space separates alternatives (OR), a
// comma separates constraints that must all hold (AND); a constraint is KEY OP VERSION with the
// keys cuda (the CUDA version the driver supports), driver (the driver version), arch (the GPU's
// compute capability) and brand (tesla, grid, ...). Several NVIDIA_REQUIRE_* variables must all
// hold; NVIDIA_DISABLE_REQUIRE=true turns the check off. Pure: strings in, sets out.
//
// Only cuda and driver constraints become labels (oci.gpu.nvidia.driver): a `cuda>=X.Y` becomes
// the minimum Linux driver of CUDA X.Y, from NVIDIA's CUDA toolkit release notes (table "CUDA
// Toolkit and Corresponding Driver Versions", GA releases). arch and brand have no catalog label;
// they are reported, and the set is wider than the rule (never narrower).

export const RequireKeys = ["cuda", "driver", "arch", "brand"] as const;
export type RequireKey = (typeof RequireKeys)[number];

export interface RequireConstraint {
  key: RequireKey;
  op: "=" | "!=" | "<" | "<=" | ">" | ">=";
  value: string;
  text: string;
}

export interface RequireAlternative {
  /** The alternative as written: `brand=tesla,driver>=470,driver<471`. */
  text: string;
  constraints: RequireConstraint[];
}

export interface RequireProblem {
  text: string;
  message: string;
}

/** Minimum Linux x86-64 driver of each CUDA toolkit GA release (NVIDIA's release notes, table 3). */
export const CUDA_MINIMUM_DRIVER: Readonly<Record<string, string>> = {
  "13.0": "580.65.06",
  "12.9": "575.51.03",
  "12.8": "570.26",
  "12.6": "560.28.03",
  "12.5": "555.42.02",
  "12.4": "550.54.14",
  "12.3": "545.23.06",
  "12.2": "535.54.03",
  "12.1": "530.30.02",
  "12.0": "525.60.13",
  "11.8": "520.61.05",
  "11.7": "515.43.04",
  "11.6": "510.39.01",
  "11.5": "495.29.05",
  "11.4": "470.42.01",
  "11.3": "465.19.01",
  "11.2": "460.27.03",
  "11.1": "455.23",
  "11.0": "450.36.06",
  "10.2": "440.33",
  "10.1": "418.39",
  "10.0": "410.48",
};

const CONSTRAINT = /^(cuda|driver|arch|brand)(>=|<=|!=|==|=|<|>)([A-Za-z0-9._-]+)$/;

/** Parses one NVIDIA_REQUIRE_* value into its alternatives; malformed constraints are problems. */
export function parseRequire(value: string): {
  alternatives: RequireAlternative[];
  problems: RequireProblem[];
} {
  const alternatives: RequireAlternative[] = [];
  const problems: RequireProblem[] = [];
  for (const text of value.trim().split(/\s+/).filter(Boolean)) {
    const constraints: RequireConstraint[] = [];
    for (const part of text.split(",").filter(Boolean)) {
      const m = CONSTRAINT.exec(part.trim());
      if (!m) {
        problems.push({
          text: part,
          message: "not KEY OP VERSION with a key of cuda, driver, arch, brand",
        });
        continue;
      }
      const op = (m[2] === "==" ? "=" : m[2]) as RequireConstraint["op"];
      constraints.push({ key: m[1] as RequireKey, op, value: m[3] as string, text: part.trim() });
    }
    if (constraints.length > 0) alternatives.push({ text, constraints });
  }
  return { alternatives, problems };
}

/** `12.8.1` → `12.8`: the driver table is per minor release. */
function minorOf(version: string): string | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version) ?? /^(\d+)$/.exec(version);
  if (!m) return undefined;
  return `${m[1]}.${m[2] ?? "0"}`;
}

export interface DriverRule {
  /** The oci.gpu.nvidia.driver value, e.g. `>=570.26` or `>=470, <471`. */
  value: string | undefined;
  /** Constraints with no label: arch, brand, or a cuda bound the table cannot turn into a driver. */
  dropped: { text: string; reason: string }[];
}

/** One alternative's constraints as an oci.gpu.nvidia.driver value (AND-joined comparators). */
export function driverRuleOf(alternative: RequireAlternative): DriverRule {
  const comparators: string[] = [];
  const dropped: DriverRule["dropped"] = [];
  for (const c of alternative.constraints) {
    if (c.key === "driver") {
      comparators.push(`${c.op}${c.value}`);
    } else if (c.key === "cuda") {
      const minor = minorOf(c.value);
      const driver = minor === undefined ? undefined : CUDA_MINIMUM_DRIVER[minor];
      if ((c.op === ">=" || c.op === "=") && driver !== undefined) {
        comparators.push(`>=${driver}`);
        if (c.op === "=")
          dropped.push({ text: c.text, reason: "only its lower bound has a driver equivalent" });
      } else if (driver === undefined) {
        dropped.push({ text: c.text, reason: `no known minimum driver for CUDA ${c.value}` });
      } else {
        dropped.push({ text: c.text, reason: `cuda${c.op} has no driver-version equivalent` });
      }
    } else {
      dropped.push({
        text: c.text,
        reason:
          c.key === "arch"
            ? "the GPU's compute capability has no catalog label"
            : "the GPU brand has no catalog label",
      });
    }
  }
  return { value: comparators.length > 0 ? comparators.join(", ") : undefined, dropped };
}

/** Go's strconv.ParseBool true spellings: what the NVIDIA container toolkit accepts. */
const GO_TRUE: ReadonlySet<string> = new Set(["1", "t", "T", "TRUE", "true", "True"]);

/**
 * The requirements the NVIDIA container runtime enforces for a config's Env (`KEY=VALUE`
 * strings), in order: every NVIDIA_REQUIRE_* but JETPACK ones (the toolkit skips those), none when
 * NVIDIA_DISABLE_REQUIRE is true as Go's ParseBool reads it, and, as the toolkit does for legacy
 * images, `cuda>=MAJOR.MINOR` from CUDA_VERSION when NVIDIA_REQUIRE_CUDA is absent or empty.
 */
export function nvidiaRequirements(env: readonly string[]): { name: string; value: string }[] {
  const vars = new Map<string, string>();
  for (const line of env) {
    const eq = line.indexOf("=");
    if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1));
  }
  if (GO_TRUE.has(vars.get("NVIDIA_DISABLE_REQUIRE") ?? "")) return [];
  const required = [...vars]
    .filter(
      ([name, value]) =>
        name.startsWith("NVIDIA_REQUIRE_") &&
        !name.startsWith("NVIDIA_REQUIRE_JETPACK") &&
        value.trim() !== "",
    )
    .map(([name, value]) => ({ name, value }));
  const legacy = /^(\d+)\.(\d+)/.exec(vars.get("CUDA_VERSION") ?? "");
  if (legacy && (vars.get("NVIDIA_REQUIRE_CUDA") ?? "").trim() === "") {
    required.push({ name: "CUDA_VERSION", value: `cuda>=${legacy[1]}.${legacy[2]}` });
  }
  return required;
}
