// The configured upstream registries: one HTTP client per host (connections pooled across every
// repository and request), and the stores the selection reads through, with the on-disk cache for
// what is addressed by digest. Credentials are the node's (containers auth file, docker config,
// credential helpers, and registries.conf's credential-helpers); nothing of the client's request
// is ever forwarded.
import {
  nodeCredentials,
  withCredentialHelpers,
  type CredentialProvider,
} from "../../content/auth/index.js";
import { withCache, type ContentCache } from "../../content/cache.js";
import {
  createRegistryStore,
  machineRegistriesConf,
  tlsLeniency,
  RegistryClient,
  type RegistryStore,
  type TransferFloor,
} from "../../content/registry/index.js";
import type { Store } from "../../content/store.js";
import { OcicompatError } from "../../oci/errors.js";

export interface UpstreamAccess {
  /** HTTP to non-loopback upstreams too (loopback upstreams always speak HTTP). */
  plainHttp?: boolean;
  insecure?: boolean;
  /** skopeo's `--tls-verify`: false as `insecure` plus plain HTTP where TLS is refused; true wins. */
  tlsVerify?: boolean;
  caFile?: string;
  /**
   * Default: the containers auth file, then the docker config (and their helpers), in the order
   * registries.conf's `credential-helpers` gives, as for podman and CRI-O.
   */
  credentials?: CredentialProvider;
  /**
   * The registries.conf whose `credential-helpers` the default credentials follow; false: none.
   * Default: the machine's ($CONTAINERS_REGISTRIES_CONF, else the containers paths). Only that
   * setting is read: the file's mirrors and rewrites send the runtime to this mirror, and would
   * send the mirror to itself.
   */
  registriesConf?: string | false;
  headersTimeoutMs?: number;
  transferFloor?: Partial<TransferFloor>;
}

export interface UpstreamRepository {
  /** The raw registry store: manifests by digest, and the client for blob pass-through. */
  registry: RegistryStore;
  /** The same repository read through the on-disk cache (the selection's reads). */
  cached: Store;
}

export interface Upstreams {
  readonly names: readonly string[];
  repository(upstream: string, repository: string): UpstreamRepository;
  close(): Promise<void>;
}

/**
 * Stores per repository kept for reuse. Each remembers recently read manifests, up to 128 and
 * 2 MiB (registry/manifest-memo.ts), so these hold at most 64 MiB: a node pulls from few
 * repositories at a time.
 */
const REPOSITORIES_KEPT = 32;

/**
 * The node's credentials in registries.conf's order. The file is read now, so that a broken one
 * stops the mirror at start, with its name, instead of failing every pull.
 */
function nodeCredentialsFor(registriesConf: string | false | undefined): CredentialProvider {
  const helpers = machineRegistriesConf(registriesConf)?.conf.credentialHelpers;
  return withCredentialHelpers(nodeCredentials(), () => Promise.resolve(helpers));
}

export function createUpstreams(
  names: readonly string[],
  access: UpstreamAccess,
  cache: ContentCache | undefined,
): Upstreams {
  const credentials = access.credentials ?? nodeCredentialsFor(access.registriesConf);
  const clients = new Map<string, RegistryClient>();
  const repositories = new Map<string, UpstreamRepository>();
  const clientFor = (upstream: string): RegistryClient => {
    let client = clients.get(upstream);
    if (client === undefined) {
      if (!names.includes(upstream)) {
        throw new OcicompatError("USAGE", `upstream ${upstream} is not configured`);
      }
      client = new RegistryClient({
        registry: upstream,
        credentials,
        ...(access.plainHttp === undefined ? {} : { plainHttp: access.plainHttp }),
        ...tlsLeniency(access.tlsVerify, { insecure: access.insecure }),
        ...(access.caFile === undefined ? {} : { caFile: access.caFile }),
        ...(access.headersTimeoutMs === undefined
          ? {}
          : { headersTimeoutMs: access.headersTimeoutMs }),
        ...(access.transferFloor === undefined ? {} : { transferFloor: access.transferFloor }),
      });
      clients.set(upstream, client);
    }
    return client;
  };
  return {
    names,
    repository(upstream, repository) {
      const key = `${upstream}/${repository}`;
      let found = repositories.get(key);
      if (found !== undefined) {
        // Most recently used last, so the oldest is the first key.
        repositories.delete(key);
        repositories.set(key, found);
        return found;
      }
      const registry = createRegistryStore({ repository, client: clientFor(upstream) });
      found = { registry, cached: cache === undefined ? registry : withCache(registry, cache) };
      repositories.set(key, found);
      if (repositories.size > REPOSITORIES_KEPT) {
        const oldest = repositories.keys().next().value;
        if (oldest !== undefined) repositories.delete(oldest);
      }
      return found;
    },
    async close() {
      await Promise.allSettled([...clients.values()].map((c) => c.close()));
    },
  };
}
