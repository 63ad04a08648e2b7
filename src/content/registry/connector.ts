// How a client's connections are made (undici's `connect` option): connect timeout, certificate
// checks, and the client's TLS material: a CA file (--ca-file) and the registry's certs.d
// directory (cert-dir.ts: more CAs, and client certificates for mutual TLS), on top of Node's
// roots. client.ts only hands the result to its Agent.
import { readFileSync } from "node:fs";
import type { SecureContext } from "node:tls";
import type { buildConnector as BuildConnector } from "undici";
import { OcicompatError } from "../../oci/errors.js";
import { certDirMaterial } from "./cert-dir.js";
import type { RegistryClientOptions } from "./client-types.js";
import { buildConnector } from "./undici-agent.js";

/** What a client's TLS connections trust and present, besides Node's roots. */
interface TlsMaterial {
  /** PEM text of CA certificates. */
  cas: string[];
  clientCerts: { cert: string; key: string }[];
  /** The files and directories it came from, for messages. */
  sources: string[];
}

/** undici's `connect` option for the Agent of a client made with `options`. */
export function connectOptions(
  options: RegistryClientOptions,
): BuildConnector.BuildOptions | BuildConnector.connector {
  const tlsOptions = tlsOptionsOf(options, options.http2 === true);
  const material = tlsMaterialOf(options);
  return material === undefined ? tlsOptions : withMaterial(material, tlsOptions);
}

/**
 * The same as a function, for connections that proxy-transport.ts makes itself: to a registry
 * through a tunnel (`http2` as the client offers it), or to a proxy (no HTTP/2).
 */
export function endpointConnector(
  options: RegistryClientOptions,
  http2: boolean,
): BuildConnector.connector {
  const tlsOptions = tlsOptionsOf(options, http2);
  const material = tlsMaterialOf(options);
  return material === undefined ? buildConnector(tlsOptions) : withMaterial(material, tlsOptions);
}

function tlsOptionsOf(options: RegistryClientOptions, http2: boolean): BuildConnector.BuildOptions {
  return {
    timeout: options.connectTimeoutMs ?? 10_000,
    rejectUnauthorized: options.insecure !== true,
    // Offers HTTP/2 in the TLS handshake; multiplexing.ts decides what a connection carries.
    ...(http2 ? { allowH2: true } : {}),
  };
}

/** --ca-file's certificates and the registry's certs.d material; undefined when neither has any. */
function tlsMaterialOf(options: RegistryClientOptions): TlsMaterial | undefined {
  const material: TlsMaterial = { cas: [], clientCerts: [], sources: [] };
  if (options.caFile !== undefined) {
    material.cas.push(readCaFile(options.caFile));
    material.sources.push(options.caFile);
  }
  if (options.certDir !== false) {
    const found = certDirMaterial(
      options.registry,
      options.certDir === undefined ? {} : { certDir: options.certDir },
    );
    if (found !== undefined) {
      material.cas.push(...found.cas);
      material.clientCerts.push(...found.clientCerts);
      material.sources.push(found.dir);
    }
  }
  return material.sources.length === 0 ? undefined : material;
}

function readCaFile(caFile: string): string {
  try {
    return readFileSync(caFile, "utf8");
  } catch (err) {
    throw new OcicompatError("IO", `cannot read the CA file ${caFile}: ${(err as Error).message}`, {
      subject: caFile,
      cause: err,
    });
  }
}

/**
 * Node's roots with the material's CAs, and its client certificates, as one TLS context for the
 * whole process. Building it parses ~140 certificates, ~25 ms: given as a `ca` option, Node built
 * it again for every connection, and one per client would still pay it once per registry host.
 */
const contexts = new Map<string, Promise<SecureContext>>();

function contextOf(material: TlsMaterial): Promise<SecureContext> {
  const key = JSON.stringify([material.cas, material.clientCerts]);
  let context = contexts.get(key);
  if (context === undefined) {
    context = import("node:tls").then(({ rootCertificates, createSecureContext }) => {
      try {
        return createSecureContext({
          // A `ca` option replaces the roots, so they are given too; without CAs of its own the
          // context keeps Node's.
          ...(material.cas.length > 0 ? { ca: [...rootCertificates, ...material.cas] } : {}),
          ...(material.clientCerts.length > 0
            ? {
                cert: material.clientCerts.map((c) => c.cert),
                key: material.clientCerts.map((c) => c.key),
              }
            : {}),
        });
      } catch (err) {
        throw new OcicompatError(
          "USAGE",
          `the TLS certificates or keys in ${material.sources.join(" and ")} cannot be used: ${(err as Error).message}`,
          { subject: material.sources[0] as string, cause: err },
        );
      }
    });
    contexts.set(key, context);
  }
  return context;
}

/**
 * undici's connector with the material's TLS context. node:tls is loaded at the first
 * connection, not when the client is made: a command that never connects, or speaks plain HTTP,
 * does not pay for it (about 2 ms).
 */
function withMaterial(
  material: TlsMaterial,
  tlsOptions: BuildConnector.BuildOptions,
): BuildConnector.connector {
  let ready: Promise<BuildConnector.connector> | undefined;
  return (options, callback) => {
    ready ??= contextOf(material).then((secureContext) =>
      buildConnector({ ...tlsOptions, secureContext }),
    );
    ready.then(
      (connect) => connect(options, callback),
      (err: Error) => callback(err, null),
    );
  };
}
