// skopeo's `--tls-verify` over the settings it overrides, one rule for every place that builds a
// registry client from both (the opener, login, the mirror's upstreams). Pure, and light enough
// for the opener to import before it loads the registry client.

/** What a client is told: skip the certificate check, and fall back to plain HTTP. */
export interface TlsLeniency {
  insecure?: true;
  plainHttpFallback?: true;
}

/**
 * `false` relaxes both (skopeo's `--tls-verify=false`); `true` keeps checks and HTTPS whatever
 * the settings say (an explicit setting wins, as in containers/image); unset leaves the settings:
 * `--insecure`, registries.conf's `insecure` or hosts.toml's `skip_verify`, and the fallback that
 * comes with registries.conf's `insecure`.
 */
export function tlsLeniency(
  tlsVerify: boolean | undefined,
  settings: { insecure?: boolean | undefined; plainHttpFallback?: boolean | undefined } = {},
): TlsLeniency {
  const insecure = tlsVerify === undefined ? settings.insecure === true : !tlsVerify;
  const fallback = tlsVerify === undefined ? settings.plainHttpFallback === true : !tlsVerify;
  return {
    ...(insecure ? { insecure: true } : {}),
    ...(fallback ? { plainHttpFallback: true } : {}),
  };
}
