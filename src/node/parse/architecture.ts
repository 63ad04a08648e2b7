// Which OCI architecture a root runs, from evidence readable under the root: the shape of
// /proc/cpuinfo first, else the ELF header of a program. Names are OCI's (amd64, arm64, ...).
import { ownValue } from "../../compat/own-record.js";
import { cpuinfoField, type Cpuinfo } from "./cpuinfo.js";

export interface Architecture {
  architecture: string;
  variant?: string;
}

function has(flags: string | undefined, flag: string): boolean {
  return flags !== undefined && flags.split(/\s+/).includes(flag);
}

/** The architecture /proc/cpuinfo describes; undefined when it says nothing recognisable. */
export function architectureFromCpuinfo(info: Cpuinfo): Architecture | undefined {
  const vendor = cpuinfoField(info, "vendor_id");
  if (vendor !== undefined && vendor.startsWith("IBM/S390")) return { architecture: "s390x" };
  const flags = cpuinfoField(info, "flags");
  if (flags !== undefined && vendor !== undefined) {
    // `lm` (long mode) is what makes an x86 CPU 64-bit.
    return { architecture: has(flags, "lm") ? "amd64" : "386" };
  }
  const isa = cpuinfoField(info, "isa");
  if (isa !== undefined && /^rv64/i.test(isa)) return { architecture: "riscv64" };
  const cpu = cpuinfoField(info, "cpu");
  if (cpu !== undefined && /POWER/i.test(cpu)) return powerArchitecture(cpu);
  const features = cpuinfoField(info, "Features");
  const cpuArchitecture = cpuinfoField(info, "CPU architecture");
  if (features !== undefined || cpuArchitecture !== undefined) {
    // A 64-bit Arm kernel lists `fp` and `asimd`; a 32-bit one lists `vfp` and `neon` instead.
    if (has(features, "asimd") || has(features, "fp") || cpuArchitecture === "AArch64") {
      return { architecture: "arm64" };
    }
    const model = cpuinfoField(info, "model name") ?? cpuinfoField(info, "Processor") ?? "";
    const fromModel = /\(v(\d)l\)/.exec(model)?.[1];
    const major = fromModel ?? /^(\d)/.exec(cpuArchitecture ?? "")?.[1];
    if (major !== undefined)
      return { architecture: "arm", variant: `v${Math.min(Number(major), 8)}` };
    return { architecture: "arm" };
  }
  return undefined;
}

// The variant is the POWER generation (`cpu : POWER9 (raw), altivec supported`), on the ladder of
// the image-spec's table and Go's GOPPC64 (power8 < power9 < power10). A later generation runs
// power10 builds, and is called power10 so that it stays on the ladder.
function powerArchitecture(cpu: string): Architecture {
  const generation = Number(/POWER(\d+)/i.exec(cpu)?.[1] ?? 0);
  if (generation < 8) return { architecture: "ppc64le" };
  return { architecture: "ppc64le", variant: `power${Math.min(generation, 10)}` };
}

// ELF e_machine values (the System V ABI's registry) for the architectures OCI names.
type MachineName = (bits: 32 | 64, littleEndian: boolean) => string;

const ELF_MACHINES: ReadonlyMap<number, MachineName> = new Map<number, MachineName>([
  [3, () => "386"],
  [62, () => "amd64"],
  [183, () => "arm64"],
  [40, () => "arm"],
  [21, (_b, le) => (le ? "ppc64le" : "ppc64")],
  [22, () => "s390x"],
  [243, (b) => (b === 64 ? "riscv64" : "riscv")],
  [258, () => "loong64"],
  [8, (b, le) => (b === 64 ? (le ? "mips64le" : "mips64") : le ? "mipsle" : "mips")],
]);

/** The architecture an ELF file was built for, from its first 20 bytes. */
export function architectureFromElf(head: Uint8Array): Architecture | undefined {
  if (head.length < 20) return undefined;
  if (head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46)
    return undefined;
  const bits = head[4] === 2 ? 64 : head[4] === 1 ? 32 : undefined;
  const littleEndian = head[5] === 1;
  if (bits === undefined) return undefined;
  const lo = head[18] as number;
  const hi = head[19] as number;
  const machine = littleEndian ? lo | (hi << 8) : (lo << 8) | hi;
  const name = ELF_MACHINES.get(machine)?.(bits, littleEndian);
  return name === undefined ? undefined : { architecture: name };
}

const NODE_ARCHITECTURES: Readonly<Record<string, string>> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
};

/** Node.js's `process.arch` in OCI's spelling (only meaningful for the machine ocicompat runs on). */
export function architectureFromNode(arch: string): Architecture | undefined {
  const name = ownValue(NODE_ARCHITECTURES, arch);
  return name === undefined ? undefined : { architecture: name };
}
