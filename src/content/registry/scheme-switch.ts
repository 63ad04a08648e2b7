// The scheme a registry client speaks, and the one change of it the client may make (schemeOf in
// http.ts): a loopback registry on the plain-HTTP default that answers as a TLS server moves to
// HTTPS, and with plainHttpFallback an HTTPS endpoint that does not speak TLS moves to plain HTTP.
// Requests in flight at once all leave over the first scheme, and only the first answer makes the
// change; the others are sent again over the new one, once each, when that takes them elsewhere.
export interface SchemeState {
  scheme: "http" | "https";
  /** The one change of scheme still allowed. */
  switchTo: "http" | "https" | undefined;
  /** The origin the client left with that change, until an answer from it settles otherwise. */
  left: string | undefined;
}

/**
 * Whether a request that went to `sentTo` is sent again over `to`, after an answer (or a
 * failure) that says `sentTo` speaks the other scheme. Either the client makes its one change now
 * (the request went to its own `origin`), or it made it after the request left and sending it
 * again takes it to `nextOrigin`, another origin (an absolute URL on the old one would meet the
 * same answer again).
 */
export function switchScheme(
  state: SchemeState,
  to: "http" | "https",
  sentTo: string,
  origin: string,
  nextOrigin: () => string,
  resendable: boolean,
): boolean {
  if (!resendable) return false;
  if (state.switchTo === to && sentTo === origin) {
    state.left = origin;
    state.scheme = to;
    state.switchTo = undefined;
    return true;
  }
  return (
    state.scheme === to &&
    state.left !== undefined &&
    sentTo === state.left &&
    nextOrigin() !== sentTo
  );
}

/**
 * `answeredBy` answered, and the answer made no change. An answer from the client's own `origin`
 * over HTTPS settles the scheme: containers/image falls back to plain HTTP only when its first
 * HTTPS exchange fails, never later, where credentials would go in clear. An answer from the
 * origin the client left says it speaks its scheme after all: requests still in flight to it are
 * not sent again elsewhere.
 */
export function settleScheme(state: SchemeState, answeredBy: string, origin: string): void {
  if (state.switchTo === "http" && answeredBy === origin) state.switchTo = undefined;
  if (answeredBy === state.left) state.left = undefined;
}
