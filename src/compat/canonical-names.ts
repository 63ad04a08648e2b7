// One canonical form for the names in set labels whose items have many spellings: CPU features
// and PCI/USB vendor.device IDs. Node facts (discovery, NFD and Kubernetes imports, profiles) and
// compatibility values (set values, Proposal E platform.features) both go through this module, so
// `sse4_2`, `SSE4_2`, `sse42` and `SSE42` are one feature, and `15B3:101B` is `15b3.101b`.
// docs/compat-language.md ("Canonical names") states the rules.

/** How a set label's items are spelled; labels without a form compare names as written. */
export type NameForm = "cpu-feature" | "device-id";

/**
 * Spellings of the same CPU feature that differ by more than case and separators, mapped to the
 * canonical name. The canonical name is the /proc/cpuinfo flag in NFD's normalisation (what
 * discovery has always written); the others are NFD's (klauspost/cpuid's) CPUID names and Go's
 * x/sys/cpu names, as Proposal E's platform.features uses them.
 */
/** NFD's (klauspost/cpuid's) CPUID names that differ from the cpuinfo flag, → the cpuinfo flag. */
export const CPUID_TO_CPUINFO_FEATURE: ReadonlyMap<string, string> = new Map([
  ["AESNI", "AES"],
  ["AMD3DNOW", "3DNOW"],
  ["AMD3DNOWEXT", "3DNOWEXT"],
  ["CLMUL", "PCLMULQDQ"],
  ["CMPXCHG8", "CX8"],
  ["FMA3", "FMA"],
  ["HTT", "HT"],
  ["LAHF", "LAHFLM"],
  ["LZCNT", "ABM"],
  ["SHA", "SHANI"],
  ["SSE3", "PNI"],
  ["SSE4", "SSE41"],
  ["SYSEE", "SEP"],
  ["TOPEXT", "TOPOEXT"],
  ["X87", "FPU"],
]);

const CPU_FEATURE_ALIASES: ReadonlyMap<string, string> = new Map([
  ...CPUID_TO_CPUINFO_FEATURE,
  ["ARMCPUID", "CPUID"],
  // Go x/sys/cpu's x86 names are cpuinfo's without separators, except `sse3` (cpuinfo `pni`),
  // covered above; its arm64 names equal cpuinfo's.
]);

/**
 * Names a CPU feature set may hold without a warning: Linux /proc/cpuinfo flags (x86
 * arch/x86/include/asm/cpufeatures.h, arm64 hwcaps), NFD/klauspost cpuid feature names and Go
 * x/sys/cpu names, all in canonical form, plus ocicompat's x86-64 level flags. The list is for
 * `validate`'s warnings only; matching never depends on it.
 */
const KNOWN_CPU_FEATURE_LIST = [
  // x86-64 psABI levels (ocicompat)
  "X86_64_V2 X86_64_V3 X86_64_V4",
  // x86 /proc/cpuinfo flags
  "FPU VME DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 PN CLFLUSH DTS ACPI MMX",
  "FXSR SSE SSE2 SS HT TM IA64 PBE SYSCALL MP NX MMXEXT FXSR_OPT PDPE1GB RDTSCP LM 3DNOWEXT 3DNOW",
  "RECOVERY LONGRUN LRTI CXMMX K8 K7 P3 P4 CONSTANT_TSC UP ART ARCH_PERFMON PEBS BTS REP_GOOD",
  "ACC_POWER NOPL XTOPOLOGY TSC_RELIABLE NONSTOP_TSC CPUID EXTD_APICID AMD_DCM APERFMPERF",
  "RAPL NONSTOP_TSC_S3 TSC_KNOWN_FREQ PNI PCLMULQDQ DTES64 MONITOR DS_CPL VMX SMX EST TM2 SSSE3",
  "CID SDBG FMA CX16 XTPR PDCM PCID DCA SSE4_1 SSE4_2 X2APIC MOVBE POPCNT TSC_DEADLINE_TIMER AES",
  "XSAVE OSXSAVE AVX F16C RDRAND HYPERVISOR RNG RNG_EN ACE ACE_EN ACE2 ACE2_EN PHE PHE_EN PMM",
  "PMM_EN LAHF_LM CMP_LEGACY SVM EXTAPIC CR8_LEGACY ABM SSE4A MISALIGNSSE 3DNOWPREFETCH OSVW IBS",
  "XOP SKINIT WDT LWP FMA4 TCE NODEID_MSR TBM TOPOEXT PERFCTR_CORE PERFCTR_NB BPEXT PTSC",
  "PERFCTR_LLC MWAITX RING3MWAIT CPUID_FAULT CPB EPB CAT_L3 CAT_L2 CDP_L3 INVPCID_SINGLE HW_PSTATE",
  "PROC_FEEDBACK XCOMPACTED PTI INTEL_PPIN CDP_L2 SSBD MBA IBRS IBPB STIBP IBRS_ENHANCED",
  "TPR_SHADOW VNMI FLEXPRIORITY EPT VPID VMMCALL EPT_AD FSGSBASE TSC_ADJUST SGX BMI1 HLE AVX2",
  "FDP_EXCPTN_ONLY SMEP BMI2 ERMS INVPCID RTM CQM MPX RDT_A AVX512F AVX512DQ RDSEED ADX SMAP",
  "AVX512IFMA CLFLUSHOPT CLWB INTEL_PT AVX512PF AVX512ER AVX512CD SHA_NI AVX512BW AVX512VL",
  "XSAVEOPT XSAVEC XGETBV1 XSAVES CQM_LLC CQM_OCCUP_LLC CQM_MBM_TOTAL CQM_MBM_LOCAL SPLIT_LOCK_DETECT",
  "USER_SHSTK AVX_VNNI AVX512_BF16 CLZERO IRPERF XSAVEERPTR RDPRU WBNOINVD AMD_PPIN",
  "AMD_SSBD VIRT_SSBD AMD_SSB_NO CPPC AMD_PSFD DTHERM IDA ARAT PLN PTS HWP HWP_NOTIFY",
  "HWP_ACT_WINDOW HWP_EPP HWP_PKG_REQ HFI NPT LBRV SVM_LOCK NRIP_SAVE TSCSCALE VMCBCLEAN",
  "FLUSHBYASID DECODEASSISTS PAUSEFILTER PFTHRESHOLD AVIC V_VMSAVE_VMLOAD VGIF X2AVIC V_SPEC_CTRL",
  "VNMI AVX512VBMI UMIP PKU OSPKE WAITPKG AVX512_VBMI2 SHSTK GFNI VAES VPCLMULQDQ AVX512_VNNI",
  "AVX512_BITALG TME AVX512_VPOPCNTDQ LA57 RDPID BUS_LOCK_DETECT CLDEMOTE MOVDIRI MOVDIR64B ENQCMD",
  "SGX_LC OVERFLOW_RECOV SUCCOR SMCA AVX512_4VNNIW AVX512_4FMAPS FSRM AVX512_VP2INTERSECT SRBDS_CTRL",
  "MD_CLEAR RTM_ALWAYS_ABORT TSX_FORCE_ABORT SERIALIZE HYBRID_CPU TSXLDTRK PCONFIG ARCH_LBR IBT",
  "AMX_BF16 AVX512_FP16 AMX_TILE AMX_INT8 FLUSH_L1D ARCH_CAPABILITIES CORE_CAPABILITIES",
  "SPEC_CTRL_SSBD AMX_FP16 AMX_COMPLEX AVX_IFMA AVX_VNNI_INT8 AVX_NE_CONVERT PREFETCHITI CMPCCXADD",
  "FZRM FSRS FSRC LAM LKGS AVX512_FP16 SM3 SM4 SHA512 AVX_VNNI_INT16 AVX10 APX_F SEV SEV_ES SME",
  "SEV_SNP V_TSC_AUX SME_COHERENT DEBUG_SWAP TDX_GUEST CONSTANT_TSC ZERO_FCS_FDS",
  // NFD (klauspost/cpuid) names that are not cpuinfo flags
  "AMD3DNOW AMD3DNOWEXT AVX10_128 AVX10_256 AVX10_512 AVXSLOW CETIBT CETSS CLMUL CMPXCHG8 FMA3",
  "HTT LZCNT MMXEXT RDTSCP SHA SSE3 SSE4 SSE42 SYSCALL SYSEE X87 AESNI AMXBF16 AMXINT8 AMXTILE",
  "AMXFP16 AMXCOMPLEX AVXVNNI AVX512BF16 AVX512BITALG AVX512FP16 AVX512VBMI2 AVX512VNNI",
  "AVX512VP2INTERSECT AVX512VPOPCNTDQ BHI_CTRL HRESET IBS LBRVIRT MCAOVERFLOW MOVU MSRIRC",
  "RDTSCP SCE SGXLC STOSB_SHORT SUCCOR VMX WAITPKG XSAVE",
  // Go x/sys/cpu names that are not cpuinfo flags (x86)
  "AVX512VNNIW AVX5124VNNIW AVX5124FMAPS AVX512VPCLMULQDQ AVX512GFNI AVX512VAES",
  // arm64 hwcaps (/proc/cpuinfo Features; Go x/sys/cpu and NFD use the same names)
  "FP ASIMD EVTSTRM AES PMULL SHA1 SHA2 CRC32 ATOMICS FPHP ASIMDHP CPUID ASIMDRDM JSCVT FCMA",
  "LRCPC DCPOP SHA3 SM3 SM4 ASIMDDP SHA512 SVE ASIMDFHM DIT USCAT ILRCPC FLAGM SSBS SB PACA PACG",
  "DCPODP SVE2 SVEAES SVEPMULL SVEBITPERM SVESHA3 SVESM4 FLAGM2 FRINT SVEI8MM SVEF32MM SVEF64MM",
  "SVEBF16 I8MM BF16 DGH RNG BTI MTE ECV AFP RPRES MTE3 SME SME_I16I64 SME_F64F64 SME_I8I32",
  "SME_F16F32 SME_B16F32 SME_F32F32 SME_FA64 WFXT EBF16 SVE_EBF16 CSSC RPRFM SVE2P1 SME2 SME2P1",
  "SME_I16I32 SME_BI32I32 SME_B16B16 SME_F16F16 MOPS HBC SVE_B16B16 LRCPC3 LSE128 FPMR LUT",
  "FAMINMAX F8CVT F8FMA F8DP4 F8DP2 F8E4M3 F8E5M2 SME_LUTV2 SME_F8F16 SME_F8F32 SME_SF8FMA",
  "ARMCPUID GPA",
  // arm 32-bit hwcaps
  "HALF THUMB 26BIT FASTMULT FPA VFP EDSP JAVA IWMMXT CRUNCH THUMBEE NEON VFPV3 VFPV3D16 TLS VFPV4",
  "IDIVA IDIVT VFPD32 LPAE EVTSTRM",
];

/** Removes the separators people and tools put inside feature names: `_`, `-`, `.`, spaces. */
function squeeze(name: string): string {
  return name.replace(/[_\-.\s]/g, "");
}

const ALIAS_BY_KEY: ReadonlyMap<string, string> = new Map(
  [...CPU_FEATURE_ALIASES].map(([alias, canonical]) => [squeeze(alias).toUpperCase(), canonical]),
);

/** Canonical key → the other spellings (squeezed, lower-case) that resolve to it. */
const SPELLINGS_BY_KEY: ReadonlyMap<string, readonly string[]> = (() => {
  const out = new Map<string, string[]>();
  for (const [alias, canonical] of ALIAS_BY_KEY) {
    const key = canonical.toLowerCase();
    const list = out.get(key) ?? [];
    list.push(alias.toLowerCase());
    out.set(key, list);
  }
  return out;
})();

const LEVEL_FLAG = /^X8664V(\d)$/;

/**
 * The canonical name of a CPU feature: upper case, separators removed, and CPUID or Go names
 * replaced by the /proc/cpuinfo one (`sse4_2` → `SSE42`, `SSE3` → `PNI`, `AESNI` → `AES`).
 */
export function canonicalCpuFeature(name: string): string {
  const squeezed = squeeze(name).toUpperCase();
  // The level flags keep the psABI's spelling (X86_64_V3), which is how profiles show them.
  const level = LEVEL_FLAG.exec(squeezed);
  if (level !== null) return `X86_64_V${level[1] as string}`;
  return ALIAS_BY_KEY.get(squeezed) ?? squeezed;
}

/**
 * The canonical form of a PCI or USB vendor.device ID: lower case, `.` between the parts
 * (`15B3:101B` → `15b3.101b`, as lspci and lsusb print it, with the separator of sysfs facts).
 */
export function canonicalDeviceId(id: string): string {
  const lower = id.trim().toLowerCase();
  return lower.includes(":") ? lower.replaceAll(":", ".") : lower;
}

/** The canonical spelling of `name` in `form`. */
export function canonicalName(form: NameForm, name: string): string {
  return form === "cpu-feature" ? canonicalCpuFeature(name) : canonicalDeviceId(name);
}

/**
 * The key sets compare: the canonical name, lower-cased (matching ignores case), and for CPU
 * features without separators, so that glob text (see {@link globTextKey}) lines up with it.
 */
export function nameKey(form: NameForm | undefined, name: string): string {
  if (form === undefined) return name.toLowerCase();
  if (form === "device-id") return canonicalDeviceId(name);
  let key = cpuKeys.get(name);
  if (key === undefined) {
    key = squeeze(canonicalCpuFeature(name)).toLowerCase();
    // CPU flags are a small vocabulary that every node repeats; a document full of made-up
    // names must not grow the memo without bound.
    if (cpuKeys.size >= CPU_KEY_MEMO) cpuKeys.clear();
    cpuKeys.set(name, key);
  }
  return key;
}

const CPU_KEY_MEMO = 4096;
const cpuKeys = new Map<string, string>();

/**
 * A glob's literal text in canonical form (lower case), so globs see canonical names: separators
 * are dropped from CPU feature globs (`avx512_*` is `avx512*`) and `:` becomes `.` in IDs.
 */
export function globTextKey(form: NameForm | undefined, text: string): string {
  if (form === undefined) return text.toLowerCase();
  return form === "cpu-feature"
    ? squeeze(text).toLowerCase()
    : text.toLowerCase().replace(/:/g, ".");
}

/**
 * Every spelling of a canonical key that a glob may match (the key itself first): a glob such as
 * `!SSE*` must also see `PNI` under its other name `SSE3`.
 */
export function keySpellings(form: NameForm | undefined, key: string): readonly string[] {
  if (form !== "cpu-feature") return [key];
  const others = SPELLINGS_BY_KEY.get(key);
  return others === undefined ? [key] : [key, ...others];
}

const KNOWN_CPU_FEATURES: ReadonlySet<string> = new Set(
  KNOWN_CPU_FEATURE_LIST.flatMap((line) => line.split(" ")).map(canonicalCpuFeature),
);

const DEVICE_ID = /^[0-9a-f]{4}\.[0-9a-f]{4}$/;

/**
 * Whether a name written in a value can name something a node reports: a CPU feature that some
 * source lists, an ID of the form `vvvv.dddd`. `validate` warns about the others.
 */
export function isKnownName(form: NameForm, name: string): boolean {
  if (form === "cpu-feature") return KNOWN_CPU_FEATURES.has(canonicalCpuFeature(name));
  return DEVICE_ID.test(canonicalDeviceId(name));
}
