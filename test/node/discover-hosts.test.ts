// Discovery against the fixture host trees: the exact profile of each, with the probes that ran
// and what went wrong.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { readNodeProfile, type NodeProfile } from "../../src/compat/node-profile.js";
import { discover } from "../../src/node/discover.js";
import { host, NOW, words } from "./hosts.js";

const ALL_PROBES = words(
  "cpu kernel-version kernel-config kernel-modules selinux cmdline os-release glibc pci usb " +
    "memory numa hugepages nvidia l4t amd-gpu system-product runtimes platform features.d",
);

const INTEL: NodeProfile = {
  schemaVersion: 1,
  name: "intel-spr-01",
  platform: { os: "linux", architecture: "amd64", variant: "v4" },
  labels: {
    "oci.cpu.vendor": "GenuineIntel",
    "oci.cpu.features": words(`
      ABM ADX AES AMXBF16 AMXINT8 AMXTILE APIC AVX AVX2 AVX512BF16 AVX512BITALG AVX512BW
      AVX512CD AVX512DQ AVX512F AVX512FP16 AVX512IFMA AVX512VBMI AVX512VBMI2 AVX512VL AVX512VNNI
      AVX512VPOPCNTDQ AVXVNNI BMI1 BMI2 CLFLUSH CLFLUSHOPT CLWB CMOV CONSTANTTSC CX16 CX8 DE
      ERMS F16C FMA FPU FXSR GFNI HT LAHFLM LM MCA MCE MMX MOVBE MOVDIR64B MOVDIRI MSR MTRR NX
      PAE PAT PCLMULQDQ PDPE1GB PGE PNI POPCNT PSE PSE36 RDRAND RDSEED RDTSCP SEP SERIALIZE
      SHANI SSE SSE2 SSE41 SSE42 SSSE3 SYSCALL TSC TSXLDTRK VAES VME VPCLMULQDQ X2APIC
      X86_64_V2 X86_64_V3 X86_64_V4 XSAVE XSAVEC XSAVEOPT`),
    "oci.cpu.count": 112,
    "oci.cpu.model": "Intel(R) Xeon(R) Platinum 8480+",
    "oci.cpu.family": 6,
    "oci.cpu.model-id": 143,
    "oci.kernel.version": "5.14.0-427.13.1.el9_4.x86_64",
    "oci.kernel.configurations": words(`
      64BIT HUGETLBFS INFINIBAND MLX5_CORE MLX5_INFINIBAND NO_HZ NO_HZ_FULL NUMA PREEMPT_DYNAMIC
      PREEMPT_VOLUNTARY X86_64`),
    "oci.kernel.modules": words(
      "fuse ib_uverbs ipmi_msghandler loop mlx5_core mlx5_ib nvidia nvidia_uvm",
    ),
    "oci.kernel.selinux": true,
    "oci.kernel.cmdline": [
      "BOOT_IMAGE=(hd0,gpt2)/vmlinuz-5.14.0-427.13.1.el9_4.x86_64",
      "default_hugepagesz=1G",
      "hugepages=16",
      "hugepagesz=1G",
      "intel_iommu=on",
      "iommu=pt",
      "isolcpus=2-15",
      "ro",
      "root=/dev/mapper/rhel-root",
    ],
    "oci.os.id": "rhel",
    "oci.os.version": "9.4",
    "oci.os.glibc": "2.34",
    "oci.pci.devices": ["10de.2330", "15b3.101d", "8086.09a2"],
    "oci.pci.classes": ["0207", "0302", "0600"],
    "oci.usb.devices": ["0557.2419", "1d6b.0002", "1d6b.0003"],
    "oci.memory.total": 527937536 * 1024,
    "oci.memory.numa-nodes": 2,
    "oci.memory.hugepages": 16 * 2 ** 30,
    "oci.gpu.nvidia.driver": "550.54.15",
    "oci.system.product": "PowerEdge R760",
    "oci.runtime.handlers": ["crun", "kata", "nvidia", "runc"],
    "org.example.site.maintenance": "false",
    "org.example.site.tier": "gold",
    "org.example.site.zone": "lab-a",
    "vendor.example/rack-power": "30kW",
  },
};

const AMD: NodeProfile = {
  schemaVersion: 1,
  name: "genoa-gpu-07",
  platform: { os: "linux", architecture: "amd64", variant: "v4" },
  labels: {
    "oci.cpu.vendor": "AuthenticAMD",
    "oci.cpu.features": words(`
      ABM ADX AES APIC AVX AVX2 AVX512BF16 AVX512BITALG AVX512BW AVX512CD AVX512DQ AVX512F
      AVX512IFMA AVX512VBMI AVX512VBMI2 AVX512VL AVX512VNNI AVX512VPOPCNTDQ BMI1 BMI2 CLFLUSH
      CLFLUSHOPT CLWB CMOV CONSTANTTSC CX16 CX8 DE ERMS F16C FMA FPU FXSR GFNI HT LAHFLM LM MCA
      MCE MMX MMXEXT MOVBE MSR MTRR NX PAE PAT PCLMULQDQ PDPE1GB PGE PNI POPCNT PSE PSE36
      RDRAND RDSEED RDTSCP SEP SHANI SSE SSE2 SSE41 SSE42 SSE4A SSSE3 SVM SYSCALL TSC VAES VME
      VPCLMULQDQ X2APIC X86_64_V2 X86_64_V3 X86_64_V4 XSAVE XSAVEC XSAVEOPT`),
    "oci.cpu.count": 192,
    "oci.cpu.model": "AMD EPYC 9654 96-Core Processor",
    "oci.cpu.family": 25,
    "oci.cpu.model-id": 17,
    "oci.kernel.version": "6.5.0-35-generic",
    "oci.kernel.configurations": words(
      "64BIT DRM_AMDGPU HSA_AMD NO_HZ_IDLE NUMA PREEMPT_DYNAMIC PREEMPT_VOLUNTARY",
    ),
    "oci.kernel.modules": words("8250 amdgpu amdxcp crc32c_generic kvm kvm_amd"),
    "oci.kernel.selinux": false,
    "oci.kernel.cmdline": words(
      "BOOT_IMAGE=/boot/vmlinuz-6.5.0-35-generic amd_iommu=on iommu=pt quiet ro root=UUID=0b0c5f3e splash",
    ),
    "oci.os.id": "ubuntu",
    "oci.os.version": "22.04",
    "oci.os.glibc": "2.35",
    "oci.pci.devices": ["1002.74a1", "1022.14a4", "14e4.1750"],
    "oci.pci.classes": ["0200", "0380", "0600"],
    "oci.memory.total": 792393728 * 1024,
    "oci.memory.numa-nodes": 2,
    "oci.memory.hugepages": 1024 * 2 ** 21,
    "oci.gpu.amd.targets": ["gfx942"],
    "oci.system.product": "ProLiant DL385 Gen11",
    "oci.runtime.handlers": ["runc", "spin", "wasmtime"],
  },
};

const GRAVITON: NodeProfile = {
  schemaVersion: 1,
  name: "ip-10-0-12-34.ec2.internal",
  platform: { os: "linux", architecture: "arm64" },
  labels: {
    "oci.cpu.vendor": "0x41",
    "oci.cpu.features": words(`
      AES ASIMD ASIMDDP ASIMDFHM ASIMDHP ASIMDRDM ATOMICS BF16 CPUID CRC32 DCPODP DCPOP DGH DIT
      EVTSTRM FCMA FLAGM FP FPHP I8MM ILRCPC JSCVT LRCPC PACA PACG PMULL RNG SHA1 SHA2 SHA3
      SHA512 SM3 SM4 SSBS SVE SVEBF16 SVEI8MM USCAT`),
    "oci.cpu.count": 64,
    "oci.kernel.version": "6.1.72-96.166.amzn2023.aarch64",
    "oci.kernel.configurations": words("ARM64 ARM64_SVE ENA_ETHERNET HZ_100 NUMA PREEMPT_NONE"),
    "oci.kernel.modules": ["ena", "nvme", "nvme_core"],
    "oci.kernel.selinux": false,
    "oci.kernel.cmdline": words(`
      BOOT_IMAGE=(hd0,gpt1)/boot/vmlinuz-6.1.72-96.166.amzn2023.aarch64 console=tty0
      console=ttyS0,115200n8 nvme_core.io_timeout=4294967295 quiet ro root=UUID=5c7f
      security=selinux selinux=1`),
    "oci.os.id": "amzn",
    "oci.os.version": "2023",
    "oci.os.glibc": "2.34",
    "oci.pci.devices": ["1d0f.0200", "1d0f.8061", "1d0f.ec20"],
    "oci.pci.classes": ["0108", "0200", "0600"],
    "oci.memory.total": 130855608 * 1024,
    "oci.memory.numa-nodes": 1,
    "oci.memory.hugepages": 0,
    "oci.system.product": "c7g.16xlarge",
    "oci.runtime.handlers": ["runc"],
  },
};

const CONTAINER: NodeProfile = {
  schemaVersion: 1,
  name: "app-7f9c4d",
  platform: { os: "linux", architecture: "amd64", variant: "v3" },
  labels: {
    "oci.cpu.vendor": "GenuineIntel",
    "oci.cpu.features": words(`
      ABM AES APIC AVX AVX2 BMI1 BMI2 CLFLUSH CMOV CONSTANTTSC CX16 CX8 DE ERMS F16C FMA FPU
      FSGSBASE FXSR HT HYPERVISOR INVPCID LAHFLM LM MCA MCE MMX MOVBE MSR MTRR NX PAE PAT PCID
      PCLMULQDQ PDPE1GB PGE PNI POPCNT PSE PSE36 RDRAND RDTSCP SEP SMEP SS SSE SSE2 SSE41
      SSE42 SSSE3 SYSCALL TSC VME X2APIC X86_64_V2 X86_64_V3 XSAVE XSAVEOPT`),
    "oci.cpu.count": 1,
    "oci.cpu.model": "Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz",
    "oci.cpu.family": 6,
    "oci.cpu.model-id": 63,
    "oci.os.id": "alpine",
    "oci.os.version": "3.19.1",
  },
};

const JETSON: NodeProfile = {
  schemaVersion: 1,
  name: "orin-agx-01",
  platform: { os: "linux", architecture: "arm64" },
  labels: {
    "oci.cpu.vendor": "0x41",
    "oci.cpu.features": words(`
      AES ASIMD ASIMDDP ASIMDHP ASIMDRDM ATOMICS CPUID CRC32 DCPOP EVTSTRM FLAGM FP FPHP ILRCPC
      LRCPC PACA PACG PMULL SHA1 SHA2 USCAT`),
    "oci.cpu.count": 12,
    "oci.kernel.version": "5.15.136-tegra",
    "oci.kernel.configurations": ["ARCH_TEGRA", "ARM64", "PREEMPT"],
    "oci.kernel.modules": ["nvgpu", "nvidia"],
    "oci.kernel.selinux": false,
    "oci.kernel.cmdline": words(`
      console=ttyTCU0,115200 firmware_class.path=/etc/firmware root=/dev/mmcblk0p1
      rootfstype=ext4 rootwait rw`),
    "oci.os.id": "ubuntu",
    "oci.os.version": "22.04",
    "oci.os.glibc": "2.35",
    "oci.memory.total": 65011712 * 1024,
    "oci.memory.numa-nodes": 1,
    "oci.gpu.nvidia.driver": "540.3.0",
    "oci.gpu.nvidia.l4t": "36.3.0",
    "oci.system.product": "NVIDIA Jetson AGX Orin Developer Kit",
    "oci.runtime.handlers": ["nvidia", "runc"],
  },
};

const catalog = createCatalog();

describe("discover on fixture hosts", () => {
  const cases: [string, NodeProfile, { probe: string; message: string }[]][] = [
    [
      "intel-spr",
      INTEL,
      [
        {
          probe: "features.d",
          message: "oci.cpu.vendor is already known from cpu; the value here is ignored",
        },
      ],
    ],
    ["amd-genoa", AMD, []],
    ["graviton", GRAVITON, []],
    ["minimal-container", CONTAINER, []],
    ["jetson-orin", JETSON, []],
  ];
  for (const [name, expected, diagnostics] of cases) {
    test(`${name}: the exact profile, every probe run, the expected diagnostics`, async () => {
      const result = await discover({ root: host(name), now: NOW });
      // The NFD feature sets are tested on their own below.
      const { nfd, ...profile } = result.profile;
      assert.deepEqual(profile, expected);
      assert.deepEqual(result.diagnostics, diagnostics);
      assert.deepEqual(result.probesRun, ALL_PROBES);
      // The fixed format: what discovery writes, check reads.
      assert.deepEqual(readNodeProfile(result.profile, name, catalog), {
        ...expected,
        ...(nfd ? { nfd } : {}),
      });
    });
  }

  test("nfdFeatures: false leaves the NFD feature sets out (select asks for them only for NFD rules); the labels are the same", async () => {
    const full = await discover({ root: host("intel-spr"), now: NOW });
    const lean = await discover({ root: host("intel-spr"), now: NOW, nfdFeatures: false });
    assert.ok(full.profile.nfd !== undefined);
    assert.equal(lean.profile.nfd, undefined);
    assert.deepEqual(lean.profile.labels, full.profile.labels);
  });

  test("intel-spr: the profile's nfd holds NFD's feature sets: cpuid flags in NFD's spelling, kernel.version, one pci.device instance per function", async () => {
    const { profile, devices } = await discover({ root: host("intel-spr"), now: NOW });
    const nfd = profile.nfd;
    assert.ok(nfd?.flags?.["cpu.cpuid"]?.elements["AVX512F"], "AVX512F in NFD's spelling");
    assert.equal(
      nfd.attributes?.["kernel.version"]?.elements["full"],
      INTEL.labels["oci.kernel.version"],
    );
    assert.equal(nfd.attributes?.["cpu.model"]?.elements["vendor_id"], "Intel");
    const pci = nfd.instances?.["pci.device"]?.elements.map((e) => e.attributes) ?? [];
    assert.equal(pci.length, devices.pci?.length);
    for (const fn of devices.pci ?? [])
      assert.ok(
        pci.some(
          (a) => a["vendor"] === fn.vendor && a["class"] === fn.class && a["device"] === fn.device,
        ),
      );
  });

  test("each fact names the probe or site file it came from", async () => {
    const result = await discover({ root: host("intel-spr"), now: NOW });
    assert.equal(result.sources["oci.os.glibc"], "glibc");
    assert.equal(result.sources["oci.cpu.count"], "cpu");
    assert.equal(result.sources["org.example.site.zone"], "features.d:site.conf");
  });

  test("PCI and USB functions keep their classes for NFD's device labels", async () => {
    const { devices } = await discover({ root: host("intel-spr"), now: NOW });
    assert.deepEqual(devices.pci?.map((f) => `${f.class}:${f.vendor}.${f.device}`).sort(), [
      "0207:15b3.101d",
      "0207:15b3.101d",
      "0302:10de.2330",
      "0600:8086.09a2",
    ]);
    // The composite device says class 00; its interface's class (HID, 03) stands for it.
    assert.deepEqual(devices.usb?.map((d) => `${d.class}:${d.vendor}.${d.device}`).sort(), [
      "03:0557.2419",
      "09:1d6b.0002",
      "09:1d6b.0003",
    ]);
  });

  test("discovery is repeatable: two runs give identical profiles", async () => {
    const a = await discover({ root: host("amd-genoa"), now: NOW });
    const b = await discover({ root: host("amd-genoa"), now: NOW });
    assert.equal(JSON.stringify(a.profile), JSON.stringify(b.profile));
  });
});
