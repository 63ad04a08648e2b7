// The `created` time attach and protect write when the caller gives none: $SOURCE_DATE_EPOCH when
// set, so that a re-run writes the same digests. Apart from attach because protect uses it too.
import { OcicompatError } from "../../oci/errors.js";

/** `2026-01-31T12:00:00Z`: RFC 3339 in UTC, whole seconds. */
export function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The `created` time written when the caller gives none: `$SOURCE_DATE_EPOCH` (seconds since
 * the epoch, the reproducible-builds convention, so that a re-run writes the same digests), else
 * now. A value that is not a whole number of seconds is an error, never silently now.
 */
export function defaultCreated(env: NodeJS.ProcessEnv = process.env): string {
  const epoch = env["SOURCE_DATE_EPOCH"];
  if (epoch === undefined || epoch === "") return nowRfc3339();
  if (!/^\d{1,12}$/.test(epoch)) {
    throw new OcicompatError(
      "USAGE",
      `SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01, not ${JSON.stringify(epoch)}`,
      { subject: "SOURCE_DATE_EPOCH" },
    );
  }
  return new Date(Number(epoch) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
