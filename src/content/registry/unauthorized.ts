// What the client says about a 401: whose credentials the registry refused, and the AUTH error for
// a 401 from a host the credentials are not meant for. client.ts decides when; this words it.
import type { Dispatcher } from "undici";
import type { Authenticator } from "../auth/authenticator.js";
import { parseChallenges } from "../auth/challenge.js";
import { describeCredential } from "../auth/credentials.js";
import type { RegistryRequest } from "./client-types.js";
import { RegistryError } from "./errors.js";
import { headerOf } from "./http.js";

/** What a 401 message needs: whose credentials were refused, and any missing scope. */
export async function unauthorized(
  auth: Authenticator,
  headers: Dispatcher.ResponseData["headers"],
): Promise<{
  credentials: string;
  searched?: string[];
  withheldBy?: string;
  insufficientScope?: string;
}> {
  const credential = await auth.credential();
  const credentials = describeCredential(credential);
  const searched = credential === undefined ? await auth.searched() : undefined;
  const bearer = parseChallenges(headerOf(headers, "www-authenticate")).find(
    (c) => c.scheme === "bearer" && c.params.error === "insufficient_scope",
  );
  const withheldBy = auth.withheldBy();
  return {
    credentials,
    ...(searched === undefined ? {} : { searched }),
    ...(withheldBy === undefined ? {} : { withheldBy }),
    ...(bearer === undefined ? {} : { insufficientScope: bearer.params.scope ?? "" }),
  };
}

/** The AUTH error for a 401 from a host other than the one credentials are meant for. */
export function foreignChallenge(
  registry: string,
  req: RegistryRequest,
  url: URL,
  trustedOrigin: string,
  redirected: boolean,
): RegistryError {
  const trusted = new URL(trustedOrigin).host;
  const how = redirected ? "was redirected to" : "was sent to";
  const what = req.context?.what ?? "request";
  return new RegistryError({
    code: "AUTH",
    message: `${req.method} of ${what} for ${registry} ${how} ${url.host}, which asks for credentials (401): ocicompat sends the credentials of ${registry} only to ${trusted}${req.anonymous ? "" : " and the token service its own 401 names"}, never to another host`,
    status: 401,
    temporary: false,
    method: req.method,
    url: url.href,
    subject: url.host,
  });
}
