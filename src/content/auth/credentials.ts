// Credentials for a registry host, and the small combinators the CLI and library callers use to
// say where they come from. A provider is asked once per registry client, lazily, on the first
// authentication challenge, so anonymous pulls never run a credential helper.

/** A user name and password (or personal access token), sent as Basic or to a token service. */
export interface BasicCredential {
  kind: "basic";
  username: string;
  password: string;
  /** Where it came from, for messages: a file path, `docker-credential-NAME`, `--creds`. */
  source?: string;
}

/**
 * A refresh token from `docker login` against an OAuth2 token service (`identitytoken` in
 * config.json, or a helper answering with the user name `<token>`). It is exchanged for access
 * tokens with a POST form and is never sent to the registry itself.
 */
export interface IdentityTokenCredential {
  kind: "identity-token";
  token: string;
  username?: string;
  source?: string;
}

/**
 * A bearer token for the registry itself (skopeo's `--registry-token`), already issued by its
 * token service: sent as `Authorization: Bearer` once the registry asks for a bearer token,
 * without asking the token service for another. It cannot answer a Basic challenge.
 */
export interface RegistryTokenCredential {
  kind: "registry-token";
  token: string;
  source?: string;
}

export type Credential = BasicCredential | IdentityTokenCredential | RegistryTokenCredential;

/**
 * Credentials for `registry` (`host[:port]`, as in a reference: `docker.io`, `127.0.0.1:5000`),
 * or undefined for anonymous access.
 */
export type CredentialProvider = ((registry: string) => Promise<Credential | undefined>) & {
  /**
   * For an "authentication required" message: where credentials for `registry` were looked for
   * and not found (`/run/user/1000/containers/auth.json (no entry for HOST)`). Optional.
   */
  searched?: (registry: string) => Promise<string[]>;
  /**
   * Set when this provider withholds credentials on purpose (`--no-creds`): the option that did,
   * which an "authentication required" message names instead of the places searched.
   */
  withheldBy?: string;
};

/** No credentials anywhere: every request is anonymous. */
export const anonymous: CredentialProvider = () => Promise.resolve(undefined);

/**
 * Fixed credentials, such as `--username` with `--password-stdin`. With `registries`, only those
 * hosts get them (the CLI passes the one registry its reference names), so a password typed for
 * one registry is never sent to another.
 */
export function staticCredentials(
  credential: { username: string; password: string } | Credential,
  registries?: readonly string[],
): CredentialProvider {
  const value: Credential =
    "kind" in credential
      ? credential
      : { kind: "basic", username: credential.username, password: credential.password };
  const allowed = registries === undefined ? undefined : new Set(registries);
  return (registry) =>
    Promise.resolve(allowed === undefined || allowed.has(registry) ? value : undefined);
}

/** The first provider that has credentials for a host wins. */
export function firstOf(...providers: readonly CredentialProvider[]): CredentialProvider {
  const first: CredentialProvider = async (registry) => {
    for (const provider of providers) {
      const credential = await provider(registry);
      if (credential !== undefined) return credential;
    }
    return undefined;
  };
  first.searched = async (registry) => {
    const places: string[] = [];
    for (const provider of providers) places.push(...((await provider.searched?.(registry)) ?? []));
    return places;
  };
  return first;
}

/** Asks `provider` at most once per host; concurrent callers share the answer. */
export function memoized(provider: CredentialProvider): CredentialProvider {
  const answers = new Map<string, Promise<Credential | undefined>>();
  return (registry) => {
    let answer = answers.get(registry);
    if (answer === undefined) {
      answer = provider(registry);
      answers.set(registry, answer);
      // A failure (a helper that crashed) is not cached: the next request may ask again.
      answer.catch(() => answers.delete(registry));
    }
    return answer;
  };
}

/** For messages: who the credentials are for, never what they are. */
export function describeCredential(credential: Credential | undefined): string {
  if (credential === undefined) return "no credentials";
  const from = credential.source === undefined ? "" : ` from ${credential.source}`;
  if (credential.kind === "basic") return `user "${credential.username}"${from}`;
  if (credential.kind === "registry-token") return `the bearer token${from}`;
  return credential.username
    ? `an identity token of "${credential.username}"${from}`
    : `an identity token${from}`;
}
