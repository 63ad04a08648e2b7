// The error for an attempt of a request that got no answer (refused, reset, timed out, failed at
// a proxy), naming the host that failed: the registry, another host the request's URL names (an
// upload Location), or the redirect target it was sent on to (storage). Its URL is redacted as
// every RegistryError's is: signed storage URLs carry their credentials in the query.
import type { RegistryError, ErrorContext } from "./errors.js";
import { errorFromNetwork, isNetworkFailure } from "./network-errors.js";
import { proxyError } from "./proxy-transport.js";

/** Undefined when `err` is not a transport failure (a bug, a cancellation): thrown as it is. */
export function unansweredError(
  err: unknown,
  attempt: number,
  sent: { method: string; url: URL; redirectedTo: URL | undefined },
  context: ErrorContext,
  registryOrigin: string,
): RegistryError | undefined {
  const hop = sent.redirectedTo ?? sent.url;
  const url = hop.href;
  const where = hop.origin === registryOrigin ? context : { ...context, registry: hop.host };
  return (
    proxyError(err, { method: sent.method, url, registry: where.registry }) ??
    (isNetworkFailure(err)
      ? errorFromNetwork(err, sent.method, url, where, attempt, { beforeAnswer: true })
      : undefined)
  );
}
