// Failures as distribution-spec error answers (`{"errors":[{"code","message"}]}`), so that a
// runtime pulling through the mirror prints a message that says what went wrong upstream. The
// mirror only reads, so an upstream's refusal is never UNAUTHORIZED here: the client has no
// credentials to offer the mirror, and asking for them would only confuse it.
import { isOcicompatError, errorMessage } from "../../oci/errors.js";
import { isRegistryError } from "../../content/registry/index.js";
import type { DistributionErrorAnswer } from "./route.js";

export type ContentKind = "manifest" | "blob";

const UNKNOWN_CODE: Record<ContentKind, string> = {
  manifest: "MANIFEST_UNKNOWN",
  blob: "BLOB_UNKNOWN",
};

/** The answer for a failure of `kind` content from `upstream`. */
export function distributionErrorOf(
  err: unknown,
  upstream: string,
  kind: ContentKind,
): DistributionErrorAnswer {
  const message = errorMessage(err);
  const from = `upstream ${upstream}: ${message}`;
  if (isRegistryError(err) && err.status !== undefined) {
    if (err.status === 404) {
      const code = err.registryCodes.find((c) => /^[A-Z_]+$/.test(c)) ?? UNKNOWN_CODE[kind];
      return { status: 404, code, message: from };
    }
    if (err.status === 429) return { status: 429, code: "TOOMANYREQUESTS", message: from };
  }
  if (!isOcicompatError(err)) return { status: 500, code: "UNKNOWN", message: from };
  switch (err.code) {
    case "NOT_FOUND":
      return { status: 404, code: UNKNOWN_CODE[kind], message: from };
    case "TOO_LARGE":
    case "DIGEST_MISMATCH":
    case "SIZE_MISMATCH":
    case "INVALID_JSON":
    case "INVALID_DIGEST":
    case "VALIDATION":
      return {
        status: 502,
        code: kind === "manifest" ? "MANIFEST_INVALID" : "DIGEST_INVALID",
        message: from,
      };
    case "AUTH":
      return { status: 403, code: "DENIED", message: `${from} (the node's credentials)` };
    case "TIMEOUT":
      return { status: 504, code: "UNAVAILABLE", message: from };
    case "UNREACHABLE":
    case "REGISTRY":
      return { status: 502, code: "UNAVAILABLE", message: from };
    default:
      return { status: 500, code: "UNKNOWN", message: from };
  }
}

/** The JSON body of an error answer. */
export function errorBody(answer: DistributionErrorAnswer): string {
  return JSON.stringify({ errors: [{ code: answer.code, message: answer.message }] });
}
