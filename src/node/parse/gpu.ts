// Accelerator sources: the NVIDIA driver, NVIDIA Jetson Linux (L4T) and AMD's KFD topology.

/**
 * The driver version in /proc/driver/nvidia/version:
 * `NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.154.05  Thu Dec 28 ...`.
 */
export function nvidiaDriverFromProc(text: string): string | undefined {
  const line = /^NVRM version:(.*)$/m.exec(text)?.[1];
  if (line === undefined) return undefined;
  return /\s(\d+\.\d+(?:\.\d+)*)(?:\s|$)/.exec(line)?.[1];
}

/** /sys/module/nvidia/version holds just the version. */
export function nvidiaDriverFromModule(text: string): string | undefined {
  const version = text.trim();
  return /^\d+(?:\.\d+)*$/.test(version) ? version : undefined;
}

/** `# R36 (release), REVISION: 3.0, GCID: ...` → `36.3.0`. */
export function l4tRelease(text: string): string | undefined {
  const m = /^#\s*R(\d+)\s*\(release\),\s*REVISION:\s*(\d+(?:\.\d+)*)/m.exec(text);
  return m === null ? undefined : `${m[1]}.${m[2]}`;
}

/**
 * The LLVM target of a KFD topology node from its `properties` file, or undefined for a CPU
 * node (gfx_target_version 0). 90402 → gfx942: major in decimal, then minor and stepping as one
 * hex digit each (90010 → gfx90a).
 */
export function gfxTarget(properties: string): string | undefined {
  const m = /^gfx_target_version\s+(\d+)\s*$/m.exec(properties);
  if (m === null) return undefined;
  const value = Number(m[1]);
  if (value === 0) return undefined;
  const major = Math.floor(value / 10000);
  const minor = Math.floor(value / 100) % 100;
  const stepping = value % 100;
  return `gfx${major}${minor.toString(16)}${stepping.toString(16)}`;
}
