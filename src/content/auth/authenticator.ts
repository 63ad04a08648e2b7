// Authentication for one registry host: answers "which Authorization header for a request needing
// these scopes?" and reacts to 401 challenges.
//
// * Nothing is sent until the registry asks: the first request is anonymous.
// * `Basic` challenge → credentials as Basic, then on every later request (no second 401).
// * `Bearer realm,service,scope` challenge → a token from the realm: GET with `service` and
//   `scope` parameters (and Basic credentials when there are some), or, for an identity token,
//   the OAuth2 POST form with `grant_type=refresh_token`. Tokens are cached per scope set until
//   `expires_in` (default 60 s) runs out; a later request whose scopes a cached token covers
//   reuses it, and one that needs new scopes fetches a token first instead of taking a 401.
// * Credentials are only ever sent to this registry and to the realm it named.
import { OcicompatError } from "../../oci/errors.js";
import { errorFromResponse, type ErrorContext } from "../registry/errors.js";
import { isLoopbackRegistry } from "../registry/http.js";
import { parseChallenges, type Challenge } from "./challenge.js";
import {
  describeCredential,
  memoized,
  type Credential,
  type CredentialProvider,
} from "./credentials.js";
import { mergeScopes, scopesCover } from "./scope.js";

export interface TokenHttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export interface TokenHttpResponse {
  status: number;
  statusText?: string;
  text: string;
}

/** How the authenticator reaches a token service (the registry client's HTTP stack). */
export type TokenHttp = (request: TokenHttpRequest) => Promise<TokenHttpResponse>;

export interface AuthenticatorOptions {
  /** `host[:port]` as the user named it; what credentials are looked up for. */
  registry: string;
  credentials?: CredentialProvider;
  http: TokenHttp;
  /** Sent as `client_id` in OAuth2 forms. */
  clientId?: string;
  /** For tests. */
  now?: () => number;
}

interface CachedToken {
  scopes: string[];
  token: string;
  expiresAt: number;
}

const DEFAULT_TOKEN_LIFETIME_S = 60;
const TOKEN_RESPONSE_LIMIT = 1024 * 1024;

export class Authenticator {
  readonly registry: string;
  private readonly credentialsOf: CredentialProvider;
  private readonly sources: CredentialProvider | undefined;
  private readonly http: TokenHttp;
  private readonly clientId: string;
  private readonly now: () => number;
  private mode: "none" | "basic" | "bearer" = "none";
  private bearer: { realm: string; service: string | undefined } | undefined;
  private tokens: CachedToken[] = [];
  private readonly inflight = new Map<string, Promise<CachedToken>>();

  constructor(options: AuthenticatorOptions) {
    this.registry = options.registry;
    this.credentialsOf = memoized(options.credentials ?? (() => Promise.resolve(undefined)));
    this.sources = options.credentials;
    this.http = options.http;
    this.clientId = options.clientId ?? "ocicompat";
    this.now = options.now ?? Date.now;
  }

  /** The credentials for this registry, if any (asked once). */
  credential(): Promise<Credential | undefined> {
    return this.credentialsOf(this.registry);
  }

  /** For 401 messages: whose credentials were tried. */
  async describeCredentials(): Promise<string> {
    return describeCredential(await this.credential());
  }

  /** The option that withholds credentials from this registry on purpose (`--no-creds`), if any. */
  withheldBy(): string | undefined {
    return this.sources?.withheldBy;
  }

  /** For "authentication required" messages: where credentials were looked for, in vain. */
  async searched(): Promise<string[]> {
    return (await this.sources?.searched?.(this.registry).catch(() => [])) ?? [];
  }

  /** The Authorization header for a request needing `scopes`, or undefined to go anonymous. */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    if (this.mode === "basic") return this.basicHeader();
    if (this.mode === "bearer") {
      const given = await this.registryToken();
      return `Bearer ${given ?? (await this.token(scopes, false)).token}`;
    }
    return undefined;
  }

  /** The bearer token given for this registry (`--registry-token`), which replaces any other. */
  private async registryToken(): Promise<string | undefined> {
    const credential = await this.credential();
    return credential?.kind === "registry-token" ? credential.token : undefined;
  }

  /**
   * After a 401: the Authorization header to try once more with, or undefined when there is
   * nothing new to try (the caller then reports the 401).
   */
  async respond(
    wwwAuthenticate: string | undefined,
    scopes: readonly string[],
    sent: string | undefined,
  ): Promise<string | undefined> {
    const challenges = parseChallenges(wwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === "bearer" && c.params.realm);
    if (bearer !== undefined) {
      this.mode = "bearer";
      this.bearer = { realm: bearer.params.realm as string, service: bearer.params.service };
      const wanted = mergeScopes([...scopes, ...scopesOf(bearer)]);
      // A token that was just refused is dropped, whatever its advertised lifetime.
      if (sent?.startsWith("Bearer ")) {
        const refused = sent.slice("Bearer ".length);
        this.tokens = this.tokens.filter((t) => t.token !== refused);
      }
      if (bearer.params.error === "insufficient_scope" && sent?.startsWith("Bearer ")) {
        return undefined;
      }
      // A given token is all there is: refused once, it is refused.
      const given = await this.registryToken();
      if (given !== undefined) return sent === `Bearer ${given}` ? undefined : `Bearer ${given}`;
      return `Bearer ${(await this.token(wanted, true)).token}`;
    }
    if (challenges.some((c) => c.scheme === "basic")) {
      this.mode = "basic";
      const header = await this.basicHeader();
      // The same credentials were already refused: trying again cannot help.
      if (header === undefined || header === sent) return undefined;
      return header;
    }
    return undefined;
  }

  private async basicHeader(): Promise<string | undefined> {
    const credential = await this.credential();
    if (credential === undefined) return undefined;
    if (credential.kind !== "basic") {
      throw new OcicompatError(
        "AUTH",
        `${this.registry} asks for a user name and password, but the credentials found are ${describeCredential(credential)}`,
        { subject: this.registry },
      );
    }
    return basicAuthorization(credential.username, credential.password);
  }

  private async token(scopes: readonly string[], fresh: boolean): Promise<CachedToken> {
    const wanted = mergeScopes(scopes);
    const now = this.now();
    this.tokens = this.tokens.filter((t) => t.expiresAt > now);
    if (!fresh) {
      const cached = this.tokens.find((t) => scopesCover(t.scopes, wanted));
      if (cached !== undefined) return cached;
    }
    const key = wanted.join(" ");
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      pending = this.fetchToken(wanted).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /**
   * A registry names its token service; a plain-HTTP one on another, non-loopback host would get
   * the password unencrypted. The registry's own host is what the user chose to reach (with
   * --plain-http if it is HTTP), so it may be trusted as far as the user trusts it.
   */
  private refuseCleartext(realm: URL): void {
    if (realm.protocol !== "http:") return;
    if (realm.host === this.registry || isLoopbackRegistry(realm.host)) return;
    throw new OcicompatError(
      "AUTH",
      `${this.registry} sends its clients to the token service ${realm.origin}, which is plain HTTP on another host: ocicompat will not send credentials there unencrypted`,
      { subject: this.registry },
    );
  }

  private async fetchToken(scopes: string[]): Promise<CachedToken> {
    const bearer = this.bearer;
    if (bearer === undefined) throw new OcicompatError("INTERNAL", "no bearer challenge recorded");
    const credential = await this.credential();
    const issued = this.now();
    let request: TokenHttpRequest;
    if (credential?.kind === "identity-token") {
      this.refuseCleartext(new URL(bearer.realm));
      const form = new URLSearchParams();
      form.set("grant_type", "refresh_token");
      form.set("refresh_token", credential.token);
      form.set("client_id", this.clientId);
      if (bearer.service !== undefined) form.set("service", bearer.service);
      if (scopes.length > 0) form.set("scope", scopes.join(" "));
      request = {
        method: "POST",
        url: bearer.realm,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new TextEncoder().encode(form.toString()),
      };
    } else {
      const url = new URL(bearer.realm);
      if (bearer.service !== undefined) url.searchParams.set("service", bearer.service);
      for (const scope of scopes) url.searchParams.append("scope", scope);
      const headers: Record<string, string> = {};
      if (credential?.kind === "registry-token") {
        throw new OcicompatError("INTERNAL", "a given registry token is never exchanged");
      }
      if (credential !== undefined) {
        this.refuseCleartext(url);
        headers.authorization = basicAuthorization(credential.username, credential.password);
      }
      request = { method: "GET", url: url.toString(), headers };
    }
    const response = await this.http(request);
    const context: ErrorContext = { registry: this.registry, what: "token" };
    if (response.status !== 200) {
      const failure = errorFromResponse({
        method: request.method,
        url: request.url,
        status: response.status,
        body: response.text,
        context,
        credentials: describeCredential(credential),
        ...(credential === undefined ? { searched: await this.searched() } : {}),
        ...(credential === undefined ? withheld(this.withheldBy()) : {}),
        ...(response.statusText === undefined ? {} : { statusText: response.statusText }),
      });
      if (response.status === 401 || response.status === 403) throw failure;
      throw new OcicompatError(
        "AUTH",
        `the token service of ${this.registry} failed: ${failure.message}`,
        { subject: this.registry, cause: failure },
      );
    }
    const parsed = parseTokenResponse(response.text);
    if (parsed === undefined) {
      throw new OcicompatError(
        "AUTH",
        `the token service of ${this.registry} answered without a token`,
        { subject: this.registry },
      );
    }
    const lifetimeMs = parsed.expiresIn * 1000;
    // Renew a little early, but never let the margin eat a short lifetime.
    const margin = Math.min(5_000, lifetimeMs / 10);
    const token: CachedToken = {
      scopes,
      token: parsed.token,
      expiresAt: issued + lifetimeMs - margin,
    };
    this.tokens.push(token);
    return token;
  }
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

function scopesOf(challenge: Challenge): string[] {
  const scope = challenge.params.scope;
  return scope === undefined ? [] : scope.split(" ").filter((s) => s !== "");
}

function parseTokenResponse(text: string): { token: string; expiresIn: number } | undefined {
  if (text.length > TOKEN_RESPONSE_LIMIT) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const {
    token,
    access_token: accessToken,
    expires_in: expiresIn,
  } = value as Record<string, unknown>;
  const chosen =
    typeof token === "string" && token !== ""
      ? token
      : typeof accessToken === "string" && accessToken !== ""
        ? accessToken
        : undefined;
  if (chosen === undefined) return undefined;
  const lifetime =
    typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn > 0
      ? expiresIn
      : DEFAULT_TOKEN_LIFETIME_S;
  return { token: chosen, expiresIn: lifetime };
}

function withheld(by: string | undefined): { withheldBy?: string } {
  return by === undefined ? {} : { withheldBy: by };
}
