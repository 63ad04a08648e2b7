// A registry's TLS material from a certs.d directory, as podman, skopeo and Docker read it
// (containers-certs.d(5)): the directory named after the registry's `host[:port]` in the first of
// $HOME/.config/containers/certs.d, /etc/containers/certs.d and /etc/docker/certs.d that has one,
// or the directory given (`--cert-dir`, used as it is). In it, in name order:
// * `*.crt`: CA certificates, trusted besides the system's (and --ca-file's);
// * `*.cert` with the `*.key` of the same name: a client certificate and its key, offered when the
//   registry asks for one (mutual TLS). A `.cert` without its `.key`, or a `.key` without its
//   `.cert`, is an error naming both files, as it is for containers/image.
// Directories that do not exist or cannot be read are passed over, as containers/image does; a
// directory given explicitly must exist.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { OcicompatError } from "../../oci/errors.js";

/** What a certs.d directory holds. */
export interface CertDirMaterial {
  /** The directory read. */
  dir: string;
  /** PEM text of each `.crt` file. */
  cas: string[];
  /** PEM text of each client certificate and its key, paired. */
  clientCerts: { cert: string; key: string }[];
}

/** Where the per-registry directories are looked for, in order. */
export function defaultCertsRoots(home: string = homedir()): string[] {
  return [
    join(home, ".config/containers/certs.d"),
    "/etc/containers/certs.d",
    "/etc/docker/certs.d",
  ];
}

/**
 * The certs.d material for `registry` (`host[:port]` as in a reference), or undefined when no
 * directory applies or it holds none. `certDir` replaces the lookup in `roots`.
 */
export function certDirMaterial(
  registry: string,
  options: { certDir?: string; roots?: readonly string[] } = {},
): CertDirMaterial | undefined {
  let dir: string | undefined;
  if (options.certDir !== undefined) {
    if (!isDirectory(options.certDir)) {
      throw new OcicompatError(
        "IO",
        `the certificate directory ${options.certDir} does not exist`,
        {
          subject: options.certDir,
        },
      );
    }
    dir = options.certDir;
  } else {
    dir = (options.roots ?? defaultCertsRoots())
      .map((root) => join(root, registry))
      .find(isDirectory);
  }
  if (dir === undefined) return undefined;
  const material = readCertDir(dir);
  return material.cas.length === 0 && material.clientCerts.length === 0 ? undefined : material;
}

/** Whether `path` is a directory this process can see; anything else (absent, unreadable) is no. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // absent, or not ours to read: the next place is tried
  }
}

function readCertDir(dir: string): CertDirMaterial {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return { dir, cas: [], clientCerts: [] };
  }
  const present = new Set(names);
  const material: CertDirMaterial = { dir, cas: [], clientCerts: [] };
  for (const name of names) {
    if (name.endsWith(".crt")) {
      material.cas.push(read(dir, name));
    } else if (name.endsWith(".cert")) {
      const key = `${name.slice(0, -".cert".length)}.key`;
      if (!present.has(key)) {
        throw new OcicompatError(
          "USAGE",
          `${join(dir, name)} is a client certificate without its key ${key} (CA certificates end in .crt)`,
          { subject: join(dir, name) },
        );
      }
      material.clientCerts.push({ cert: read(dir, name), key: read(dir, key) });
    } else if (name.endsWith(".key")) {
      const cert = `${name.slice(0, -".key".length)}.cert`;
      if (!present.has(cert)) {
        throw new OcicompatError(
          "USAGE",
          `${join(dir, name)} is a client key without its certificate ${cert}`,
          { subject: join(dir, name) },
        );
      }
    }
  }
  return material;
}

function read(dir: string, name: string): string {
  const path = join(dir, name);
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new OcicompatError("IO", `cannot read ${path}: ${(err as Error).message}`, {
      subject: path,
      cause: err,
    });
  }
}
