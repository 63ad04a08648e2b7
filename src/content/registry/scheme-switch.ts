// The scheme a registry client speaks, and the one change of it the client may make (schemeOf in
// http.ts): a loopback registry on the plain-HTTP default that answers as a TLS server moves to
// HTTPS, and with plainHttpFallback an HTTPS endpoint that does not speak TLS moves to plain HTTP.
export interface SchemeState {
  scheme: "http" | "https";
  /** The one change of scheme still allowed. */
  switchTo: "http" | "https" | undefined;
  /** The origin the client left when it made that change. */
  left: string | undefined;
}

/**
 * Whether a request sent to `sentTo` goes again over `to`, after an answer (or a failure) that
 * says `sentTo` speaks the other scheme: the client makes its one change now, when the request
 * went to its own `origin`, or it made it since the request went out. Requests in flight at once
 * all leave over the first scheme, and only the first answer makes the change; the others follow.
 */
export function switchScheme(
  state: SchemeState,
  to: "http" | "https",
  sentTo: string,
  origin: string,
  resendable: boolean,
): boolean {
  if (!resendable) return false;
  if (state.switchTo === to && sentTo === origin) {
    state.left = origin;
    state.scheme = to;
    state.switchTo = undefined;
    return true;
  }
  return state.scheme === to && state.left !== undefined && sentTo === state.left;
}
