// TOML as the Go tools ocicompat follows read their files (containers/image decodes
// registries.conf with BurntSushi/toml, containerd its hosts.toml with go-toml v2): smol-toml
// parses, errors name the file, the table and line:column, and a key matches case-insensitively,
// as both Go decoders fall back to (`Blocked = true` blocks for podman). A key written in two
// cases is refused: Go would take whichever its map iteration met last. Shared by
// registries-conf.ts and hosts-toml.ts. Pure.
import { parse, TomlDate, TomlError } from "smol-toml";
import { OcicompatError, type ErrorCode, errorMessage } from "../../oci/errors.js";

export type TomlTable = Record<string, unknown>;

/** Throws the error for `file`, at table `at` ("" for the top level). */
export function tomlFail(
  file: string,
  at: string,
  message: string,
  code: ErrorCode = "USAGE",
): never {
  const where = at === "" ? "" : `${at}: `;
  throw new OcicompatError(code, `${file}: ${where}${message}`, { subject: file });
}

export function isTomlTable(value: unknown): value is TomlTable {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof TomlDate)
  );
}

/** A value's type and, for scalars, the value, for messages. */
export function describeTomlValue(value: unknown): string {
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "boolean") return `the boolean ${String(value)}`;
  if (typeof value === "number" || typeof value === "bigint") return `the number ${value}`;
  if (value instanceof TomlDate) return `the date ${value.toISOString()}`;
  if (Array.isArray(value)) return "an array";
  return "a table";
}

export function parseTomlFile(text: string, file: string): TomlTable {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split("\n", 1)[0] ?? "";
      tomlFail(file, "", `line ${err.line}:${err.column}: ${first}`);
    }
    tomlFail(file, "", `not valid TOML: ${errorMessage(err)}`);
  }
}

/** `key` (lower case) of `table`, in any case; undefined when absent. */
export function tomlKey(table: TomlTable, key: string, file: string, at: string): unknown {
  const names = Object.keys(table).filter((k) => k.toLowerCase() === key);
  if (names.length > 1) {
    tomlFail(
      file,
      at,
      `${key} is set more than once (as ${names.map((n) => `"${n}"`).join(", ")})`,
    );
  }
  return names[0] === undefined ? undefined : table[names[0]];
}

/**
 * Reads one table's keys, typed; a key of the wrong type is an error naming the file, the table
 * (`at`, "" for the top level), the key, what it must be and what it is. Absent keys are undefined.
 */
export function tomlReader(table: TomlTable, file: string, at: string) {
  const get = (key: string): unknown => tomlKey(table, key, file, at);
  const wrong = (key: string, want: string, value: unknown): never =>
    tomlFail(file, at, `${key} must be ${want}, not ${describeTomlValue(value)}`);
  return {
    get,
    wrong,
    fail: (message: string): never => tomlFail(file, at, message),
    has: (key: string): boolean => get(key) !== undefined,
    bool(key: string): boolean | undefined {
      const value = get(key);
      if (value === undefined || typeof value === "boolean") return value;
      return wrong(key, "true or false", value);
    },
    string(key: string): string | undefined {
      const value = get(key);
      if (value === undefined || typeof value === "string") return value;
      return wrong(key, "a string", value);
    },
    /** With `want` given, a lone string is an array of one (as hosts.toml's `ca` has it). */
    strings(key: string, want?: string): string[] | undefined {
      const value = get(key);
      if (value === undefined) return undefined;
      if (typeof value === "string" && want !== undefined) return [value];
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        wrong(key, want ?? "an array of strings", value);
      }
      return value as string[];
    },
    table(key: string): TomlTable | undefined {
      const value = get(key);
      if (value !== undefined && !isTomlTable(value)) wrong(key, "a table", value);
      return value as TomlTable | undefined;
    },
    tables(key: string, want: string): TomlTable[] | undefined {
      const value = get(key);
      if (value === undefined) return undefined;
      if (!Array.isArray(value) || !value.every(isTomlTable)) wrong(key, want, value);
      return value as TomlTable[];
    },
  };
}

export type TomlReader = ReturnType<typeof tomlReader>;
