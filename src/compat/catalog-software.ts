// The catalog's labels for the software a node runs: its kernel, its operating system and its
// container runtimes. Kept apart from the hardware labels; catalog.ts joins the groups in
// documentation order.

import { define, type LabelDefinition } from "./label-definition.js";

export const KERNEL_LABELS: readonly LabelDefinition[] = [
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
];

export const OS_LABELS: readonly LabelDefinition[] = [
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
];

export const RUNTIME_LABELS: readonly LabelDefinition[] = [
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
];
