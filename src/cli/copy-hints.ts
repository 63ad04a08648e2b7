// A failed copy names the flag of the side that failed. The registry client words a TLS failure
// with the flags every registry command has (`--insecure`, `--cert-dir`); in `copy` those reach
// both sides, so following the hint would also stop checking the side that was fine. skopeo's
// users look for the side's own flag, `--src-tls-verify=false` or `--dest-tls-verify=false`.
import { isCopyError, type CopySide } from "../content/copy/error.js";
import {
  clientCertificateHint,
  untrustedCertificateHint,
} from "../content/registry/network-errors.js";
import { OcicompatError } from "../oci/errors.js";

/** The registries of copy's two sides (undefined for a layout or an archive). */
export interface CopyRegistries {
  src: string | undefined;
  dst: string | undefined;
}

/**
 * Which side `err` is about: a CopyError says so; any other error names the registry it came from,
 * which tells the side when only one side is that registry.
 */
export function sideOfFailure(err: unknown, registries: CopyRegistries): CopySide | undefined {
  if (isCopyError(err)) return err.side;
  if (!(err instanceof OcicompatError) || err.subject === undefined) return undefined;
  const { src, dst } = registries;
  if (src === dst) return undefined;
  if (err.subject === src) return "source";
  if (err.subject === dst) return "destination";
  return undefined;
}

/** `err`, its hints naming the failed side's flags when the side is known. */
export function withSideHints(err: unknown, registries: CopyRegistries): unknown {
  const side = sideOfFailure(err, registries);
  if (side === undefined || !(err instanceof Error)) return err;
  const prefix = side === "source" ? "src" : "dest";
  err.message = err.message
    .replace(untrustedCertificateHint(), untrustedCertificateHint(`--${prefix}-tls-verify=false`))
    .replace(clientCertificateHint(), clientCertificateHint(`--${prefix}-cert-dir`));
  return err;
}
