// The real registry serving HTTPS with a throwaway certificate (certificate.ts), and the CA file
// a client trusts it through: the setup every TLS registry test shares.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCertificate, makeClientCertificate } from "./certificate.js";
import { startRegistry, type RegistryOptions, type TestRegistry } from "./registry.js";

export interface TlsRegistry {
  registry: TestRegistry;
  /** The certificate, which is its own CA: pass it as `caFile` / `--ca-file`. */
  caFile: string;
  keyFile: string;
  /** Stops the registry and removes the certificate. */
  stop(): Promise<void>;
}

export async function startTlsRegistry(
  options: Omit<RegistryOptions, "tls"> & {
    /** Host names the certificate is valid for, besides 127.0.0.1 and localhost. */
    dnsNames?: readonly string[];
  } = {},
): Promise<TlsRegistry> {
  const { dnsNames, ...registryOptions } = options;
  const dir = mkdtempSync(join(tmpdir(), "ocicompat-tls-registry-"));
  try {
    const { cert, key } = makeCertificate(dir, "cert", dnsNames);
    const registry = await startRegistry({ ...registryOptions, tls: { cert, key } });
    return {
      registry,
      caFile: cert,
      keyFile: key,
      stop: async () => {
        await registry.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export interface MutualTlsRegistry {
  registry: TestRegistry;
  /** The server's certificate, its own CA. */
  serverCa: string;
  /** `certsRoot/HOST:PORT`, as a user makes it: ca.crt, client.cert and client.key. */
  certDir: string;
}

/**
 * The real registry requiring client certificates from a throwaway client CA (mutual TLS), and a
 * certs.d directory for it under `certsRoot`. Keys and certificates are made in `dir`.
 */
export async function startMutualTlsRegistry(
  dir: string,
  certsRoot: string,
): Promise<MutualTlsRegistry> {
  mkdirSync(dir, { recursive: true });
  const server = makeCertificate(dir);
  const client = makeClientCertificate(dir);
  const registry = await startRegistry({ tls: { ...server, client } });
  const certDir = join(certsRoot, registry.host);
  mkdirSync(certDir, { recursive: true });
  copyFileSync(server.cert, join(certDir, "ca.crt"));
  copyFileSync(client.cert, join(certDir, "client.cert"));
  copyFileSync(client.key, join(certDir, "client.key"));
  return { registry, serverCa: server.cert, certDir };
}
