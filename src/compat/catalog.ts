// The label catalog: what each compatibility label means, its value type, where the fact comes
// from on Linux, and its NFD counterpart. `ocicompat explain`, `validate` and docs/labels.md all read
// it, so a label's meaning is written down exactly once.

import { OcicompatError } from "../oci/errors.js";
import type { NameForm } from "./canonical-names.js";
import type { LabelType } from "./label-types.js";
import { RESERVED_KEYS } from "./sets.js";

export interface LabelExample {
  value: string;
  meaning: string;
}

export interface LabelDefinition {
  /** Canonical name, e.g. `oci.cpu.features`. */
  name: string;
  type: LabelType;
  /** Other spellings that mean the same label, e.g. `oci.kernel.versions`. */
  aliases: readonly string[];
  /** One line. */
  summary: string;
  /** One paragraph: meaning, where the fact comes from on Linux, value examples. */
  explanation: string;
  examples: readonly LabelExample[];
  /** The Kubernetes Node Feature Discovery label or rule feature that carries the same fact. */
  nfd?: { feature: string; note?: string };
  /**
   * `oci`: the name appears in the OCI image-compatibility proposals' examples; `ocicompat`: added by
   * this project; `pack`: declared by a community label pack.
   */
  source: "oci" | "ocicompat" | "pack";
  /** Pack labels only: a command whose stdout is the node's fact. Run without a shell. */
  discovery?: { command: readonly string[]; timeoutMs?: number };
  /** Pack labels only: where the community documents the label. */
  docs?: string;
  /**
   * Set labels whose names have many spellings: how they are made canonical on both sides
   * (canonical-names.ts), e.g. `sse4_2` = `SSE42`, `15B3:101B` = `15b3.101b`.
   */
  names?: NameForm;
}

export interface LabelCatalog {
  get(nameOrAlias: string): LabelDefinition | undefined;
  list(): readonly LabelDefinition[];
  canonicalName(nameOrAlias: string): string | undefined;
}

export { RESERVED_KEYS };

function define(def: LabelDefinition): LabelDefinition {
  // Frozen all the way down: the catalog is shared by every caller in the process.
  return Object.freeze({
    ...def,
    aliases: Object.freeze([...def.aliases]),
    examples: Object.freeze(def.examples.map((e) => Object.freeze({ ...e }))),
    ...(def.nfd ? { nfd: Object.freeze({ ...def.nfd }) } : {}),
    ...(def.discovery
      ? {
          discovery: Object.freeze({
            ...def.discovery,
            command: Object.freeze([...def.discovery.command]),
          }),
        }
      : {}),
  });
}

export const BUILTIN_LABELS: readonly LabelDefinition[] = Object.freeze([
  // ---- CPU ----
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

  // ---- kernel ----
  define({
    name: "oci.kernel.version",
    type: "version",
    aliases: ["oci.kernel.versions"],
    source: "oci",
    summary: "Running kernel release",
    explanation:
      "The running kernel's release string from /proc/sys/kernel/osrelease (what `uname -r` " +
      "prints), e.g. `5.15.0-91-generic` or `5.14.0-427.el9.x86_64`. It is compared by its " +
      "leading numeric components, so `5.14.0-427.el9.x86_64` reads as 5.14.0.427. Write " +
      "`>=5.14` for a minimum, `[4.19, 5.16)` for a range, or a bare `6.1` for any 6.1.x " +
      "kernel. Distribution kernels backport features, so when an image needs a kernel " +
      "feature rather than a release, oci.kernel.configurations or oci.kernel.modules says it " +
      "more precisely. Proposal H spells the label `oci.kernel.versions`; both names work.",
    examples: [
      { value: ">=5.14", meaning: "kernel 5.14 or newer" },
      { value: "[4.19, 5.16)", meaning: "from 4.19 up to, but not including, 5.16" },
      { value: "6.1", meaning: "any 6.1.x kernel" },
      { value: ">=5.14.0-427", meaning: "the RHEL 9.4 kernel build or a later one" },
    ],
    nfd: {
      feature: "kernel-version.full",
      note: "NFD also splits it into kernel-version.major, .minor and .revision",
    },
  }),
  define({
    name: "oci.kernel.configurations",
    type: "set",
    aliases: [],
    source: "oci",
    summary: "Kernel build options enabled as built-in or module",
    explanation:
      "The kernel's build configuration: every option set to `y` or `m`, named without the " +
      "`CONFIG_` prefix (`CONFIG_PREEMPT_RT=y` is `PREEMPT_RT`). It is read from " +
      "/proc/config.gz when the kernel exposes it, otherwise from /boot/config-<release> or " +
      "/lib/modules/<release>/config; the label is unknown when none exists. Write " +
      "`PREEMPT_RT` for a real-time kernel, `NO_HZ_FULL,HUGETLBFS` to need both, or " +
      "`PREEMPT|PREEMPT_RT` for either preemption model.",
    examples: [
      { value: "PREEMPT_RT", meaning: "a fully preemptible (real-time) kernel" },
      { value: "NO_HZ_FULL,HUGETLBFS", meaning: "tickless CPUs and hugetlbfs, both" },
      { value: "PREEMPT|PREEMPT_RT", meaning: "either preemptible kernel model" },
    ],
    nfd: {
      feature: "kernel-config.<OPTION>",
      note:
        "one NFD label per option, and only for the options NFD is configured to report " +
        "(NO_HZ, NO_HZ_IDLE, NO_HZ_FULL and PREEMPT by default)",
    },
  }),
  define({
    name: "oci.kernel.modules",
    type: "set",
    aliases: [],
    source: "ocicompat",
    summary: "Kernel modules loaded or built into the kernel",
    explanation:
      "The drivers the kernel has right now: modules listed in /proc/modules plus those built " +
      "into the kernel, from /lib/modules/<release>/modules.builtin (the file name without " +
      "`.ko`). Names use `_` where a file name has `-`, as the kernel itself does, so " +
      "`nvidia-uvm` is `nvidia_uvm`. A module that could be loaded on demand but is not " +
      "loaded yet is absent. Write `nvidia,nvidia_uvm` to need the NVIDIA driver with unified " +
      "memory, or `kvm_intel|kvm_amd` for hardware virtualisation on either vendor.",
    examples: [
      { value: "nvidia,nvidia_uvm", meaning: "the NVIDIA driver with its unified-memory module" },
      { value: "mlx5_ib,ib_uverbs", meaning: "RDMA verbs on a Mellanox/NVIDIA ConnectX NIC" },
      { value: "kvm_intel|kvm_amd", meaning: "KVM on either x86 vendor" },
    ],
    nfd: {
      feature: "kernel.enabledmodule.<name>",
      note:
        "an NFD rule feature, not a default node label; NFD's kernel.loadedmodule covers " +
        "/proc/modules alone",
    },
  }),
  define({
    name: "oci.kernel.selinux",
    type: "bool",
    aliases: [],
    source: "oci",
    summary: "Whether SELinux is enforcing",
    explanation:
      "`true` when SELinux is enabled and enforcing, read from /sys/fs/selinux/enforce (`1`). " +
      "It is `false` when SELinux is permissive (`0`) or not enabled at all (no selinuxfs " +
      "mounted). Images whose files carry no usable SELinux labels, or that need access the " +
      "node's policy denies, can require `false`.",
    examples: [
      { value: "false", meaning: "SELinux must not be enforcing" },
      { value: "true", meaning: "only nodes where SELinux enforces its policy" },
    ],
    nfd: {
      feature: "kernel-selinux.enabled",
      note: "like this label, NFD reports true only in enforcing mode",
    },
  }),
  define({
    name: "oci.kernel.cmdline",
    type: "set",
    aliases: [],
    source: "ocicompat",
    summary: "Parameters the kernel was booted with",
    explanation:
      "The kernel command line from /proc/cmdline, split at white space outside double " +
      "quotes: each item is a bare flag or `name=value` as written at boot, e.g. `iommu=pt`, " +
      "`intel_iommu=on`, `isolcpus=2-15`, `default_hugepagesz=1G`. Boot-time choices that no " +
      "other label shows live here: IOMMU mode for VFIO and DPDK, isolated CPUs for real-time " +
      "work, 1 GiB huge pages. Globs match a parameter whatever its value: `isolcpus=*`.",
    examples: [
      { value: "intel_iommu=on,iommu=pt", meaning: "Intel IOMMU on, in pass-through mode" },
      { value: "isolcpus=*", meaning: "some CPUs isolated from the scheduler" },
      { value: "default_hugepagesz=1G", meaning: "1 GiB is the default huge page size" },
    ],
  }),

  // ---- operating system ----
  define({
    name: "oci.os.id",
    type: "string",
    aliases: [],
    source: "ocicompat",
    summary: "Operating system distribution identifier",
    explanation:
      "The `ID` field of /etc/os-release (or /usr/lib/os-release when the former is missing): " +
      "a lower-case distribution name such as `ubuntu`, `debian`, `rhel`, `rocky`, " +
      "`almalinux`, `sles` or `amzn`. It matters for images that use the host's user space " +
      "(driver libraries, device plugins, init integration) or were certified on one " +
      "distribution. Write `rhel|rocky|almalinux` for the RHEL family.",
    examples: [
      { value: "ubuntu", meaning: "Ubuntu hosts only" },
      { value: "rhel|rocky|almalinux", meaning: "RHEL or a rebuild of it" },
    ],
    nfd: { feature: "system-os_release.ID" },
  }),
  define({
    name: "oci.os.version",
    type: "version",
    aliases: [],
    source: "ocicompat",
    summary: "Operating system release version",
    explanation:
      "The `VERSION_ID` field of /etc/os-release (or /usr/lib/os-release), e.g. `22.04`, " +
      "`9.4`, `12` or `2023`. It is only meaningful together with oci.os.id in the same set. " +
      "Rolling distributions such as Arch Linux have no VERSION_ID, so the label is unknown " +
      "there. Write `>=22.04` for a minimum, or a bare `9` for any 9.x release.",
    examples: [
      { value: ">=22.04", meaning: "release 22.04 or later (with oci.os.id ubuntu)" },
      { value: "9", meaning: "any 9.x release" },
      { value: "[8.6, 10)", meaning: "8.6 up to, but not including, 10" },
    ],
    nfd: {
      feature: "system-os_release.VERSION_ID",
      note: "NFD also labels VERSION_ID.major and VERSION_ID.minor",
    },
  }),
  define({
    name: "oci.os.glibc",
    type: "version",
    aliases: [],
    source: "oci",
    summary: "Version of the node's GNU C library",
    explanation:
      "The version of the GNU C library installed on the node's root file system, read from " +
      "libc.so.6 in the standard library directories without running anything (so it also " +
      "works on a mounted root), e.g. `2.35` on Ubuntu 22.04 or `2.34` on RHEL 9. The label " +
      "is unknown on hosts without glibc, such as musl-based ones. A container brings its own " +
      "C library, so this matters when host libraries are mounted into the container (a " +
      "site's MPI or fabric libraries in HPC, vendor driver libraries): they need the symbol " +
      "versions of the glibc they were linked against. Write `[2.31, 2.37]` for a tested " +
      "range.",
    examples: [
      { value: ">=2.31", meaning: "glibc 2.31 or newer" },
      { value: "[2.31, 2.37]", meaning: "glibc 2.31 through 2.37, inclusive" },
      { value: "<=2.35", meaning: "no newer than the image's own glibc 2.35" },
    ],
  }),

  // ---- devices ----
  define({
    name: "oci.pci.devices",
    type: "set",
    names: "device-id",
    aliases: [],
    source: "oci",
    summary: "PCI devices present, as vendor.device IDs",
    explanation:
      "Every PCI function on the node, from /sys/bus/pci/devices/*/vendor and device, written " +
      "`vendor.device` in lower-case four-digit hex without `0x`: a ConnectX-6 adapter is " +
      "`15b3.101b`. SR-IOV virtual functions are PCI functions too, so a VM that was given " +
      "a VF sees it. Comparison ignores case and the separator, so the proposals' `15B3.020D` " +
      "and lspci's `15b3:101b` work as written. " +
      "A glob on the device part matches a whole vendor: `10de.*` is any NVIDIA device. To " +
      "match a kind of device from any vendor, use oci.pci.classes.",
    examples: [
      { value: "15b3.101b|15b3.1021", meaning: "a ConnectX-6 or a ConnectX-7 adapter" },
      { value: "10de.2330", meaning: "an NVIDIA H100 SXM5 GPU" },
      { value: "10de.*", meaning: "any NVIDIA PCI device" },
    ],
    nfd: {
      feature: "pci-<class>_<vendor>.present",
      note:
        "NFD's default label names hold only class and vendor (pci-0302_10de.present); " +
        "matching a device ID needs NFD's deviceLabelFields setting or its pci.device rule " +
        "feature",
    },
  }),
  define({
    name: "oci.pci.classes",
    type: "set",
    aliases: [],
    source: "ocicompat",
    summary: "PCI device classes present, as four-digit class codes",
    explanation:
      "The class of every PCI function on the node, from /sys/bus/pci/devices/*/class " +
      "(`0x030200`), keeping the base class and subclass as four lower-case hex digits " +
      "(`0302`). It says what kind of hardware is there regardless of vendor: `0300` VGA " +
      "controller, `0302` 3D controller (data-centre GPUs), `0200` Ethernet, `0207` " +
      "InfiniBand, `0108` NVMe, `1200` processing accelerator. Write `0300|0302` for any GPU.",
    examples: [
      { value: "0300|0302", meaning: "a display or 3D controller, i.e. some GPU" },
      { value: "0207", meaning: "an InfiniBand controller" },
      { value: "1200", meaning: "a processing accelerator" },
    ],
    nfd: {
      feature: "pci-<class>_<vendor>.present",
      note: "NFD keys its default PCI labels by class and vendor together",
    },
  }),
  define({
    name: "oci.usb.devices",
    type: "set",
    names: "device-id",
    aliases: [],
    source: "ocicompat",
    summary: "USB devices present, as vendor.product IDs",
    explanation:
      "Every USB device on the node, from /sys/bus/usb/devices/*/idVendor and idProduct, " +
      "written `vendor.product` in lower-case four-digit hex, as for oci.pci.devices; values " +
      "may use the `:` that lsusb prints and any case. Root hubs count (`1d6b.0003` is a USB " +
      "3 root hub). Edge accelerators and dongles are the usual reason to require one: " +
      "`03e7.2485` is an Intel Neural Compute Stick 2.",
    examples: [
      {
        value: "18d1.9302|1a6e.089a",
        meaning: "a Coral USB Accelerator, after or before its firmware is loaded",
      },
      { value: "03e7.2485", meaning: "an Intel Neural Compute Stick 2" },
      { value: "0403.*", meaning: "any FTDI device, e.g. a USB serial adapter" },
    ],
    nfd: {
      feature: "usb-<class>_<vendor>_<device>.present",
      note: "NFD's default USB label names hold class, vendor and device",
    },
  }),

  // ---- memory ----
  define({
    name: "oci.memory.total",
    type: "quantity",
    aliases: [],
    source: "ocicompat",
    summary: "Usable physical memory in bytes",
    explanation:
      "The node's usable RAM: `MemTotal` from /proc/meminfo, converted from KiB to bytes. " +
      "Firmware and the kernel reserve some memory first, so it is a little below the " +
      "installed amount; require `>=60Gi` rather than `>=64Gi` of a 64 GiB machine. Suffixes " +
      "`k M G T` are powers of 1000 and `Ki Mi Gi Ti` powers of 1024.",
    examples: [
      { value: ">=60Gi", meaning: "a machine with about 64 GiB of RAM or more" },
      { value: ">=500Gi", meaning: "a large-memory node" },
    ],
  }),
  define({
    name: "oci.memory.numa-nodes",
    type: "quantity",
    aliases: [],
    source: "ocicompat",
    summary: "Number of online NUMA nodes",
    explanation:
      "How many NUMA memory nodes the kernel has online, counted from the ranges in " +
      "/sys/devices/system/node/online (`0-1` is 2); a machine without NUMA has one node. " +
      "NUMA-aware builds that pin threads and memory per node can require `>=2`, and builds " +
      "that assume uniform memory can require `1`.",
    examples: [
      { value: ">=2", meaning: "a NUMA machine" },
      { value: "1", meaning: "uniform memory access only" },
    ],
    nfd: {
      feature: "memory-numa",
      note:
        "NFD's label only says whether there is more than one node; the count is its " +
        "memory.numa.node_count rule feature",
    },
  }),
  define({
    name: "oci.memory.hugepages",
    type: "quantity",
    aliases: [],
    source: "ocicompat",
    summary: "Bytes of memory reserved as huge pages, all page sizes together",
    explanation:
      "The memory set aside for explicit huge pages: for each " +
      "/sys/kernel/mm/hugepages/hugepages-<size>kB directory, `nr_hugepages` times the page " +
      "size, summed over sizes (0 when none are reserved). Pages already in use count, since " +
      "the reservation is what the node was configured with. DPDK, some databases and HPC " +
      "codes need it. It does not tell 2 MiB from 1 GiB pages; require " +
      "`default_hugepagesz=1G` in oci.kernel.cmdline as well when the page size matters.",
    examples: [
      { value: ">=1Gi", meaning: "at least 1 GiB of huge pages reserved" },
      { value: ">=16Gi", meaning: "at least 16 GiB of huge pages reserved" },
    ],
    nfd: {
      feature: "memory.hugepages",
      note: "an NFD rule feature with a page count per size (hugepages-1Gi), not a byte total",
    },
  }),

  // ---- accelerators ----
  define({
    name: "oci.gpu.nvidia.driver",
    type: "version",
    aliases: [],
    source: "ocicompat",
    summary: "Version of the loaded NVIDIA kernel driver",
    explanation:
      "The version of the NVIDIA kernel module, from /sys/module/nvidia/version or else the " +
      "`NVRM version` line of /proc/driver/nvidia/version, e.g. `535.154.05`; unknown when the " +
      "module is not loaded. The CUDA libraries in an image need a minimum driver: CUDA 12.x " +
      "runs on Linux drivers from 525.60.13 on. Write `>=525.60.13` for that, or `[535, 560)` " +
      "for the driver branches an image was tested with.",
    examples: [
      { value: ">=525.60.13", meaning: "a driver new enough for CUDA 12.x" },
      { value: ">=550", meaning: "the 550 branch or later" },
      { value: "[535, 560)", meaning: "a driver from the 535 up to the 555 branch" },
    ],
  }),
  define({
    name: "oci.gpu.nvidia.l4t",
    type: "version",
    aliases: [],
    source: "ocicompat",
    summary: "NVIDIA Jetson Linux (L4T) release",
    explanation:
      "The NVIDIA Jetson Linux (Linux for Tegra) release of a Jetson device, from " +
      "/etc/nv_tegra_release: `# R36 (release), REVISION: 3.0` is `36.3.0`. Unknown on other " +
      "machines. L4T-based images share user-space libraries with the host board support " +
      "package and are built for one L4T major release: JetPack 5 images need R35, JetPack 6 " +
      "images R36. Write a bare `36` for any R36 release.",
    examples: [
      { value: "36", meaning: "any L4T R36 release (JetPack 6)" },
      { value: ">=35.4, <36", meaning: "R35.4 or a later R35 release" },
    ],
  }),
  define({
    name: "oci.gpu.amd.targets",
    type: "set",
    aliases: [],
    source: "ocicompat",
    summary: "AMD GPU instruction-set targets (gfx names) present",
    explanation:
      "The LLVM target names of the node's AMD GPUs, the names ROCm code objects are compiled " +
      "for. They come from the amdgpu driver's KFD topology: each " +
      "/sys/class/kfd/kfd/topology/nodes/*/properties with a non-zero `gfx_target_version` is " +
      "a GPU, and 90402 becomes `gfx942` (major in decimal, then minor and stepping as one hex " +
      "digit each; 90010 is `gfx90a`). Unknown when the driver is not loaded. An image whose " +
      "kernels were built for `gfx90a` and `gfx942` requires `gfx90a|gfx942`.",
    examples: [
      { value: "gfx942", meaning: "an MI300-series GPU" },
      { value: "gfx90a|gfx942", meaning: "an MI200-series or MI300-series GPU" },
      { value: "gfx11*", meaning: "a GPU of the gfx11 (RDNA 3) generation" },
    ],
  }),

  // ---- system ----
  define({
    name: "oci.system.product",
    type: "string",
    aliases: [],
    source: "ocicompat",
    summary: "Machine or board model",
    explanation:
      "What machine this is. On device-tree systems (most Arm boards) it is " +
      "/proc/device-tree/model, e.g. `Raspberry Pi 4 Model B Rev 1.4` or `NVIDIA Jetson AGX " +
      "Orin Developer Kit`; elsewhere the DMI product name from " +
      "/sys/devices/virtual/dmi/id/product_name, e.g. `PowerEdge R760`. Edge images built for " +
      "one board use it with a glob: `Raspberry Pi 4*|Raspberry Pi 5*`.",
    examples: [
      { value: "Raspberry Pi 4*|Raspberry Pi 5*", meaning: "a Raspberry Pi 4, 400 or 5" },
      { value: "NVIDIA Jetson AGX Orin*", meaning: "a Jetson AGX Orin module or kit" },
    ],
    nfd: {
      feature: "system.dmiid.product_name",
      note: "an NFD rule feature read from DMI; NFD has nothing for the device-tree model",
    },
  }),

  // ---- container runtime ----
  define({
    name: "oci.runtime.handlers",
    type: "set",
    aliases: [],
    source: "ocicompat",
    summary: "OCI runtimes and containerd shims installed on the node",
    explanation:
      "The container runtimes the node can run an image with. An OCI runtime binary found in " +
      "/usr/local/bin, /usr/bin, /usr/sbin, /bin or /sbin counts under its name (`runc`, " +
      "`crun`, `runsc`, `youki`), with `kata-runtime` counted as `kata` and " +
      "`nvidia-container-runtime` as `nvidia`; every containerd shim " +
      "`containerd-shim-<name>-v1` or `-v2` counts as `<name>` (`runc`, `kata`, `runsc`, " +
      "`spin`, `wasmtime`, `wasmedge`). WebAssembly images need a wasm shim, sandboxed ones " +
      "gVisor or Kata: write `spin|wasmtime|wasmedge` or `kata|runsc`.",
    examples: [
      { value: "spin|wasmtime|wasmedge", meaning: "some WebAssembly containerd shim" },
      { value: "kata|runsc", meaning: "a sandboxing runtime: Kata Containers or gVisor" },
      { value: "nvidia", meaning: "the NVIDIA container runtime" },
    ],
  }),
]);

function addKey(map: Map<string, LabelDefinition>, key: string, def: LabelDefinition): void {
  if (map.has(key)) {
    // A duplicate inside BUILTIN_LABELS is a bug in this file, caught by the catalog tests.
    throw new OcicompatError("INTERNAL", `label catalog defines ${key} twice`, { subject: key });
  }
  map.set(key, def);
}

const builtinByKey: ReadonlyMap<string, LabelDefinition> = (() => {
  const map = new Map<string, LabelDefinition>();
  for (const def of BUILTIN_LABELS) {
    for (const key of [def.name, ...def.aliases]) addKey(map, key, def);
  }
  return map;
})();

function conflict(key: string, message: string): OcicompatError {
  return new OcicompatError("VALIDATION", message, { subject: key });
}

/**
 * The built-in catalog plus label-pack labels, in the order the packs were given.
 *
 * Rules for pack labels:
 * - a reserved set key (`tags`, `score`, ...) can't be a label name or alias;
 * - reusing a built-in name or alias with a different type is an error, because images
 *   already use that label with the built-in meaning;
 * - reusing one with the same type is accepted and the built-in definition stays, so no pack
 *   can change what a built-in label means;
 * - otherwise a later pack label takes over every name and alias it claims: an earlier label
 *   with the same name is replaced, one that only shared an alias loses that alias.
 */
export function createCatalog(extra: readonly LabelDefinition[] = []): LabelCatalog {
  if (extra.length === 0) return catalogOf(BUILTIN_LABELS, builtinByKey);

  let packs: LabelDefinition[] = [];
  for (const def of extra) {
    const claimed: string[] = [];
    for (const key of new Set([def.name, ...def.aliases])) {
      if (RESERVED_KEYS.includes(key)) {
        throw conflict(key, `label ${def.name}: ${key} is a reserved compatibility-set key`);
      }
      const builtin = builtinByKey.get(key);
      if (builtin === undefined) {
        claimed.push(key);
      } else if (builtin.type !== def.type) {
        throw conflict(
          key,
          `label ${def.name}: ${key} is the built-in label ${builtin.name} of type ` +
            `${builtin.type}; a label pack can't redefine it as ${def.type}`,
        );
      }
    }
    // The built-in definition of this name wins; nothing of the pack label remains.
    if (!claimed.includes(def.name)) continue;

    const taken = new Set(claimed);
    packs = packs
      .filter((earlier) => !taken.has(earlier.name))
      .map((earlier) =>
        earlier.aliases.some((a) => taken.has(a))
          ? define({ ...earlier, aliases: earlier.aliases.filter((a) => !taken.has(a)) })
          : earlier,
      );
    packs.push(define({ ...def, aliases: claimed.filter((k) => k !== def.name) }));
  }

  const byKey = new Map(builtinByKey);
  for (const def of packs) {
    for (const key of [def.name, ...def.aliases]) addKey(byKey, key, def);
  }
  return catalogOf(Object.freeze([...BUILTIN_LABELS, ...packs]), byKey);
}

function catalogOf(
  all: readonly LabelDefinition[],
  byKey: ReadonlyMap<string, LabelDefinition>,
): LabelCatalog {
  return {
    get: (nameOrAlias) => byKey.get(nameOrAlias),
    list: () => all,
    canonicalName: (nameOrAlias) => byKey.get(nameOrAlias)?.name,
  };
}

/** Optimal string alignment distance (edits, with adjacent swaps), giving up above `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (
        i > 1 &&
        j > 1 &&
        a.charCodeAt(i - 1) === b.charCodeAt(j - 2) &&
        a.charCodeAt(i - 2) === b.charCodeAt(j - 1)
      ) {
        d = Math.min(d, (before[j - 2] as number) + 1);
      }
      current.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/** How far a misspelt label may be from the name it was meant to be: two edits. */
export const LABEL_TYPO_DISTANCE = 2;

/**
 * The catalog name or alias an unknown label is probably a misspelling of (`oci.cpu.featurs` →
 * `oci.cpu.features`), compared without case; undefined when none is within
 * {@link LABEL_TYPO_DISTANCE} edits or two are equally close.
 */
export function suggestLabel(catalog: LabelCatalog, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = LABEL_TYPO_DISTANCE + 1;
  let tie = false;
  for (const def of catalog.list()) {
    for (const key of [def.name, ...def.aliases]) {
      const d = editDistance(wanted, key.toLowerCase(), LABEL_TYPO_DISTANCE);
      if (d < bestDistance) {
        best = def.name;
        bestDistance = d;
        tie = false;
      } else if (d === bestDistance && best !== def.name) {
        tie = true;
      }
    }
  }
  return best === undefined || tie ? undefined : best;
}
