// The pure parsers: text (or bytes) in, facts out.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  architectureFromCpuinfo,
  architectureFromElf,
  architectureFromNode,
} from "../../src/node/parse/architecture.js";
import { countIdList } from "../../src/node/parse/cpu-list.js";
import { describeCpu, normalizeCpuFlag, parseCpuinfo } from "../../src/node/parse/cpuinfo.js";
import { pciClass, pciId, usbClass, usbId } from "../../src/node/parse/devices.js";
import { glibcVersionFromBytes, glibcVersionFromFileName } from "../../src/node/parse/glibc.js";
import {
  gfxTarget,
  l4tRelease,
  nvidiaDriverFromModule,
  nvidiaDriverFromProc,
} from "../../src/node/parse/gpu.js";
import {
  builtinModules,
  enabledConfigOptions,
  kernelParameters,
  loadedModules,
} from "../../src/node/parse/kernel.js";
import { hugePageSizeBytes, memTotalBytes } from "../../src/node/parse/memory.js";
import { parseOsRelease } from "../../src/node/parse/os-release.js";
import { runtimeHandlerOf } from "../../src/node/parse/runtimes.js";
import { levelFlags, x86Level } from "../../src/node/parse/x86-level.js";
import { parseFeatureFile } from "../../src/node/site/feature-file.js";
import { factFromText } from "../../src/node/site/typed-fact.js";
import { words } from "./hosts.js";

describe("cpuinfo", () => {
  test("flags are upper case without underscores, as NFD spells them", () => {
    assert.equal(normalizeCpuFlag("avx512_fp16"), "AVX512FP16");
    assert.equal(normalizeCpuFlag("sse4_2"), "SSE42");
    assert.equal(normalizeCpuFlag("sve2"), "SVE2");
  });

  test("x86: vendor, model, family, model id and the flags of every processor", () => {
    const info = parseCpuinfo(
      "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n" +
        "model name\t: AMD EPYC 9654 96-Core Processor\nflags\t\t: fpu sse4_2 avx512f\n\n" +
        "processor\t: 1\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n" +
        "model name\t: AMD EPYC 9654 96-Core Processor\nflags\t\t: fpu sse4_2 avx512f\n",
    );
    assert.deepEqual(describeCpu(info), {
      vendor: "AuthenticAMD",
      flags: ["AVX512F", "FPU", "SSE42"],
      model: "AMD EPYC 9654 96-Core Processor",
      family: 25,
      modelId: 17,
      processorCount: 2,
    });
  });

  test("cores with different flags (big.LITTLE): only the common flags count", () => {
    const info = parseCpuinfo(
      "processor\t: 0\nFeatures\t: fp asimd sve\nCPU implementer\t: 0x41\n\n" +
        "processor\t: 1\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n",
    );
    assert.deepEqual(describeCpu(info), {
      vendor: "0x41",
      flags: ["ASIMD", "FP"],
      processorCount: 2,
    });
  });

  test("old Arm kernels: a header block outside the processors still counts", () => {
    const info = parseCpuinfo(
      "Processor\t: AArch64 Processor rev 4 (aarch64)\nprocessor\t: 0\nprocessor\t: 1\n" +
        "Features\t: fp asimd evtstrm\nCPU implementer\t: 0x51\n\nHardware\t: Qualcomm\n",
    );
    assert.equal(describeCpu(info).vendor, "0x51");
    assert.deepEqual(describeCpu(info).flags, ["ASIMD", "EVTSTRM", "FP"]);
  });
});

describe("x86-64 levels", () => {
  const v2 = words("CX16 LAHFLM POPCNT PNI SSE41 SSE42 SSSE3");
  const v3 = [...v2, ...words("AVX AVX2 BMI1 BMI2 F16C FMA ABM MOVBE XSAVE")];
  const v4 = [...v3, ...words("AVX512F AVX512BW AVX512CD AVX512DQ AVX512VL")];

  test("each level needs all of its flags and the levels below", () => {
    assert.equal(x86Level(new Set(["SSE2"])), 1);
    assert.equal(x86Level(new Set(v2)), 2);
    assert.equal(x86Level(new Set(v3)), 3);
    assert.equal(x86Level(new Set(v4)), 4);
    assert.equal(x86Level(new Set(v3.filter((f) => f !== "MOVBE"))), 2);
    // AVX-512 without the v3 base (impossible in silicon, possible in a hypervisor) is v2.
    assert.equal(
      x86Level(new Set([...v2, ...words("AVX512F AVX512BW AVX512CD AVX512DQ AVX512VL")])),
      2,
    );
  });

  test("NFD's CPUID spellings count as well (LZCNT for abm, SSE3 for pni, FMA3, OSXSAVE)", () => {
    const nfd = words(
      "CX16 LAHF POPCNT SSE3 SSE4 SSE42 SSSE3 AVX AVX2 BMI1 BMI2 F16C FMA3 LZCNT MOVBE OSXSAVE",
    );
    assert.equal(x86Level(new Set(nfd)), 3);
  });

  test("level flags: X86_64_V2 up to the level", () => {
    assert.deepEqual(levelFlags(1), []);
    assert.deepEqual(levelFlags(4), ["X86_64_V2", "X86_64_V3", "X86_64_V4"]);
  });
});

describe("architecture evidence", () => {
  const cpu = (text: string): ReturnType<typeof architectureFromCpuinfo> =>
    architectureFromCpuinfo(parseCpuinfo(text));

  test("cpuinfo shapes", () => {
    assert.deepEqual(cpu("processor : 0\nvendor_id : GenuineIntel\nflags : fpu lm sse2\n"), {
      architecture: "amd64",
    });
    assert.deepEqual(cpu("processor : 0\nvendor_id : GenuineIntel\nflags : fpu sse2\n"), {
      architecture: "386",
    });
    assert.deepEqual(cpu("processor : 0\nFeatures : fp asimd\nCPU architecture: 8\n"), {
      architecture: "arm64",
    });
    assert.deepEqual(
      cpu(
        "processor : 0\nmodel name : ARMv7 Processor rev 4 (v7l)\nFeatures : half thumb vfp neon\nCPU architecture: 7\n",
      ),
      { architecture: "arm", variant: "v7" },
    );
    assert.deepEqual(
      cpu(
        "processor : 0\nmodel name : ARMv6-compatible processor rev 7 (v6l)\nFeatures : half thumb vfp\nCPU architecture: 7\n",
      ),
      { architecture: "arm", variant: "v6" },
    );
    // The POWER generation is the ppc64le variant (image-spec's table, Go's GOPPC64).
    assert.deepEqual(cpu("processor : 0\ncpu : POWER9 (architected)\nplatform : pSeries\n"), {
      architecture: "ppc64le",
      variant: "power9",
    });
    assert.deepEqual(cpu("processor : 0\ncpu : POWER10 (raw), altivec supported\n"), {
      architecture: "ppc64le",
      variant: "power10",
    });
    // A later generation runs power10 builds: it stays on the ladder.
    assert.deepEqual(cpu("processor : 0\ncpu : POWER11 (architected)\n"), {
      architecture: "ppc64le",
      variant: "power10",
    });
    assert.deepEqual(cpu("vendor_id : IBM/S390\nprocessor 0: version = FF\n"), {
      architecture: "s390x",
    });
    assert.deepEqual(cpu("processor : 0\nhart : 0\nisa : rv64imafdc\n"), {
      architecture: "riscv64",
    });
    assert.equal(cpu(""), undefined);
  });

  test("ELF headers", () => {
    const elf = (cls: number, data: number, machine: number): Uint8Array => {
      const b = Buffer.alloc(20);
      b.set([0x7f, 0x45, 0x4c, 0x46, cls, data]);
      if (data === 1) b.writeUInt16LE(machine, 18);
      else b.writeUInt16BE(machine, 18);
      return b;
    };
    assert.deepEqual(architectureFromElf(elf(2, 1, 62)), { architecture: "amd64" });
    assert.deepEqual(architectureFromElf(elf(2, 1, 183)), { architecture: "arm64" });
    assert.deepEqual(architectureFromElf(elf(1, 1, 40)), { architecture: "arm" });
    assert.deepEqual(architectureFromElf(elf(2, 1, 21)), { architecture: "ppc64le" });
    assert.deepEqual(architectureFromElf(elf(2, 2, 22)), { architecture: "s390x" });
    assert.equal(architectureFromElf(Buffer.from("#!/bin/sh\necho hello\n")), undefined);
    assert.equal(architectureFromElf(Buffer.alloc(4)), undefined);
  });

  test("Node.js architecture names", () => {
    assert.deepEqual(architectureFromNode("x64"), { architecture: "amd64" });
    assert.equal(architectureFromNode("mips-ish"), undefined);
  });
});

describe("kernel sources", () => {
  test("config: options set to y or m, without CONFIG_; other values and comments are not", () => {
    const text =
      "# CONFIG_PREEMPT_RT is not set\nCONFIG_PREEMPT=y\nCONFIG_INFINIBAND=m\nCONFIG_HZ=1000\n" +
      'CONFIG_LOCALVERSION=""\nCONFIG_NUMA=n\n';
    assert.deepEqual(enabledConfigOptions(text), ["PREEMPT", "INFINIBAND"]);
  });

  test("/proc/modules and modules.builtin; '-' becomes '_'", () => {
    assert.deepEqual(loadedModules("nvidia_uvm 1789952 0 - Live 0x0\nmlx5_ib 4 0 - Live 0x0\n"), [
      "nvidia_uvm",
      "mlx5_ib",
    ]);
    assert.deepEqual(
      builtinModules("kernel/drivers/char/ipmi/ipmi-msghandler.ko\nkernel/fs/fuse/fuse.ko.zst\n\n"),
      ["ipmi_msghandler", "fuse"],
    );
  });

  test("command line: split outside quotes, init arguments after -- left out", () => {
    assert.deepEqual(
      kernelParameters('ro quiet dyndbg="file x.c +p" isolcpus=2-15 -- --init-flag\n'),
      ["ro", "quiet", 'dyndbg="file x.c +p"', "isolcpus=2-15"],
    );
  });
});

describe("os-release", () => {
  test("quoted and unquoted values, comments, escapes", () => {
    const fields = parseOsRelease(
      '# comment\nID=ubuntu\nVERSION_ID="22.04"\nNAME=\'Ubuntu\'\nPRETTY_NAME="a \\"b\\""\n',
    );
    assert.equal(fields.get("ID"), "ubuntu");
    assert.equal(fields.get("VERSION_ID"), "22.04");
    assert.equal(fields.get("NAME"), "Ubuntu");
    assert.equal(fields.get("PRETTY_NAME"), 'a "b"');
  });
});

describe("glibc", () => {
  test("from a libc-X.Y.so file name", () => {
    assert.equal(glibcVersionFromFileName("libc-2.31.so"), "2.31");
    assert.equal(glibcVersionFromFileName("libc.so.6"), undefined);
  });

  test("from the banner inside the library", () => {
    const lib = (banner: string): Buffer =>
      Buffer.concat([Buffer.alloc(64, 7), Buffer.from(banner), Buffer.alloc(8)]);
    assert.equal(
      glibcVersionFromBytes(
        lib("GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.\n"),
      ),
      "2.36",
    );
    assert.equal(
      glibcVersionFromBytes(lib("GNU C Library (GNU libc) development release version 2.39.9000.")),
      "2.39.9000",
    );
    assert.equal(
      glibcVersionFromBytes(lib("GNU C Library (Ubuntu GLIBC 2.35-0ubuntu3.8) stable")),
      "2.35",
    );
    assert.equal(glibcVersionFromBytes(lib("musl libc (x86_64) Version 1.2.4")), undefined);
  });
});

describe("devices, memory, GPUs, runtimes", () => {
  test("PCI and USB IDs", () => {
    assert.equal(pciId("0x15B3\n"), "15b3");
    assert.equal(pciClass("0x020700\n"), "0207");
    assert.equal(pciClass("0x0207"), undefined);
    assert.equal(usbId("1D6B\n"), "1d6b");
    assert.equal(usbClass("09\n"), "09");
  });

  test("meminfo and huge page pools", () => {
    assert.equal(memTotalBytes("MemTotal:       16384 kB\nMemFree: 1 kB\n"), 16384 * 1024);
    assert.equal(memTotalBytes("MemFree: 1 kB\n"), undefined);
    assert.equal(hugePageSizeBytes("hugepages-2048kB"), 2 * 2 ** 20);
    assert.equal(hugePageSizeBytes("hugepages"), undefined);
  });

  test("CPU and NUMA lists", () => {
    assert.equal(countIdList("0-63\n"), 64);
    assert.equal(countIdList("0,2-5,8"), 6);
    assert.equal(countIdList("0"), 1);
    assert.equal(countIdList("3-1"), undefined);
    assert.equal(countIdList("zero"), undefined);
  });

  test("NVIDIA driver, L4T release, AMD gfx targets", () => {
    assert.equal(nvidiaDriverFromModule("535.154.05\n"), "535.154.05");
    assert.equal(
      nvidiaDriverFromProc(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.154.05  Thu Dec 28 15:37:48 UTC 2023\nGCC version: gcc 12\n",
      ),
      "535.154.05",
    );
    assert.equal(l4tRelease("# R35 (release), REVISION: 4.1, GCID: 33958178\n"), "35.4.1");
    assert.equal(gfxTarget("simd_count 1216\ngfx_target_version 90402\n"), "gfx942");
    assert.equal(gfxTarget("gfx_target_version 90010\n"), "gfx90a");
    assert.equal(gfxTarget("gfx_target_version 110000\n"), "gfx1100");
    assert.equal(gfxTarget("gfx_target_version 0\n"), undefined);
  });

  test("runtime handlers from program names", () => {
    assert.equal(runtimeHandlerOf("runc"), "runc");
    assert.equal(runtimeHandlerOf("kata-runtime"), "kata");
    assert.equal(runtimeHandlerOf("nvidia-container-runtime"), "nvidia");
    assert.equal(runtimeHandlerOf("containerd-shim-runc-v2"), "runc");
    assert.equal(runtimeHandlerOf("containerd-shim-wasmtime-v1"), "wasmtime");
    assert.equal(runtimeHandlerOf("containerd-shim-kata-qemu-v2"), "kata-qemu");
    assert.equal(runtimeHandlerOf("containerd-shim"), undefined);
    assert.equal(runtimeHandlerOf("runc.bak"), undefined);
  });
});

describe("features.d lines", () => {
  const now = new Date("2025-06-01T00:00:00Z");

  test("key=value, bare keys mean true, comments and blank lines are skipped", () => {
    const parsed = parseFeatureFile("# c\n\nvendor.io/x=1\nflag.only\n  spaced = value  \n", now);
    assert.deepEqual(parsed.lines, [
      { key: "vendor.io/x", value: "1", line: 3 },
      { key: "flag.only", value: "true", line: 4 },
      { key: "spaced", value: "value", line: 5 },
    ]);
    assert.deepEqual(parsed.problems, []);
  });

  test("expiry-time applies until the next directive; a bad one is reported", () => {
    const parsed = parseFeatureFile(
      [
        "# +expiry-time=2012-07-28T11:22:33Z",
        "a=1",
        "# +expiry-time=2080-07-28T11:22:33Z",
        "b=2",
        "# +expiry-time=2002-07-28T11:22:33Z",
        "c=3",
        "# +expiry-time=tomorrow",
        "d=4",
        "# +no-label",
        "e=5",
        "=6",
      ].join("\n"),
      now,
    );
    assert.deepEqual(
      parsed.lines.map((l) => l.key),
      ["b", "d", "e"],
    );
    assert.deepEqual(parsed.problems, [
      { line: 7, message: 'expiry-time "tomorrow" is not an RFC 3339 time' },
      { line: 11, message: "has a value but no name" },
    ]);
  });

  test("values are read as the label's type", () => {
    assert.deepEqual(factFromText("set", "a, b,\nc,"), { fact: ["a", "b", "c"] });
    assert.deepEqual(factFromText("bool", "TRUE"), { fact: true });
    assert.deepEqual(factFromText("bool", "yes"), { problem: '"yes" is not true or false' });
    assert.deepEqual(factFromText("quantity", "64Gi"), { fact: 64 * 2 ** 30 });
    assert.deepEqual(factFromText("quantity", "lots"), { problem: '"lots" is not a quantity' });
    assert.deepEqual(factFromText("version", " 2.35 "), { fact: "2.35" });
    assert.deepEqual(factFromText("string", ""), { problem: "is empty" });
  });
});
