// oci.runtime.handlers: OCI runtimes and containerd shims installed in the usual program
// directories. Only names are looked at; nothing is run.
import { runtimeHandlerOf } from "../parse/runtimes.js";
import type { Probe } from "../probe.js";
import { setFact } from "../set-fact.js";

export const PROGRAM_DIRECTORIES: readonly string[] = [
  "/usr/local/bin",
  "/usr/bin",
  "/usr/sbin",
  "/bin",
  "/sbin",
];

export const runtimesProbe: Probe = {
  name: "runtimes",
  provides: ["oci.runtime.handlers"],
  async run({ root }) {
    let sawDirectory = false;
    const handlers: string[] = [];
    for (const dir of PROGRAM_DIRECTORIES) {
      const names = await root.list(dir);
      if (names === undefined) continue;
      sawDirectory = true;
      // Name first, so only the few candidates are stat'ed, not every program in /usr/bin.
      for (const name of names) {
        const handler = runtimeHandlerOf(name);
        if (handler === undefined) continue;
        const info = await root.info(`${dir}/${name}`);
        if (info?.isFile && (info.mode & 0o111) !== 0) handlers.push(handler);
      }
    }
    return { facts: sawDirectory ? { "oci.runtime.handlers": setFact(handlers) } : {} };
  },
};
