// A docker token service for the real distribution registry's token auth (registry.ts `token`):
// distribution verifies the JWTs it issues (ES256, the signing certificate in the `x5c` header,
// trusted through `rootcertbundle`), so a client that passes these tests speaks to a registry
// with the real checks. The service itself is the part distribution does not ship: GET /token
// with the user's Basic credentials answers `{"token": ...}` granting every action asked for, and
// `mint` issues tokens directly (what `--registry-token` is given).
import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { makeCertificate } from "./certificate.js";
import { startRegistry, type TestRegistry } from "./registry.js";

const SERVICE = "ocicompat-test-registry";
const ISSUER = "ocicompat-test-issuer";

export interface Access {
  /** `app/x` */
  repository: string;
  actions: readonly ("pull" | "push" | "delete")[];
}

export interface TokenServiceOptions {
  /** User → password, for GET /token with Basic credentials. */
  users: Record<string, string>;
  /** Refresh token → user, for POST /token with `grant_type=refresh_token` (identity tokens). */
  refreshTokens?: Record<string, string>;
  /** The actions `user` is granted of those asked for on `repository`; default: all of them. */
  grant?: (user: string, access: Access) => Access["actions"];
  /** The lifetime of the tokens the service issues, in seconds; default 300. */
  lifetime?: number;
}

export interface TokenRegistry {
  registry: TestRegistry;
  /** A token the registry accepts, granting `access`, valid for `seconds` (default 300). */
  mint(access: readonly Access[], seconds?: number): string;
  /** The scopes each request to the token service asked for, in order. */
  requests: string[][];
  /** How each request authenticated: `basic:USER`, `refresh:USER`, or `none`. */
  callers: string[];
  stop(): Promise<void>;
}

function jwt(key: KeyObject, certificate: string, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${part({ typ: "JWT", alg: "ES256", x5c: [certificate] })}.${part(claims)}`;
  // JWS wants ECDSA signatures as r || s, not DER.
  const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
  return `${input}.${signature.toString("base64url")}`;
}

/** `repository:app/x:pull,push` → the access it asks for. */
function accessOf(scope: string): Access | undefined {
  const m = /^repository:([^:]+):(.+)$/.exec(scope);
  if (m === null) return undefined;
  const actions = m[2]!.split(",").filter((a) => a === "pull" || a === "push" || a === "delete");
  return { repository: m[1]!, actions: actions as Access["actions"] };
}

/** A registry that takes only tokens, and its token service; `users` may log in to the service. */
export async function startTokenRegistry(
  dir: string,
  options: TokenServiceOptions,
): Promise<TokenRegistry> {
  const { users, refreshTokens = {}, grant = (_user, access) => access.actions } = options;
  const lifetime = options.lifetime ?? 300;
  const { cert, key } = makeCertificate(dir, "token-issuer");
  const signer = createPrivateKey(readFileSync(key));
  const certificate = new X509Certificate(readFileSync(cert)).raw.toString("base64");
  const requests: string[][] = [];
  const callers: string[] = [];
  const mint = (access: readonly Access[], seconds = 300): string => {
    const now = Math.floor(Date.now() / 1000);
    return jwt(signer, certificate, {
      iss: ISSUER,
      sub: "test",
      aud: SERVICE,
      exp: now + seconds,
      nbf: now - 5,
      iat: now,
      jti: randomUUID(),
      access: access.map((a) => ({ type: "repository", name: a.repository, actions: a.actions })),
    });
  };
  const refuse = (res: ServerResponse): void => {
    res.writeHead(401, { "content-type": "application/json" });
    res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
  };
  const issue = (res: ServerResponse, user: string, scopes: readonly string[], key: string) => {
    const access = scopes
      .map(accessOf)
      .filter((a): a is Access => a !== undefined)
      .map((a) => ({ repository: a.repository, actions: grant(user, a) }));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ [key]: mint(access, lifetime), expires_in: lifetime }));
  };
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://token");
    if (req.method === "POST") {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        const scopes = (form.get("scope") ?? "").split(" ").filter((x) => x !== "");
        requests.push(scopes);
        const user = refreshTokens[form.get("refresh_token") ?? ""];
        callers.push(user === undefined ? "none" : `refresh:${user}`);
        if (form.get("grant_type") !== "refresh_token" || user === undefined) return refuse(res);
        // The OAuth2 form's answer names the token `access_token`.
        issue(res, user, scopes, "access_token");
      });
      return;
    }
    const scopes = url.searchParams.getAll("scope").flatMap((x) => x.split(" "));
    requests.push(scopes);
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
    const [user, password] = basic
      ? Buffer.from(basic[1]!, "base64").toString().split(":")
      : [undefined, undefined];
    callers.push(user === undefined ? "none" : `basic:${user}`);
    if (user === undefined || users[user] !== password) return refuse(res);
    issue(res, user, scopes, "token");
  };
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  let registry: TestRegistry;
  try {
    registry = await startRegistry({
      token: {
        realm: `http://127.0.0.1:${port}/token`,
        service: SERVICE,
        issuer: ISSUER,
        rootCertBundle: cert,
      },
    });
  } catch (err) {
    server.close();
    throw err;
  }
  return {
    registry,
    mint,
    requests,
    callers,
    async stop() {
      await registry.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
