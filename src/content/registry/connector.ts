// How a client's connections are made (undici's `connect` option): connect timeout, certificate
// checks, and a CA file trusted beside Node's roots. client.ts only hands the result to its Agent.
import { readFileSync } from "node:fs";
import type { SecureContext } from "node:tls";
import type { buildConnector as BuildConnector } from "undici";
import { OcicompatError } from "../../oci/errors.js";
import type { RegistryClientOptions } from "./client-types.js";
import { buildConnector } from "./undici-agent.js";

/** undici's `connect` option for the Agent of a client made with `options`. */
export function connectOptions(
  options: RegistryClientOptions,
): BuildConnector.BuildOptions | BuildConnector.connector {
  const tlsOptions = tlsOptionsOf(options, options.http2 === true);
  return options.caFile === undefined
    ? tlsOptions
    : trustingAlso(readCaFile(options.caFile), tlsOptions);
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
  return options.caFile === undefined
    ? buildConnector(tlsOptions)
    : trustingAlso(readCaFile(options.caFile), tlsOptions);
}

function tlsOptionsOf(options: RegistryClientOptions, http2: boolean): BuildConnector.BuildOptions {
  return {
    timeout: options.connectTimeoutMs ?? 10_000,
    rejectUnauthorized: options.insecure !== true,
    // Offers HTTP/2 in the TLS handshake; multiplexing.ts decides what a connection carries.
    ...(http2 ? { allowH2: true } : {}),
  };
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
 * Node's roots and the certificates in `pem`, as one certificate store for the whole process.
 * Building it parses ~140 certificates, ~25 ms: given as a `ca` option, Node built it again for
 * every connection, and one per client would still pay it once per registry host.
 */
const stores = new Map<string, Promise<SecureContext>>();

function storeTrusting(pem: string): Promise<SecureContext> {
  let store = stores.get(pem);
  if (store === undefined) {
    store = import("node:tls").then(({ rootCertificates, createSecureContext }) =>
      createSecureContext({ ca: [...rootCertificates, pem] }),
    );
    stores.set(pem, store);
  }
  return store;
}

/**
 * undici's connector, trusting Node's roots and the certificates in `pem` (a `ca` option replaces
 * the roots). node:tls is loaded at the first connection, not when the client is made: a command
 * that never connects, or speaks plain HTTP, does not pay for it (about 2 ms).
 */
function trustingAlso(
  pem: string,
  tlsOptions: BuildConnector.BuildOptions,
): BuildConnector.connector {
  let ready: Promise<BuildConnector.connector> | undefined;
  return (options, callback) => {
    ready ??= storeTrusting(pem).then((secureContext) =>
      buildConnector({ ...tlsOptions, secureContext }),
    );
    ready.then(
      (connect) => connect(options, callback),
      (err: Error) => callback(err, null),
    );
  };
}
