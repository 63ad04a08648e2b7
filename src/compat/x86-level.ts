// x86-64 micro-architecture levels (the x86-64 psABI's v2, v3, v4) computed from CPU flags.
// Flags are in NFD spelling; where /proc/cpuinfo and NFD (CPUID) name a flag differently, either
// name counts, so the same function serves discovery, NFD imports and (through x86LevelOf, with
// the selection's own flag spelling) the node's amd64 level at selection time. Pure, so that
// compat can use it; node/parse/x86-level.ts re-exports it for discovery.

/** Each requirement is satisfied by any of its spellings. */
const LEVELS: readonly (readonly (readonly string[])[])[] = [
  // v2: CMPXCHG16B, LAHF/SAHF, POPCNT, SSE3, SSE4.1, SSE4.2, SSSE3
  [
    ["CX16"],
    ["LAHFLM", "LAHF"],
    ["POPCNT"],
    ["PNI", "SSE3"],
    ["SSE41", "SSE4"],
    ["SSE42"],
    ["SSSE3"],
  ],
  // v3: AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT, MOVBE, OSXSAVE. /proc/cpuinfo calls LZCNT `abm`
  // and never shows OSXSAVE, so XSAVE stands in for it.
  [
    ["AVX"],
    ["AVX2"],
    ["BMI1"],
    ["BMI2"],
    ["F16C"],
    ["FMA", "FMA3"],
    ["ABM", "LZCNT"],
    ["MOVBE"],
    ["XSAVE", "OSXSAVE"],
  ],
  // v4: AVX-512 F, BW, CD, DQ, VL
  [["AVX512F"], ["AVX512BW"], ["AVX512CD"], ["AVX512DQ"], ["AVX512VL"]],
];

/** The highest level the flags meet: 1 (baseline) to 4. Each level needs the ones below it. */
export function x86Level(flags: ReadonlySet<string>): 1 | 2 | 3 | 4 {
  return x86LevelOf((flag) => flags.has(flag));
}

/** {@link x86Level} over any lookup; `has` is asked for NFD spellings (`SSE42`, `AVX512F`). */
export function x86LevelOf(has: (flag: string) => boolean): 1 | 2 | 3 | 4 {
  let level: 1 | 2 | 3 | 4 = 1;
  for (const requirements of LEVELS) {
    if (!requirements.every((names) => names.some(has))) break;
    level = (level + 1) as 2 | 3 | 4;
  }
  return level;
}

/** The level flags oci.cpu.features carries for a level: `X86_64_V2` up to the level. */
export function levelFlags(level: 1 | 2 | 3 | 4): string[] {
  const out: string[] = [];
  for (let v = 2; v <= level; v++) out.push(`X86_64_V${v}`);
  return out;
}

export function isLevelFlag(flag: string): boolean {
  return /^X86_64_V\d$/i.test(flag);
}
