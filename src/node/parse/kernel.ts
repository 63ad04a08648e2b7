// Kernel sources: the build configuration, module lists and the boot command line.

/** Options set to `y` or `m`, without the `CONFIG_` prefix, in file order. */
export function enabledConfigOptions(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^CONFIG_(\w+)=([ym])\s*$/.exec(line);
    if (m !== null) out.push(m[1] as string);
  }
  return out;
}

/** Module names from /proc/modules: the first field of each line. */
export function loadedModules(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const name = line.split(/\s+/, 1)[0];
    if (name) out.push(name);
  }
  return out;
}

/**
 * Module names from modules.builtin (`kernel/drivers/net/foo-bar.ko`): the file name without
 * `.ko`, with `-` written `_` as the kernel names modules.
 */
export function builtinModules(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const path = line.trim();
    if (path === "") continue;
    const file = path.slice(path.lastIndexOf("/") + 1);
    out.push(file.replace(/\.ko(\.\w+)?$/, "").replace(/-/g, "_"));
  }
  return out;
}

/**
 * Kernel parameters from /proc/cmdline, split at white space outside double quotes and kept as
 * written. Words after a lone `--` are arguments for init, not the kernel, and are left out.
 */
export function kernelParameters(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let quoted = false;
  let inWord = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && /\s/.test(ch)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
      continue;
    }
    current += ch;
    inWord = true;
  }
  if (inWord) words.push(current);
  const end = words.indexOf("--");
  return end < 0 ? words : words.slice(0, end);
}
