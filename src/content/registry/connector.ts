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
): Record<string, unknown> | BuildConnector.connector {
  const tlsOptions = {
    timeout: options.connectTimeoutMs ?? 10_000,
    rejectUnauthorized: options.insecure !== true,
    // Offers HTTP/2 in the TLS handshake; multiplexing.ts decides what a connection carries.
    ...(options.http2 === true ? { allowH2: true } : {}),
  };
  let connect: Record<string, unknown> | BuildConnector.connector = tlsOptions;
  if (options.caFile !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(options.caFile, "utf8");
    } catch (err) {
      throw new OcicompatError(
        "IO",
        `cannot read the CA file ${options.caFile}: ${(err as Error).message}`,
        { subject: options.caFile, cause: err },
      );
    }
    connect = trustingAlso(pem, tlsOptions);
  }
  return connect;
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
