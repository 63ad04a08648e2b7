// The node's platform as OCI spells it, from evidence under the root: /proc/cpuinfo, else the
// ELF header of a program on the root, else (for this machine only) Node.js's own architecture.
// The amd64 variant is the x86-64 level the CPU flags meet, the ppc64le one the POWER generation;
// arm64 stays at its v8 baseline, because /proc/cpuinfo has no reliable ARMv8.x/v9 marker, and
// riscv64 at rva20u64, because the ISA string omits extensions the RVA22/23 profiles require.
import { normalizePlatform } from "../oci/platform.js";
import type { NodeProfile } from "../compat/node-profile.js";
import {
  architectureFromCpuinfo,
  architectureFromElf,
  architectureFromNode,
  type Architecture,
} from "./parse/architecture.js";
import { describeCpu } from "./parse/cpuinfo.js";
import { x86Level } from "./parse/x86-level.js";
import type { HostRoot } from "./host-root.js";
import { readCpuinfo } from "./probes/cpu.js";

export type NodePlatform = NodeProfile["platform"];

/** Programs every Linux root has, whose ELF header names the architecture. */
const ELF_WITNESSES = ["/bin/sh", "/usr/bin/env", "/bin/busybox"];

async function architectureFromPrograms(root: HostRoot): Promise<Architecture | undefined> {
  for (const path of ELF_WITNESSES) {
    const head = await root.readHead(path, 20);
    const arch = head === undefined ? undefined : architectureFromElf(head);
    if (arch !== undefined) return arch;
  }
  return undefined;
}

export interface DetectedPlatform {
  platform: NodePlatform;
  /** Set when the architecture could not be told; the platform then says `unknown`. */
  problem?: string;
}

export async function detectPlatform(root: HostRoot): Promise<DetectedPlatform> {
  const cpuinfo = await readCpuinfo(root);
  let arch = cpuinfo === undefined ? undefined : architectureFromCpuinfo(cpuinfo);
  arch ??= await architectureFromPrograms(root);
  if (arch === undefined && root.isHostRoot) arch = architectureFromNode(process.arch);
  if (arch === undefined) {
    return {
      platform: { os: "linux", architecture: "unknown" },
      problem: "no /proc/cpuinfo or program under the root names the architecture",
    };
  }
  let variant = arch.variant;
  if (arch.architecture === "amd64" && cpuinfo !== undefined) {
    const flags = describeCpu(cpuinfo).flags;
    if (flags !== undefined) variant = `v${x86Level(new Set(flags))}`;
  }
  const normal = normalizePlatform({
    os: "linux",
    architecture: arch.architecture,
    ...(variant === undefined ? {} : { variant }),
  });
  return {
    platform: {
      os: normal.os,
      architecture: normal.architecture,
      ...(normal.variant === undefined ? {} : { variant: normal.variant }),
    },
  };
}

/** The node's name: the root's hostname, else the kernel's, else `localhost`. */
export async function detectHostname(root: HostRoot): Promise<string> {
  for (const path of ["/etc/hostname", "/proc/sys/kernel/hostname"]) {
    const text = await root.readText(path);
    const name = text
      ?.split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "" && !l.startsWith("#"));
    if (name) return name;
  }
  return "localhost";
}
