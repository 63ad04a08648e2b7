// Hooks: executable files in the configured hooks directory, each run without a shell and with
// a time limit, printing `key=value` lines in the features.d format. NFD dropped its own hooks;
// ocicompat keeps them for facts no file holds (a rack from a CMDB, a licence server's answer).
import { join } from "node:path";
import type { LabelCatalog } from "../../compat/catalog.js";
import { HostRoot } from "../host-root.js";
import { commandFailure, runCommand } from "../run-command.js";
import { siteFacts, type SiteOutput } from "./site-output.js";

export interface HookOptions {
  timeoutMs: number;
  /** The root being discovered, passed to hooks as OCICOMPAT_ROOT. */
  root: string;
  catalog: LabelCatalog;
  now: Date;
}

/** Executable regular files in `dir`, by name; none when the directory does not exist. */
export async function listHooks(dir: string): Promise<string[]> {
  const host = new HostRoot("/");
  const names = (await host.list(dir)) ?? [];
  const hooks: string[] = [];
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const info = await host.info(join(dir, name));
    if (info?.isFile && (info.mode & 0o111) !== 0) hooks.push(name);
  }
  return hooks;
}

export async function runHook(
  dir: string,
  name: string,
  options: HookOptions,
  note: (message: string) => void,
): Promise<SiteOutput | undefined> {
  const result = await runCommand([join(dir, name)], {
    timeoutMs: options.timeoutMs,
    env: { ...process.env, OCICOMPAT_ROOT: options.root },
  });
  const failure = commandFailure(result, options.timeoutMs);
  if (failure !== undefined) {
    // Output of a failed hook may be half written; none of it is used.
    note(`${name} ${failure}`);
    return undefined;
  }
  return siteFacts([{ origin: name, text: result.stdout }], options.catalog, options.now, note);
}
