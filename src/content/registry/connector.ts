// How a client's connections are made (undici's `connect` option): connect timeout, certificate
// checks, and a CA file trusted beside Node's roots. client.ts only hands the result to its Agent.
import { readFileSync } from "node:fs";
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
    ready ??= import("node:tls").then(({ rootCertificates }) =>
      buildConnector({ ...tlsOptions, ca: [...rootCertificates, pem] }),
    );
    ready.then(
      (connect) => connect(options, callback),
      (err: Error) => callback(err, null),
    );
  };
}
