// Which registries.conf files apply, and reading them, as podman and skopeo do
// (containers-registries.conf(5), containers-registries.conf.d(5)):
// * the main file: the one given (`--registries-conf`, CONTAINERS_REGISTRIES_CONF), which must
//   exist; else $HOME/.config/containers/registries.conf if it exists; else
//   /etc/containers/registries.conf, which may be absent;
// * then the drop-ins, `*.conf` files in name order, from /etc/containers/registries.conf.d and
//   then $HOME/.config/containers/registries.conf.d. A user's own main file replaces the system's
//   directory as well, so only the user's drop-ins are read with it (containers/image's rule).
// A drop-in's entries replace the entries with the same prefix before it. A file that cannot be
// parsed is an error naming it, as it is for podman and skopeo: the site's rules may be in it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { OcicompatError } from "../../oci/errors.js";
import {
  mergeRegistriesConf,
  parseRegistriesConf,
  type RegistriesConf,
} from "./registries-conf.js";

export const SYSTEM_REGISTRIES_CONF = "/etc/containers/registries.conf";
export const SYSTEM_REGISTRIES_CONF_DIR = "/etc/containers/registries.conf.d";

/** The files and directories that make up the configuration, in the order they apply. */
export interface RegistriesConfPaths {
  file: string;
  /** The file was named by the user: it must exist. */
  named: boolean;
  dirs: string[];
}

/** A configuration as read, with where it came from (for messages). */
export interface LoadedRegistriesConf {
  conf: RegistriesConf;
  /** The files that were read, in order. */
  files: string[];
  /** The file and directories consulted, as one phrase: "F, D1, D2". */
  where: string;
}

/** Where the configuration is read from: `named` is the flag's or CONTAINERS_REGISTRIES_CONF's. */
export function registriesConfPaths(
  options: { named?: string; home?: string; exists?: (path: string) => boolean } = {},
): RegistriesConfPaths {
  const home = options.home ?? homedir();
  const exists = options.exists ?? existsSync;
  const userFile = join(home, ".config/containers/registries.conf");
  const userDir = join(home, ".config/containers/registries.conf.d");
  if (options.named !== undefined) {
    return { file: options.named, named: true, dirs: [SYSTEM_REGISTRIES_CONF_DIR, userDir] };
  }
  if (exists(userFile)) return { file: userFile, named: false, dirs: [userDir] };
  return {
    file: SYSTEM_REGISTRIES_CONF,
    named: false,
    dirs: [SYSTEM_REGISTRIES_CONF_DIR, userDir],
  };
}

/**
 * The configuration a command reads: `setting` is a path (`--registries-conf`, the main file),
 * false for none (`--no-registries-conf`), or undefined for CONTAINERS_REGISTRIES_CONF, else
 * the usual lookup.
 */
export function machineRegistriesConf(
  setting: string | false | undefined,
  env: NodeJS.ProcessEnv = process.env,
): LoadedRegistriesConf | undefined {
  if (setting === false) return undefined;
  const fromEnv = env["CONTAINERS_REGISTRIES_CONF"];
  const named = setting ?? (fromEnv === undefined || fromEnv === "" ? undefined : fromEnv);
  return loadRegistriesConf(registriesConfPaths(named === undefined ? {} : { named }));
}

/** Reads and merges the files of `paths`. */
export function loadRegistriesConf(paths: RegistriesConfPaths): LoadedRegistriesConf {
  const files: string[] = [];
  let conf: RegistriesConf = { registries: [] };
  const main = readText(paths.file, paths.named);
  if (main !== undefined) {
    conf = parseRegistriesConf(main, paths.file);
    files.push(paths.file);
  }
  for (const dir of paths.dirs) {
    for (const file of dropIns(dir)) {
      const text = readText(file, false);
      if (text === undefined) continue; // removed since the listing, as containers/image allows
      conf = mergeRegistriesConf(conf, parseRegistriesConf(text, file, { dropIn: true }));
      files.push(file);
    }
  }
  return { conf, files, where: [paths.file, ...paths.dirs].join(", ") };
}

function dropIns(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => !d.isDirectory() && d.name.endsWith(".conf"))
      .map((d) => d.name);
  } catch (err) {
    if (isCode(err, "ENOENT") || isCode(err, "ENOTDIR")) return [];
    throw unreadable(dir, err);
  }
  return names.sort().map((name) => join(dir, name));
}

function readText(file: string, mustExist: boolean): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if (isCode(err, "ENOENT") && !mustExist) return undefined;
    throw unreadable(file, err);
  }
}

function unreadable(path: string, err: unknown): OcicompatError {
  const reason = isCode(err, "ENOENT")
    ? "does not exist"
    : `cannot be read (${(err as Error).message})`;
  return new OcicompatError("IO", `the registries configuration ${path} ${reason}`, {
    subject: path,
    cause: err,
  });
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}
