// skopeo's boolean flags take their value after `=` only (`--tls-verify=false`); a separate token
// is an argument, as in Go's flag package. commander would take the token after an optional value
// as the value, swallowing the reference that follows `--tls-verify`. So the `=` forms are
// rewritten to the `--flag` / `--no-flag` pair commander reads, before it parses. skopeo's global
// options that ocicompat has per command (`skopeo --insecure-policy copy …`) are moved after the
// command name.
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

// skopeo's global options that ocicompat has on its commands instead, with the name there:
// `skopeo --insecure-policy copy A B` is the usual way to write skopeo's flag, and
// `--command-timeout` is ocicompat's `--timeout`. [takes a value, ocicompat's name]
const GLOBALS: Record<string, readonly [takesValue: boolean, name: string]> = {
  "--insecure-policy": [false, "--insecure-policy"],
  "--policy": [true, "--policy"],
  "--command-timeout": [true, "--timeout"],
};

/**
 * `argv` with skopeo's global options that stand before the command moved after it, under
 * ocicompat's names: `--insecure-policy copy A B` → `copy --insecure-policy A B`. Left as it is
 * when no command follows them (commander then says what is wrong).
 */
export function skopeoGlobalFlags(argv: readonly string[]): string[] {
  const moved: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] as string;
    const eq = arg.indexOf("=");
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const global = Object.hasOwn(GLOBALS, flag) ? GLOBALS[flag] : undefined;
    if (global === undefined) break;
    const [takesValue, name] = global;
    if (!takesValue) {
      const value = eq < 0 ? "true" : arg.slice(eq + 1).toLowerCase();
      if (TRUE.has(value)) moved.push(name);
      else if (!FALSE.has(value)) break;
      i += 1;
    } else if (eq >= 0) {
      moved.push(`${name}=${arg.slice(eq + 1)}`);
      i += 1;
    } else {
      if (i + 1 >= argv.length) break;
      moved.push(name, argv[i + 1] as string);
      i += 2;
    }
  }
  const command = argv[i];
  if (i === 0 || command === undefined || command.startsWith("-")) return [...argv];
  return [command, ...moved, ...argv.slice(i + 1)];
}
