// `login` and `logout` as podman does them: login checks the credentials against the registry
// (`GET /v2/` with them) and only then stores them; logout removes them again. Where: through
// registries.conf's credential-helpers when set, else (and where the list says
// `containers-auth.json`) in one auth file (content/auth: --authfile, else $REGISTRY_AUTH_FILE,
// else $XDG_RUNTIME_DIR/containers/auth.json); credentials that `docker login` put in docker's
// config are read but never written.
import {
  AUTH_FILES_HELPER,
  authEntryKeys,
  authFileChain,
  eraseAllLogins,
  eraseLogin,
  primaryAuthFile,
  staticCredentials,
  storedCredentials,
  storeLogin,
  withCredentialHelpers,
  type AuthFileOptions,
  type ConfiguredHelpers,
  type LoginStoreOptions,
} from "../content/auth/index.js";
import { machineRegistriesConf, RegistryClient, tlsLeniency } from "../content/registry/index.js";
import { OcicompatError } from "../oci/errors.js";

/** Where a login is stored: the auth file's key and the host it is for. */
export interface AuthKey {
  /** `host[:port]` or `host[:port]/namespace[/repo]`, as podman accepts it. */
  key: string;
  host: string;
  /** The namespace part of the key, if any. */
  repository?: string;
}

/**
 * `REGISTRY` as a user types it for login: `host`, `host/namespace`, or with `https://` and a
 * trailing slash, which podman ignores too.
 */
export function parseAuthKey(input: string): AuthKey {
  const key = input
    .trim()
    .replace(/^(https?|docker):\/\//i, "")
    .replace(/\/+$/, "");
  const slash = key.indexOf("/");
  const host = slash < 0 ? key : key.slice(0, slash);
  if (host === "" || /[\s@]/.test(key) || !/^[A-Za-z0-9.[\]:-]+$/.test(host)) {
    throw new OcicompatError(
      "USAGE",
      `"${input}" is not a registry: give HOST[:PORT] or HOST[:PORT]/NAMESPACE`,
      { subject: input },
    );
  }
  return slash < 0 ? { key, host } : { key, host, repository: key.slice(slash + 1) };
}

export interface RegistryConnection {
  plainHttp?: boolean;
  insecure?: boolean;
  /** skopeo's `--tls-verify`: false also skips the check and allows plain HTTP; true wins. */
  tlsVerify?: boolean;
  caFile?: string;
  certDir?: string;
}

/** Which registries.conf gives credential-helpers: a path, false for none, unset for podman's. */
export interface HelperSetting {
  registriesConf?: string | false;
}

export interface LoginRequest extends AuthFileOptions, HelperSetting {
  registry: string;
  username: string;
  password: string;
  connection?: RegistryConnection;
  signal?: AbortSignal;
}

export interface LoginResult {
  key: string;
  /** Where the credentials went: the auth file's path, or `docker-credential-NAME`. */
  storedIn: string;
}

function helpersOf(request: HelperSetting): ConfiguredHelpers | undefined {
  return machineRegistriesConf(request.registriesConf)?.conf.credentialHelpers;
}

function storeOptions(request: AuthFileOptions & HelperSetting): LoginStoreOptions {
  const helpers = helpersOf(request);
  return {
    file: primaryAuthFile(request),
    ...(helpers === undefined ? {} : { helpers }),
    ...(request.env === undefined ? {} : { env: request.env }),
  };
}

/** Checks the credentials with `GET /v2/`, then stores them; a refused login writes nothing. */
export async function login(request: LoginRequest): Promise<LoginResult> {
  const { key, host } = parseAuthKey(request.registry);
  // Where the credentials will go is settled before the registry is asked (a broken
  // registries.conf fails the login without a request).
  const options = storeOptions(request);
  const connection = request.connection ?? {};
  const client = new RegistryClient({
    registry: host,
    credentials: staticCredentials(
      { kind: "basic", username: request.username, password: request.password },
      [host],
    ),
    ...(connection.plainHttp === undefined ? {} : { plainHttp: connection.plainHttp }),
    ...tlsLeniency(connection.tlsVerify, { insecure: connection.insecure }),
    ...(connection.caFile ? { caFile: connection.caFile } : {}),
    ...(connection.certDir ? { certDir: connection.certDir } : {}),
  });
  try {
    await client.ping(request.signal === undefined ? {} : { signal: request.signal });
  } finally {
    await client.close();
  }
  const credential = { username: request.username, password: request.password };
  return { key, storedIn: await storeLogin(key, credential, options) };
}

export interface LogoutRequest extends AuthFileOptions, HelperSetting {
  /** The key to remove; ignored with `all`. */
  registry?: string;
  all?: boolean;
}

export interface LogoutResult {
  /** Where credentials were removed from: auth files and `docker-credential-NAME` helpers. */
  from: string[];
  /** The keys removed; with `all`, every key the places had. */
  removed: string[];
}

/** Removes one key (or, with `all`, every login) from where login keeps them. */
export async function logout(request: LogoutRequest): Promise<LogoutResult> {
  const options = storeOptions(request);
  if (request.all) return eraseAllLogins(options);
  if (request.registry === undefined) {
    throw new OcicompatError("USAGE", "logout needs a REGISTRY, or --all");
  }
  const { key } = parseAuthKey(request.registry);
  const from = await eraseLogin(key, options);
  if (from.length > 0) return { from, removed: [key] };
  const file = options.file;
  // Say where the credentials are, when another file of the read list holds them.
  const elsewhere: string[] = [];
  for (const { path } of authFileChain(request)) {
    if (path === file) continue;
    const keys = await authEntryKeys(path).catch((): string[] => []);
    if (keys.includes(key)) elsewhere.push(path);
  }
  const hint =
    elsewhere.length === 0
      ? ""
      : `; ${elsewhere.join(" and ")} ${elsewhere.length === 1 ? "has" : "have"} credentials for it, which logout does not edit (docker logout removes docker's)`;
  const places = (options.helpers?.names ?? [AUTH_FILES_HELPER]).map((name) =>
    name === AUTH_FILES_HELPER ? file : `docker-credential-${name}`,
  );
  const none =
    places.length === 1 && places[0] === file
      ? `${file} has no entry for it`
      : `none of ${places.join(", ")} has credentials for it`;
  throw new OcicompatError("NOT_FOUND", `not logged in to ${key}: ${none}${hint}`, {
    subject: key,
  });
}

/** The user name stored for REGISTRY (what `podman login --get-login` prints). */
export async function storedLogin(
  request: AuthFileOptions & HelperSetting & { registry: string },
): Promise<string> {
  const { host, repository } = parseAuthKey(request.registry);
  const helpers = helpersOf(request);
  const provider = withCredentialHelpers(
    storedCredentials(request).provider(repository),
    () => Promise.resolve(helpers),
    request.env === undefined ? {} : { env: request.env },
  );
  const credential = await provider(host);
  if (credential === undefined || credential.kind !== "basic") {
    const searched = (await provider.searched?.(host)) ?? [];
    throw new OcicompatError(
      "NOT_FOUND",
      `not logged in to ${request.registry}${searched.length > 0 ? `: looked in ${searched.join(", ")}` : ""}`,
      { subject: request.registry },
    );
  }
  return credential.username;
}
