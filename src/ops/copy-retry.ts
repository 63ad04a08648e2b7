// Whole-copy retries (skopeo's --retry-times): the registry client already retries each request a
// few times, but a registry that restarts, or drops a long upload, outlasts that. A copy is
// resumable (what the destination holds is skipped), so trying the whole copy again is cheap. Only
// failures that can pass are tried again: skopeo's rule, the same in containers/common.
import { isOcicompatError } from "../oci/errors.js";

/** What a retry waits for: a fixed delay, else 1 s, 2 s, 4 s, … as skopeo's default. */
export function retryDelayMs(retry: number, fixedMs: number | undefined): number {
  if (fixedMs !== undefined && fixedMs > 0) return fixedMs;
  return 1000 * 2 ** (retry - 1);
}

// Socket failures that a restarting or overloaded registry causes, and that go away with it.
const PASSING_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let at: unknown = err;
  // A bounded walk: a cause cycle must not hang the decision.
  while (at !== undefined && at !== null && chain.length < 16) {
    chain.push(at);
    at = typeof at === "object" ? (at as { cause?: unknown }).cause : undefined;
  }
  return chain;
}

/**
 * Whether trying the copy again may succeed: a registry's temporary answer (408, 429, 500, 502,
 * 503, 504, a reset), a stalled transfer, or a socket failure of the kind a restart causes. Never
 * a refusal (auth, other 4xx, policy, bad content), a certificate problem, a cancellation, or the
 * command's own deadline. A TLS registry that hangs up on a missing client certificate looks like
 * a reset, and is tried again: each retry's warning carries the hint, and --retry-times bounds it.
 */
export function mayPass(err: unknown): boolean {
  const chain = causes(err);
  const top = chain[0];
  if (isOcicompatError(top) && (top.code === "CANCELLED" || top.code === "USAGE")) return false;
  for (const cause of chain) {
    // A RegistryError, told by its shape: importing its module would load the registry stack
    // (node:net) into copies between layouts and archives.
    if (isOcicompatError(cause) && "temporary" in cause) {
      if (cause.temporary === true) return true;
      if ((cause as { status?: unknown }).status !== undefined) return false;
      continue;
    }
    const code = (cause as { code?: unknown }).code;
    // A transfer below the rate floor (the command's own --timeout never gets here: the caller
    // stops on its aborted signal first).
    if (isOcicompatError(cause) && code === "TIMEOUT") return true;
    if (typeof code === "string" && PASSING_ERRNOS.has(code)) return true;
  }
  return false;
}
