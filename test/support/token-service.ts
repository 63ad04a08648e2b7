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

export interface TokenRegistry {
  registry: TestRegistry;
  /** A token the registry accepts, granting `access`, valid for `seconds` (default 300). */
  mint(access: readonly Access[], seconds?: number): string;
  /** The scopes each GET /token asked for, in order. */
  requests: string[][];
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
  users: Record<string, string>,
): Promise<TokenRegistry> {
  const { cert, key } = makeCertificate(dir, "token-issuer");
  const signer = createPrivateKey(readFileSync(key));
  const certificate = new X509Certificate(readFileSync(cert)).raw.toString("base64");
  const requests: string[][] = [];
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
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://token");
    const scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" "));
    requests.push(scopes);
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
    const [user, password] = basic
      ? Buffer.from(basic[1]!, "base64").toString().split(":")
      : [undefined, undefined];
    if (user === undefined || users[user] !== password) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
      return;
    }
    const access = scopes.map(accessOf).filter((a): a is Access => a !== undefined);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token: mint(access), expires_in: 300 }));
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
    async stop() {
      await registry.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
