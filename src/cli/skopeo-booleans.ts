// skopeo's boolean flags take their value after `=` only (`--tls-verify=false`); a separate token
// is an argument, as in Go's flag package. commander would take the token after an optional value
// as the value, swallowing the reference that follows `--tls-verify`. So the `=` forms are
// rewritten to the `--flag` / `--no-flag` pair commander reads, before it parses.
import { OcicompatError } from "../oci/errors.js";

const BOOLEAN_FLAG = /^--((?:src-|dest-)?tls-verify)=(.*)$/s;
const TRUE = new Set(["1", "t", "true"]);
const FALSE = new Set(["0", "f", "false"]);

/** `argv` with `--X=true` as `--X` and `--X=false` as `--no-X` (Go's spellings of each). */
export function skopeoBooleanFlags(argv: readonly string[]): string[] {
  const end = argv.indexOf("--");
  return argv.map((arg, i) => {
    const m = end >= 0 && i > end ? null : BOOLEAN_FLAG.exec(arg);
    if (m === null) return arg;
    const [, flag, value] = m as unknown as [string, string, string];
    const v = value.toLowerCase();
    if (TRUE.has(v)) return `--${flag}`;
    if (FALSE.has(v)) return `--no-${flag}`;
    throw new OcicompatError(
      "USAGE",
      `--${flag} takes true or false, not ${JSON.stringify(value)}`,
    );
  });
}
