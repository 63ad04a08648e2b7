// The system's CA certificates, as Go's clients (podman, skopeo, containerd) find them on Linux:
// $SSL_CERT_FILE, else the first of the distributions' bundle files that exists; and the files
// of $SSL_CERT_DIR (colon-separated), else of /etc/ssl/certs and /etc/pki/tls/certs when no
// bundle file was found (Go reads those directories always; on the distributions that have a
// bundle they hold the same certificates, one file each, and reading them costs ~140 reads).
//
// Node.js trusts its own copy of Mozilla's list instead, so a registry whose certificate comes
// from a CA installed in the system (update-ca-certificates, update-ca-trust: a site's private
// CA) works with every other container tool and not with Node. Parsing the system's list costs
// ~25 ms, so it is not done up front: the first connection whose certificate Node's list does not
// trust turns the system's CAs on for the rest of the process (`enableSystemTrust`), and the
// request is tried again (client.ts). Node's own NODE_EXTRA_CA_CERTS is added back wherever a
// context of ours replaces Node's default (connector.ts).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Go's crypto/x509 bundle files for Linux, in its order. */
export const SYSTEM_CA_FILES: readonly string[] = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Gentoo
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL 6
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/pki/tls/cacert.pem", // OpenELEC
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
  "/etc/ssl/cert.pem", // Alpine
];

/** Go's certificate directories for Linux. */
export const SYSTEM_CA_DIRS: readonly string[] = ["/etc/ssl/certs", "/etc/pki/tls/certs"];

export interface SystemCas {
  /** PEM text of each file read. */
  pems: string[];
  /** The files and directories read, for messages. */
  sources: string[];
}

/** The system's CAs (see above), or undefined when none were found. */
export function readSystemCas(
  env: NodeJS.ProcessEnv = process.env,
  places: { files?: readonly string[]; dirs?: readonly string[] } = {},
): SystemCas | undefined {
  const cas: SystemCas = { pems: [], sources: [] };
  const fileVar = env["SSL_CERT_FILE"];
  const files = fileVar ? [fileVar] : (places.files ?? SYSTEM_CA_FILES);
  for (const file of files) {
    const pem = readIfFile(file);
    if (pem !== undefined) {
      cas.pems.push(pem);
      cas.sources.push(file);
      break;
    }
  }
  const dirVar = env["SSL_CERT_DIR"];
  const dirs = dirVar
    ? dirVar.split(":").filter((d) => d !== "")
    : cas.pems.length === 0
      ? (places.dirs ?? SYSTEM_CA_DIRS)
      : [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    const before = cas.pems.length;
    for (const name of names) {
      const pem = readIfFile(join(dir, name));
      if (pem?.includes("-----BEGIN CERTIFICATE-----")) cas.pems.push(pem);
    }
    if (cas.pems.length > before) cas.sources.push(dir);
  }
  return cas.pems.length === 0 ? undefined : cas;
}

function readIfFile(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? readFileSync(path, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

let enabled = false;
let found: SystemCas | null | undefined;

/** The system's CAs, read once per process; undefined when there are none. */
export function systemCas(): SystemCas | undefined {
  if (found === undefined) found = readSystemCas() ?? null;
  return found ?? undefined;
}

/** Whether connections made from now on trust the system's CAs too. */
export function systemTrustEnabled(): boolean {
  return enabled;
}

/**
 * Turns the system's CAs on for the rest of the process, after a certificate Node's list did not
 * trust. False when the system has none (trying again would fail the same way).
 */
export function enableSystemTrust(): boolean {
  if (systemCas() === undefined) return false;
  enabled = true;
  return true;
}

/** NODE_EXTRA_CA_CERTS' certificates, which a `ca` option of ours would otherwise drop. */
export function nodeExtraCas(env: NodeJS.ProcessEnv = process.env): string[] {
  const file = env["NODE_EXTRA_CA_CERTS"];
  if (!file) return [];
  const pem = readIfFile(file);
  return pem === undefined ? [] : [pem];
}
