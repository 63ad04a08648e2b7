// Every built-in probe, in the order their facts are reported.
import type { Probe } from "../probe.js";
import { cmdlineProbe } from "./cmdline.js";
import { cpuProbe } from "./cpu.js";
import { glibcProbe } from "./glibc.js";
import { amdGpuProbe } from "./amd-gpu.js";
import { kernelConfigProbe } from "./kernel-config.js";
import { kernelModulesProbe } from "./kernel-modules.js";
import { kernelVersionProbe } from "./kernel-version.js";
import { hugepagesProbe } from "./hugepages.js";
import { l4tProbe } from "./l4t.js";
import { memoryProbe } from "./memory.js";
import { numaProbe } from "./numa.js";
import { nvidiaProbe } from "./nvidia.js";
import { osReleaseProbe } from "./os-release.js";
import { pciProbe } from "./pci.js";
import { runtimesProbe } from "./runtimes.js";
import { selinuxProbe } from "./selinux.js";
import { systemProductProbe } from "./system-product.js";
import { usbProbe } from "./usb.js";

export const BUILTIN_PROBES: readonly Probe[] = Object.freeze([
  cpuProbe,
  kernelVersionProbe,
  kernelConfigProbe,
  kernelModulesProbe,
  selinuxProbe,
  cmdlineProbe,
  osReleaseProbe,
  glibcProbe,
  pciProbe,
  usbProbe,
  memoryProbe,
  numaProbe,
  hugepagesProbe,
  nvidiaProbe,
  l4tProbe,
  amdGpuProbe,
  systemProductProbe,
  runtimesProbe,
]);
