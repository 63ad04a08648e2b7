// The options and results of the store opener (open.ts): what a command or library caller
// may say about registries, credentials, caches and the references it opens.
import type { Reference } from "../oci/reference.js";
import type { CredentialProvider } from "./auth/index.js";
import type { CacheWarning, ContentCache } from "./cache.js";
import type { BlobLocations } from "./cache/blob-locations.js";
import type { ProxyEnvironment, TransferFloor } from "./registry/index.js";
import type { Store } from "./store.js";

export interface RegistryAccess {
  /** true: HTTP to every registry; false: HTTPS to every one; unset: HTTP for loopback hosts only. */
  plainHttp?: boolean;
  insecure?: boolean;
  /**
   * skopeo's `--tls-verify`. false: certificates are not checked, and a registry that refuses
   * HTTPS or does not speak TLS before HTTPS has answered is spoken to over plain HTTP, as for
   * registries.conf's `insecure`. true: certificates are checked and HTTPS is kept, whatever
   * `insecure`, registries.conf or hosts.toml say (an explicit setting wins, as in
   * containers/image). Unset: as those say.
   */
  tlsVerify?: boolean;
  caFile?: string;
  /** A certs.d directory used as it is; default: each registry's own (RegistryClientOptions). */
  certDir?: string;
  /** Proxies: default from HTTPS_PROXY, HTTP_PROXY, NO_PROXY; false: none (RegistryClientOptions). */
  proxy?: ProxyEnvironment | false;
  /**
   * Explicit credentials (`--creds`, `--username` with `--password-stdin`), for the one registry
   * the opened references name; tried before the auth files. Opening a reference to a second
   * registry is refused (USAGE): its 401 would otherwise be answered with this password.
   */
  username?: string;
  password?: string;
  /**
   * A bearer token for the one registry the opened references name (`--registry-token`, as
   * skopeo's): sent when it asks for a bearer token, instead of asking its token service. Like
   * `username`, never sent to a second registry.
   */
  registryToken?: {
    token: string;
    /** For messages: `--registry-token`, by default. */ source?: string;
  };
  /**
   * Read credentials from this file only (`--authfile`), as podman does. Default:
   * $REGISTRY_AUTH_FILE, else the containers auth files and docker's config (content/auth).
   */
  authFile?: string;
  /** Where credentials come from, replacing all of the above (library callers). */
  credentials?: CredentialProvider;
  onRequest?: (method: string, url: string) => void;
  /** Deadline for each answer's headers; default 30 s (RegistryClientOptions.headersTimeoutMs). */
  headersTimeoutMs?: number;
  /** Minimum body transfer rate over a sliding window; default 1024 bytes/s over 30 s. */
  transferFloor?: Partial<TransferFloor>;
  /**
   * Offer HTTP/2 to TLS registries (RegistryClientOptions.http2): for openers that read only
   * manifests and small blobs, as select, check and inspect do. Default false.
   */
  http2?: boolean;
  /**
   * containers-registries.conf(5): mirrors and location rewrites for reads, blocked and insecure
   * registries. Default: the machine's files, as podman reads them (CONTAINERS_REGISTRIES_CONF,
   * else $HOME/.config/containers/registries.conf, else /etc/containers/registries.conf, with
   * their registries.conf.d drop-ins); a path: that file as the main one (`--registries-conf`);
   * false: none.
   */
  registriesConf?: string | false;
  /** A source that failed before another answered (a mirror that was down), for a warning. */
  onSourceWarning?: (message: string) => void;
  /**
   * containerd host directories (`ctr --hosts-dir`): a registry with a directory in one of them
   * is read through its hosts.toml (mirrors, TLS) instead of registries.conf. Default: none.
   */
  hostsDirs?: readonly string[];
}

export interface OpenOptions extends RegistryAccess {
  /** Serve digest-addressed manifests and configs from the on-disk cache; default off. */
  cache?: boolean | ContentCache;
  onCacheWarning?: (warning: CacheWarning) => void;
  /** Create a missing layout or archive (destinations of a copy). */
  create?: boolean;
  /**
   * Remember where blobs were seen, so that copies mount them instead of uploading
   * (content/cache/blob-locations.ts): `true` keeps the memory in `blob-locations/` in the cache
   * directory (each piece read when a digest of it is first looked up, the changed ones written
   * back at close), an object is used as it is (in memory only). Default: none.
   */
  blobLocations?: boolean | BlobLocations;
  /** A piece of the memory was ignored (unreadable or corrupt). */
  onBlobLocationsWarning?: (message: string) => void;
}

export interface OpenedStore {
  store: Store;
  /** The tag or digest the reference names inside the store, if any. */
  reference?: string;
  /** Where a registry reference is read from, when registries.conf sent it elsewhere. */
  source?: { registry: string; repository: string; mirror: boolean };
}

export interface OpenStoreOptions {
  /** Create a missing layout or archive (destinations of a copy). */
  create?: boolean;
  /**
   * The command only reads this reference: registries.conf's mirrors and location rewrites
   * apply, as they do to podman's pulls. Otherwise (writes, tag lists) it is used as written.
   */
  pull?: boolean;
  /** Cancels the search for a source that answers (pull). */
  signal?: AbortSignal | undefined;
}

export interface StoreOpener {
  open(ref: Reference, options?: OpenStoreOptions): Promise<OpenedStore>;
  /** Closes clients, and writes and cleans up archives. */
  close(): Promise<void>;
}
