// Where a registry reference is read from under a containerd host directory (hosts-dir.ts), as
// containerd's resolver decides it:
// * by tag, the `[host]` entries that may `resolve`, in the file's order, then the server if it
//   may; by digest, those that may `pull`, then the server. The first that answers serves the
//   whole image (containerd may fetch blobs from a pull-only mirror after resolving elsewhere;
//   the bytes are the same, checked against their digests);
// * a host other than the registry itself gets `?ns=REGISTRY` on every API request, which tells
//   a mirror (ocicompat's own included) the upstream;
// * writes and tag lists go to the registry as written, with the server's TLS settings when the
//   server is the registry itself;
// * without a hosts.toml, the directory's certificate files are the registry's TLS material.
// Pure: the parsed directory comes in.
import { OcicompatError } from "../../oci/errors.js";
import type { HostDirConfig } from "./hosts-dir.js";
import { apiHostOf } from "./http.js";
import type { HostsTomlHost } from "./hosts-toml.js";
import type { RegistrySource, SourceConnection } from "./sources.js";

/** The sources for `registry/repository` that a host directory gives, in the order to try them. */
export function hostDirSources(
  config: HostDirConfig,
  ref: { registry: string; repository: string; digest?: string },
  options: { pull: boolean },
): RegistrySource[] {
  const asWritten = { registry: ref.registry, repository: ref.repository, mirror: false };
  const hosts = config.hosts;
  if (hosts === undefined) {
    return [{ ...asWritten, insecure: false, connection: { certDir: config.dir } }];
  }
  const server = hosts.server;
  const serverIsRegistry = server.host === "" || server.host === ref.registry;
  if (!options.pull) {
    return [
      {
        ...asWritten,
        insecure: serverIsRegistry && server.skipVerify === true,
        ...(serverIsRegistry ? { connection: hostSettings(server) } : {}),
      },
    ];
  }
  const wanted = ref.digest === undefined ? "resolve" : "pull";
  const sources = [...hosts.hosts.map((h) => ({ h, mirror: true })), { h: server, mirror: false }]
    .filter(({ h }) => h.capabilities.includes(wanted))
    .map(({ h, mirror }): RegistrySource => {
      // The registry's own API host (Docker Hub's registry-1.docker.io) is the registry, under
      // its name: its credentials are stored under that name.
      const registry = h.host === "" || !isProxy(ref.registry, h.host) ? ref.registry : h.host;
      return {
        registry,
        repository: ref.repository,
        insecure: h.skipVerify === true,
        mirror,
        connection: {
          ...hostSettings(h),
          // The server entry without `server = ...` is the registry, spoken to as usual.
          ...(h.host === "" ? {} : { plainHttp: h.scheme === "http" }),
          apiRoot: h.apiRoot,
          ...(isProxy(ref.registry, registry) ? { query: { ns: ref.registry } } : {}),
        },
      };
    });
  if (sources.length === 0) {
    throw new OcicompatError(
      "USAGE",
      `${hosts.file} names no host that may ${wanted} ${ref.registry}/${ref.repository} (capabilities)`,
      { subject: hosts.file },
    );
  }
  return sources;
}

/** A host's TLS files and headers: what goes with it whichever way it is reached. */
function hostSettings(host: HostsTomlHost): SourceConnection {
  const headers = Object.keys(host.headers).length === 0 ? {} : { headers: host.headers };
  return host.caFiles.length === 0 && host.clientCerts.length === 0
    ? headers
    : { ...headers, tlsFiles: { cas: [...host.caFiles], clientCerts: [...host.clientCerts] } };
}

/** containerd's isProxy: any host but the registry's own API host (http.ts's apiHostOf). */
function isProxy(registry: string, host: string): boolean {
  return apiHostOf(host) !== apiHostOf(registry);
}
