// From a parsed reference to a store: registry repository, OCI layout directory or OCI archive.
// One opener per command keeps one HTTP client per registry host and closes everything at the end.
// Layout, archive and registry code load on first use, so a command loads only the stack its
// references need (registry-only commands skip the tar stack, layout-only ones HTTP and TLS).
import { errorMessage, OcicompatError } from "../oci/errors.js";
import {
  firstOf,
  staticCredentials,
  storedCredentials,
  withCredentialHelpers,
  type CredentialProvider,
  type StoredCredentials,
} from "./auth/index.js";
import { defaultCacheDir, openCache, withCache, type ContentCache } from "./cache.js";
import type { BlobLocations } from "./cache/blob-locations.js";
import { loadBlobLocations, saveBlobLocations } from "./cache/blob-locations-file.js";
import {
  loadReferrersMemo,
  mergeReferrersMemo,
  saveReferrersMemo,
  type ReferrersMemo,
} from "./cache/referrers-memo.js";
import type { OpenedStore, OpenOptions, RegistryAccess, StoreOpener } from "./open-options.js";
import type {
  HostDirConfig,
  LoadedRegistriesConf,
  RegistryClient,
  RegistrySource,
} from "./registry/index.js";
import type * as RegistryBackend from "./registry/index.js";
import { tlsLeniency } from "./registry/tls-verify.js";
import type { Store } from "./store.js";

export type {
  OpenedStore,
  OpenOptions,
  OpenStoreOptions,
  RegistryAccess,
  StoreOpener,
} from "./open-options.js";

type RegistryModule = typeof RegistryBackend;

/** The scheme options: `plainHttp` as given, else the fallback when the source allows it. */
function plainHttpOf(
  plainHttp: boolean | undefined,
  fallback: boolean,
): { plainHttp?: boolean; plainHttpFallback?: boolean } {
  if (plainHttp !== undefined) return { plainHttp };
  return fallback ? { plainHttpFallback: true } : {};
}

function certDirOf(certDir: string | undefined): { certDir?: string } {
  return certDir === undefined || certDir === "" ? {} : { certDir };
}

function withSource(
  opened: OpenedStore,
  source: RegistrySource,
  written: { registry: string; repository: string },
): OpenedStore {
  if (source.registry === written.registry && source.repository === written.repository) {
    return opened;
  }
  const { registry, repository, mirror } = source;
  return { ...opened, source: { registry, repository, mirror } };
}

function credentialsFor(
  ref: { registry: string },
  access: RegistryAccess,
  stored: CredentialProvider,
): CredentialProvider {
  if (access.registryToken !== undefined) {
    // The token replaces every other credential of its registry: a Basic fallback would send a
    // password the user did not give for this run. Other hosts (a registries.conf mirror) keep
    // what the auth files hold for them, as with --creds.
    const token = staticCredentials(
      {
        kind: "registry-token",
        token: access.registryToken.token,
        source: access.registryToken.source ?? "--registry-token",
      },
      [ref.registry],
    );
    const provider: CredentialProvider = (host) =>
      host === ref.registry ? token(host) : stored(host);
    provider.searched = (host) =>
      host === ref.registry
        ? Promise.resolve([])
        : (stored.searched?.(host) ?? Promise.resolve([]));
    return provider;
  }
  if (access.username === undefined) return stored;
  const explicit = staticCredentials(
    {
      kind: "basic",
      username: access.username,
      password: access.password ?? "",
      source: "the command line",
    },
    [ref.registry],
  );
  return firstOf(explicit, stored);
}

export function createStoreOpener(options: OpenOptions = {}): StoreOpener {
  // One client per registry host, or per `host/namespace` when an auth file has a key for that
  // namespace (its credentials differ from the host's).
  const clients = new Map<string, RegistryClient>();
  let stored: StoredCredentials | undefined;
  const authFiles = (): StoredCredentials =>
    (stored ??= storedCredentials(options.authFile ? { authFile: options.authFile } : {}));
  const closers: (() => Promise<void>)[] = [];
  let cache: ContentCache | undefined;
  const contentCache = (): ContentCache | undefined => {
    if (!options.cache) return undefined;
    cache ??=
      options.cache === true
        ? openCache(options.onCacheWarning ? { onWarning: options.onCacheWarning } : {})
        : options.cache;
    return cache;
  };
  const cached = (store: Store): Store => {
    const c = contentCache();
    return c === undefined ? store : withCache(store, c);
  };
  // With a cache, what registries said about their referrers API outlives the process.
  let memo: Promise<ReferrersMemo> | undefined;
  const referrersMemo = (): Promise<ReferrersMemo> | undefined => {
    const c = contentCache();
    if (c === undefined) return undefined;
    memo ??= loadReferrersMemo(c.dir);
    return memo;
  };
  // Loaded once, at the first registry opened; only `true` ties it to the file.
  const locationsDir =
    options.blobLocations === true
      ? typeof options.cache === "object"
        ? options.cache.dir
        : defaultCacheDir()
      : undefined;
  let locations: Promise<BlobLocations> | undefined;
  const blobLocations = (): Promise<BlobLocations> | undefined => {
    const given = options.blobLocations;
    if (given === undefined || given === false) return undefined;
    locations ??=
      given === true
        ? loadBlobLocations(locationsDir ?? defaultCacheDir(), options.onBlobLocationsWarning)
        : Promise.resolve(given);
    return locations;
  };
  const withTarget = (store: Store, tag?: string, digest?: string): OpenedStore => {
    const reference = digest ?? tag;
    return reference === undefined ? { store } : { store, reference };
  };

  // The registry explicit credentials are for: the first one opened.
  let explicitFor: string | undefined;
  const checkExplicitCredentials = (registry: string): void => {
    const explicit = options.username !== undefined || options.registryToken !== undefined;
    if (!explicit || options.credentials !== undefined) return;
    explicitFor ??= registry;
    if (registry === explicitFor) return;
    throw new OcicompatError(
      "USAGE",
      `the credentials given on the command line are for ${explicitFor}, and this run also reads ${registry}: they are never sent to a second registry. Keep each registry's credentials in an auth file instead (ocicompat login ${registry}, or --authfile)`,
      { subject: registry },
    );
  };

  // registries.conf, read at the first registry opened.
  let conf: Promise<LoadedRegistriesConf | undefined> | undefined;
  const registriesConf = (registry: RegistryModule): Promise<LoadedRegistriesConf | undefined> =>
    (conf ??= Promise.resolve().then(() => registry.machineRegistriesConf(options.registriesConf)));

  // Each registry's containerd host directory, looked up once.
  const hostDirs = new Map<string, HostDirConfig | undefined>();
  const hostDirOf = (registry: RegistryModule, host: string): HostDirConfig | undefined => {
    if (options.hostsDirs === undefined || options.hostsDirs.length === 0) return undefined;
    if (!hostDirs.has(host)) hostDirs.set(host, registry.hostDirConfig(options.hostsDirs, host));
    return hostDirs.get(host);
  };

  // One client per host (or auth-file namespace) and way of reaching it; the store per repository.
  const registryStore = async (
    registry: RegistryModule,
    source: RegistrySource,
    written: { registry: string },
  ): Promise<Store> => {
    const scope =
      options.credentials === undefined
        ? await authFiles().scope(source.registry, source.repository)
        : source.registry;
    const how = source.connection;
    const key = JSON.stringify([scope, source.insecure, how ?? null]);
    let client = clients.get(key);
    if (!client) {
      // registries.conf's credential-helpers decide where the auth files come in, as for podman.
      const fromFiles = withCredentialHelpers(
        authFiles().provider(scope === source.registry ? undefined : source.repository),
        async () => (await registriesConf(registry))?.conf.credentialHelpers,
      );
      const lenient = tlsLeniency(options.tlsVerify, {
        insecure: options.insecure === true || source.insecure === true,
        plainHttpFallback: how?.plainHttpFallback,
      });
      client = new registry.RegistryClient({
        registry: source.registry,
        // Explicit credentials stay scoped to the registry as written: never sent to a mirror.
        credentials: options.credentials ?? credentialsFor(written, options, fromFiles),
        ...plainHttpOf(options.plainHttp ?? how?.plainHttp, lenient.plainHttpFallback === true),
        ...(lenient.insecure ? { insecure: true } : {}),
        ...(options.caFile ? { caFile: options.caFile } : {}),
        ...certDirOf(options.certDir ?? how?.certDir),
        ...(how?.apiRoot === undefined ? {} : { apiRoot: how.apiRoot }),
        ...(how?.query === undefined ? {} : { query: how.query }),
        ...(how?.tlsFiles === undefined ? {} : { tlsFiles: how.tlsFiles }),
        ...(how?.headers === undefined ? {} : { headers: how.headers }),
        ...(options.proxy === undefined ? {} : { proxy: options.proxy }),
        ...(options.onRequest ? { onRequest: options.onRequest } : {}),
        ...(options.headersTimeoutMs === undefined
          ? {}
          : { headersTimeoutMs: options.headersTimeoutMs }),
        ...(options.transferFloor ? { transferFloor: options.transferFloor } : {}),
        ...(options.http2 === true ? { http2: true } : {}),
      });
      clients.set(key, client);
      const known = await referrersMemo();
      for (const [memoKey, entry] of known ?? []) {
        if (memoKey.startsWith(`${source.registry}/`)) {
          client.referrersApi.set(memoKey.slice(source.registry.length + 1), entry.api);
        }
      }
    }
    const memory = await blobLocations();
    return cached(
      registry.createRegistryStore({
        repository: source.repository,
        client,
        ...(memory === undefined ? {} : { blobLocations: memory }),
      }),
    );
  };

  return {
    async open(ref, openOptions = {}) {
      const create = openOptions.create ?? options.create ?? false;
      switch (ref.scheme) {
        case "registry": {
          checkExplicitCredentials(ref.registry);
          // Loaded on first use too: layout and archive commands skip the HTTP and TLS stack.
          const registry = await import("./registry/index.js");
          const pull = openOptions.pull === true;
          const hostDir = hostDirOf(registry, ref.registry);
          const sources =
            hostDir === undefined
              ? registry.registrySources(await registriesConf(registry), ref, { pull })
              : registry.hostDirSources(hostDir, ref, { pull });
          const target = ref.digest ?? ref.tag;
          const [only] = sources;
          if (only !== undefined && (sources.length === 1 || target === undefined)) {
            if (only.blocked) throw only.blocked;
            const store = await registryStore(registry, only, ref);
            return withSource(withTarget(store, ref.tag, ref.digest), only, ref);
          }
          const found = await registry.firstAnswering(
            sources,
            target ?? "",
            (source) => registryStore(registry, source, ref),
            openOptions.signal,
          );
          for (const { source, error } of found.failed) {
            options.onSourceWarning?.(
              `${source.registry}/${source.repository} did not answer for ${target}, so ${found.source.registry}/${found.source.repository} was read instead: ${errorMessage(error)}`,
            );
          }
          return withSource(withTarget(found.store, ref.tag, ref.digest), found.source, ref);
        }
        case "oci-layout": {
          const { openLayout } = await import("./layout.js");
          const store = await openLayout(ref.path, { create });
          return withTarget(cached(store), ref.tag, ref.digest);
        }
        case "oci-archive": {
          const { openArchive } = await import("./archive.js");
          const store = await openArchive(ref.path, { create });
          closers.push(() => store.close());
          return withTarget(store, ref.tag);
        }
      }
    },
    async close() {
      const saveReferrersApi = async (): Promise<void> => {
        const cacheDir = cache?.dir;
        if (memo === undefined || cacheDir === undefined) return;
        const learnt = new Map<string, boolean>();
        for (const client of clients.values()) {
          for (const [repository, api] of client.referrersApi) {
            learnt.set(`${client.registry}/${repository}`, api);
          }
        }
        const loaded = await memo;
        const news = [...learnt].some(([key, api]) => loaded.get(key)?.api !== api);
        if (news) await saveReferrersMemo(cacheDir, mergeReferrersMemo(loaded, learnt));
      };
      const saveLocations = async (): Promise<void> => {
        if (locations === undefined || locationsDir === undefined) return;
        await saveBlobLocations(locationsDir, await locations);
      };
      // The memos are written while the stores close: neither waits for the other.
      const results = await Promise.allSettled([
        saveReferrersApi(),
        saveLocations(),
        ...closers.map((c) => c()),
        ...[...clients.values()].map((c) => c.close()),
      ]);
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
  };
}
