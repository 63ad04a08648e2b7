// The catalog's CPU labels: vendor, instruction-set features, count and model identity. Each
// group of built-in labels has its own file so a label's prose sits beside its neighbours';
// catalog.ts joins the groups in documentation order.

import { define, type LabelDefinition } from "./label-definition.js";

export const CPU_LABELS: readonly LabelDefinition[] = [
  define({
    name: "oci.cpu.vendor",
    type: "string",
    aliases: [],
    source: "oci",
    summary: "CPU vendor, as the processor identifies itself",
    explanation:
      "The maker of the node's CPUs. On x86 it is the `vendor_id` field of /proc/cpuinfo, the " +
      "CPUID vendor string: `GenuineIntel`, `AuthenticAMD`, `HygonGenuine`, `CentaurHauls`. Arm " +
      "cores have no vendor string, so there the value is the `CPU implementer` code exactly as " +
      "/proc/cpuinfo prints it, which names the designer of the core rather than the seller of " +
      "the chip: `0x41` (Arm Ltd, so every Neoverse-based CPU such as Graviton, Grace or " +
      "Altra), `0x48` (HiSilicon), `0x4e` (NVIDIA's own cores), `0xc0` (Ampere's own cores). " +
      "Write `GenuineIntel|AuthenticAMD` to accept either x86 vendor or `!AuthenticAMD` to " +
      "exclude one. When a binary really needs an instruction set, say so with " +
      "oci.cpu.features instead: vendors' feature sets overlap and change between generations.",
    examples: [
      { value: "GenuineIntel", meaning: "Intel CPUs only" },
      { value: "GenuineIntel|AuthenticAMD", meaning: "Intel or AMD x86 CPUs" },
      { value: "0x41", meaning: "Arm-designed cores, e.g. Neoverse in Graviton or Grace" },
    ],
    nfd: {
      feature: "cpu-model.vendor_id",
      note:
        "NFD reports a short vendor name (`Intel`, `AMD`), not the CPUID string: NFD `Intel` " +
        "is `GenuineIntel` here and `AMD` is `AuthenticAMD`",
    },
  }),
  define({
    name: "oci.cpu.features",
    type: "set",
    names: "cpu-feature",
    aliases: [],
    source: "oci",
    summary: "Instruction-set extensions the CPU supports, plus x86-64 micro-architecture levels",
    explanation:
      "The CPU's instruction-set extensions, from the `flags` line (x86) or the `Features` line " +
      "(Arm) of /proc/cpuinfo, normalised the way NFD spells CPUID flags: upper case with " +
      "underscores removed, so `avx512_fp16` becomes `AVX512FP16` and `sve2` becomes `SVE2`. " +
      "On x86-64 the set also holds the psABI micro-architecture levels the CPU meets: " +
      "`X86_64_V2` (SSE4.2, POPCNT, CMPXCHG16B), `X86_64_V3` (AVX2, BMI2, FMA, MOVBE) and " +
      "`X86_64_V4` (AVX-512 F, BW, CD, DQ, VL); each level implies the ones below it. The " +
      "kernel removes flags it has disabled and a hypervisor may hide some, so the set is what " +
      "programs can actually use, not what the silicon has. Write `AVX512F,AVX512BW` to need " +
      "both, `AMXBF16|AVX512BF16` to accept either, `!AVX512F` for a build that must avoid " +
      "AVX-512. Any common spelling of a feature works in values and facts alike: `sse4_2`, " +
      "`SSE4_2`, `sse42` (Go) and `SSE42` (NFD) are one feature, and NFD's `SSE3` is cpuinfo's " +
      "`PNI`.",
    examples: [
      { value: "AVX512F,AVX512BW,AVX512VL", meaning: "all three AVX-512 subsets" },
      { value: "X86_64_V3", meaning: "any CPU that meets the x86-64-v3 level (AVX2 era)" },
      { value: "AMXBF16|AVX512BF16,", meaning: "either bfloat16 path (trailing comma allowed)" },
      { value: "SVE2", meaning: "an Arm CPU with the Scalable Vector Extension 2" },
    ],
    nfd: {
      feature: "cpu-cpuid.<FLAG>",
      note:
        "one NFD label per flag (cpu-cpuid.AVX512F); NFD hides common flags such as BMI2, " +
        "POPCNT and SSE42 by default, has no x86-64 level flags, and names a few flags after " +
        "CPUID rather than /proc/cpuinfo (NFD `AESNI` for cpuinfo `aes`)",
    },
  }),
  define({
    name: "oci.cpu.count",
    type: "quantity",
    aliases: [],
    source: "ocicompat",
    summary: "Number of online logical CPUs on the node",
    explanation:
      "How many logical CPUs (hardware threads) the kernel has online, counted from the ranges " +
      "in /sys/devices/system/cpu/online (`0-63` is 64). It describes the machine, not a " +
      "container's CPU quota or cpuset: use it for builds whose thread layout or memory " +
      "footprint only makes sense on large machines. Write `>=32` for at least 32 CPUs, or " +
      "`[4, 16]` for an edge build meant for small boxes.",
    examples: [
      { value: ">=32", meaning: "at least 32 logical CPUs" },
      { value: "[4, 16]", meaning: "between 4 and 16 logical CPUs, inclusive" },
    ],
  }),
  define({
    name: "oci.cpu.model",
    type: "string",
    aliases: [],
    source: "ocicompat",
    summary: "CPU model name, as /proc/cpuinfo prints it",
    explanation:
      "The marketing name of the CPU from the `model name` line of /proc/cpuinfo, e.g. " +
      "`Intel(R) Xeon(R) Platinum 8480+` or `AMD EPYC 9654 96-Core Processor`. Arm kernels " +
      "usually print no model name, so the label is unknown there. Globs make it practical: " +
      "`AMD EPYC 9*` matches every EPYC 9004/9005 part. It suits builds tuned for one product " +
      "line; when correctness depends on instructions, require them with oci.cpu.features, " +
      "which also holds for CPUs released after the image.",
    examples: [
      { value: "AMD EPYC 9*", meaning: "an AMD EPYC 9004 or 9005 series CPU" },
      { value: "Intel(R) Xeon(R) Platinum 84*", meaning: "a Xeon Platinum 84xx part" },
    ],
  }),
  define({
    name: "oci.cpu.family",
    type: "quantity",
    aliases: [],
    source: "ocicompat",
    summary: "x86 CPU family number",
    explanation:
      "The decimal `cpu family` value of /proc/cpuinfo, as CPUID reports it on x86: 6 for most " +
      "Intel Core and Xeon CPUs; 23 (0x17) for AMD Zen and Zen 2, 25 (0x19) for Zen 3 and " +
      "Zen 4, 26 (0x1a) for Zen 5. Other architectures have no such field and the label is " +
      "unknown there. Family numbers are only comparable within one vendor, so pair it with " +
      "oci.cpu.vendor in the same set: `AuthenticAMD` with `>=25` means Zen 3 or later.",
    examples: [
      { value: "25", meaning: "family 25 (AMD Zen 3 and Zen 4)" },
      { value: ">=25", meaning: "family 25 or later (with oci.cpu.vendor AuthenticAMD)" },
    ],
    nfd: { feature: "cpu-model.family" },
  }),
  define({
    name: "oci.cpu.model-id",
    type: "quantity",
    aliases: [],
    source: "ocicompat",
    summary: "x86 CPU model number within its family",
    explanation:
      "The decimal `model` value of /proc/cpuinfo on x86, which identifies a micro-architecture " +
      "within a family: for Intel family 6, 85 is Skylake-SP and Cascade Lake, 106 is Ice " +
      "Lake-SP and 143 is Sapphire Rapids. It means nothing without oci.cpu.vendor and " +
      "oci.cpu.family in the same set, and it is unknown on non-x86 nodes. Prefer " +
      "oci.cpu.features unless a build targets one micro-architecture's timing or errata.",
    examples: [
      { value: "143", meaning: "Intel Sapphire Rapids (with vendor GenuineIntel, family 6)" },
      { value: ">=106", meaning: "Ice Lake-SP or a later Intel family 6 server model" },
    ],
    nfd: { feature: "cpu-model.id" },
  }),
];
