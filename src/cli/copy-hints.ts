// A failed copy names the flag of the side that failed. The registry client words a TLS failure
// with the flags every registry command has (`--insecure`, `--cert-dir`); in `copy` those reach
// both sides, so following the hint would also stop checking the side that was fine. skopeo's
// users look for the side's own flag, `--src-tls-verify=false` or `--dest-tls-verify=false`.
// The side is the one whose call failed (the caller knows it), never guessed from a host name:
// a registries.conf mirror or `location` can put the source's traffic on the destination's host.
import type { CopySide } from "../content/copy/error.js";
import {
  clientCertificateHint,
  untrustedCertificateHint,
} from "../content/registry/network-errors.js";

/** `err`, every hint in its message naming `side`'s flags (a mirror's failure quoted in it too). */
export function withSideHints(err: unknown, side: CopySide): unknown {
  if (!(err instanceof Error)) return err;
  const prefix = side === "source" ? "src" : "dest";
  err.message = err.message
    .replaceAll(
      untrustedCertificateHint(),
      untrustedCertificateHint(`--${prefix}-tls-verify=false`),
    )
    .replaceAll(clientCertificateHint(), clientCertificateHint(`--${prefix}-cert-dir`));
  return err;
}

/** A rejection handler for one side's call: its failure, with that side's hints. */
export function failedOn(side: CopySide): (err: unknown) => never {
  return (err) => {
    throw withSideHints(err, side);
  };
}
