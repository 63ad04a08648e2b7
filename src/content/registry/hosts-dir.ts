// Which containerd host directory applies to a registry, and what it holds, as containerd looks
// it up under a hosts directory (`ctr --hosts-dir`, CRI's `config_path`, nerdctl's --hosts-dir):
// for `host:port`, first `host_port_`, then `host:port` (for a host without a port, the host),
// then `_default`; in each directory given, in turn (nerdctl takes several). The directory's
// hosts.toml (hosts-toml.ts) says where reads go; without one, its Docker-style certificate files
// (`*.crt`, `*.cert`/`*.key`) are the registry's TLS material, as containerd falls back to them.
// Stricter than containerd: a hosts directory that does not exist, or a hosts.toml that cannot be
// parsed, is an error naming it (containerd logs the latter and goes on without it).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OcicompatError } from "../../oci/errors.js";
import { isDirectory } from "./cert-dir.js";
import { parseHostsToml, type HostsToml } from "./hosts-toml.js";

/** A registry's host directory and its hosts.toml, if it has one. */
export interface HostDirConfig {
  dir: string;
  /** undefined: no hosts.toml, so the directory's certificate files apply (a certs.d directory). */
  hosts: HostsToml | undefined;
}

/** containerd's directory names for `registry` (`host[:port]`), in the order they are tried. */
export function hostDirNames(registry: string): string[] {
  const colon = registry.lastIndexOf(":");
  const names: string[] = [];
  // "[::1]" has colons but no port: only a colon after the closing bracket starts one.
  if (colon > 0 && colon > registry.lastIndexOf("]")) {
    names.push(`${registry.slice(0, colon)}_${registry.slice(colon + 1)}_`);
  }
  names.push(registry, "_default");
  return names;
}

/** The host directory for `registry` in the first of `roots` that has one; undefined: none. */
export function hostDirConfig(
  roots: readonly string[],
  registry: string,
): HostDirConfig | undefined {
  for (const root of roots) {
    if (!isDirectory(root)) {
      throw new OcicompatError("IO", `the hosts directory ${root} does not exist`, {
        subject: root,
      });
    }
    for (const name of hostDirNames(registry)) {
      const dir = join(root, name);
      if (!isDirectory(dir)) continue;
      const file = join(dir, "hosts.toml");
      const text = readHostsFile(file);
      return { dir, hosts: text === undefined ? undefined : parseHostsToml(text, file, dir) };
    }
  }
  return undefined;
}

function readHostsFile(file: string): string | undefined {
  try {
    const text = readFileSync(file, "utf8");
    // containerd treats an empty hosts.toml as none.
    return text.length === 0 ? undefined : text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new OcicompatError("IO", `cannot read ${file}: ${(err as Error).message}`, {
      subject: file,
      cause: err,
    });
  }
}
