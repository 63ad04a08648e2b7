// How a client's connections are made (undici's `connect` option): connect timeout, certificate
// checks, and the client's TLS material: a CA file (--ca-file) and the registry's certs.d
// directory (cert-dir.ts: more CAs, and client certificates for mutual TLS), on top of Node's
// roots, and the system's CAs once a certificate needed them (system-ca.ts). client.ts only
// hands the result to its Agent.
import { readFileSync } from "node:fs";
import type * as TlsModule from "node:tls";
import type { SecureContext } from "node:tls";
import type { buildConnector as BuildConnector } from "undici";
import { OcicompatError } from "../../oci/errors.js";
import { certDirMaterial } from "./cert-dir.js";
import type { RegistryClientOptions } from "./client-types.js";
import { nodeExtraCas, systemCas, systemTrustEnabled } from "./system-ca.js";
import { buildConnector } from "./undici-agent.js";

/** What a client's TLS connections trust and present, besides Node's roots. */
interface TlsMaterial {
  /** PEM text of CA certificates. */
  cas: string[];
  clientCerts: { cert: string; key: string }[];
  /** The files and directories it came from, for messages. */
  sources: string[];
}

/**
 * The connectors of a client made with `options`: undici's `connect`, with `http2` as the client
 * offers it, or without it for connections to a proxy (proxy-transport.ts). The CA file and the
 * certs.d directory are read once, here, for every connector the client makes. Until the
 * system's CAs are turned on, a client without material of its own connects with Node's default
 * TLS context.
 */
export function clientConnectors(
  options: RegistryClientOptions,
): (http2: boolean) => BuildConnector.connector {
  const material = tlsMaterialOf(options);
  return (http2) => {
    const tlsOptions = tlsOptionsOf(options, http2);
    const usual =
      material === undefined
        ? buildConnector(tlsOptions)
        : withMaterial(material, tlsOptions, false);
    let withSystem: BuildConnector.connector | undefined;
    return (params, callback) => {
      if (!systemTrustEnabled() || params.protocol !== "https:") {
        usual(params, callback);
        return;
      }
      withSystem ??= withMaterial(material ?? NO_MATERIAL, tlsOptions, true);
      withSystem(params, callback);
    };
  };
}

const NO_MATERIAL: TlsMaterial = { cas: [], clientCerts: [], sources: [] };

function tlsOptionsOf(options: RegistryClientOptions, http2: boolean): BuildConnector.BuildOptions {
  return {
    timeout: options.connectTimeoutMs ?? 10_000,
    rejectUnauthorized: options.insecure !== true,
    // Offers HTTP/2 in the TLS handshake; multiplexing.ts decides what a connection carries.
    ...(http2 ? { allowH2: true } : {}),
  };
}

/**
 * --ca-file's certificates, the registry's certs.d material and the files a hosts.toml names;
 * undefined when none has any.
 */
function tlsMaterialOf(options: RegistryClientOptions): TlsMaterial | undefined {
  const material: TlsMaterial = { cas: [], clientCerts: [], sources: [] };
  if (options.caFile !== undefined) {
    material.cas.push(readTlsFile(options.caFile, "CA file"));
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
  for (const file of options.tlsFiles?.cas ?? []) {
    material.cas.push(readTlsFile(file, "CA file"));
    material.sources.push(file);
  }
  for (const { cert, key } of options.tlsFiles?.clientCerts ?? []) {
    const certText = readTlsFile(cert, "client certificate");
    material.clientCerts.push({
      cert: certText,
      key: key === undefined ? certText : readTlsFile(key, "client key"),
    });
    material.sources.push(cert);
  }
  return material.sources.length === 0 ? undefined : material;
}

function readTlsFile(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new OcicompatError("IO", `cannot read the ${what} ${file}: ${(err as Error).message}`, {
      subject: file,
      cause: err,
    });
  }
}

/**
 * Node's roots with the material's CAs (and the system's, when `system`), and its client
 * certificates, as one TLS context for the whole process: given as connection options, Node built
 * a context again for every connection, and one per client would pay for it once per host.
 */
const contexts = new Map<string, Promise<SecureContext>>();

function contextOf(material: TlsMaterial, system: boolean): Promise<SecureContext> {
  const cas = [...material.cas, ...(system ? (systemCas()?.pems ?? []) : [])];
  const sources = [...material.sources, ...(system ? (systemCas()?.sources ?? []) : [])];
  const key = JSON.stringify([cas, material.clientCerts]);
  let context = contexts.get(key);
  if (context === undefined) {
    context = import("node:tls").then((tls) => {
      try {
        return trustingContext(tls, cas, material.clientCerts);
      } catch (err) {
        throw new OcicompatError(
          "USAGE",
          `the TLS certificates or keys in ${sources.join(" and ")} cannot be used: ${(err as Error).message}`,
          { subject: sources[0] as string, cause: err },
        );
      }
    });
    contexts.set(key, context);
  }
  return context;
}

/** The native context's own method, which Node's `ca` option calls for each PEM text. */
interface NativeContext {
  addCACert?: (pem: string) => void;
}

/**
 * A context trusting Node's roots, NODE_EXTRA_CA_CERTS' and `cas`. A `ca` option would replace
 * Node's roots, and listing them again (`tls.rootCertificates`) parses ~140 PEM certificates,
 * ~20 ms. Adding `cas` to a context built without `ca` copies Node's roots as parsed, ~1 ms; that
 * copy lacks NODE_EXTRA_CA_CERTS' certificates, so they are added back. The method is Node's
 * own (its `ca` option and TLS libraries call it); where a Node.js lacks it, `ca` lists them all.
 */
function trustingContext(
  tls: typeof TlsModule,
  cas: readonly string[],
  clientCerts: TlsMaterial["clientCerts"],
): SecureContext {
  const client =
    clientCerts.length > 0
      ? { cert: clientCerts.map((c) => c.cert), key: clientCerts.map((c) => c.key) }
      : {};
  if (cas.length === 0) return tls.createSecureContext(client);
  const added = [...nodeExtraCas(), ...cas];
  const context = tls.createSecureContext(client);
  const native = (context as { context?: NativeContext }).context;
  if (typeof native?.addCACert !== "function") {
    return tls.createSecureContext({ ...client, ca: [...tls.rootCertificates, ...added] });
  }
  for (const pem of added) native.addCACert(pem);
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
  system: boolean,
): BuildConnector.connector {
  let ready: Promise<BuildConnector.connector> | undefined;
  return (options, callback) => {
    ready ??= contextOf(material, system).then((secureContext) =>
      buildConnector({ ...tlsOptions, secureContext }),
    );
    ready.then(
      (connect) => connect(options, callback),
      (err: Error) => callback(err, null),
    );
  };
}
