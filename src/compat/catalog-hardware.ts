// The catalog's labels for the hardware around the CPU: PCI and USB devices, memory, GPUs and
// the machine model. Kept apart from the CPU and software labels; catalog.ts joins the groups
// in documentation order.

import { define, type LabelDefinition } from "./label-definition.js";

export const DEVICE_LABELS: readonly LabelDefinition[] = [
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
];

export const MEMORY_LABELS: readonly LabelDefinition[] = [
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
];

export const ACCELERATOR_LABELS: readonly LabelDefinition[] = [
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
];

export const SYSTEM_LABELS: readonly LabelDefinition[] = [
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
];
