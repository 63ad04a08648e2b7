// The credential flags of registry commands (--creds, --username with --password-stdin,
// --no-creds, --registry-token, and copy's per-side forms) as opener options, with the usage
// errors for combinations that contradict each other.
import { text } from "node:stream/consumers";
import type { Command } from "commander";
import type { CredentialProvider } from "../content/auth/credentials.js";
import type { OpenOptions } from "../content/open.js";
import { OcicompatError } from "../oci/errors.js";
import type { RegistryFlags } from "./registry-options.js";

/** `USER:PASSWORD` → its parts; `flag` names the option in messages. */
export function parseCreds(value: string, flag: string): { username: string; password: string } {
  const colon = value.indexOf(":");
  if (colon < 0) {
    throw new OcicompatError(
      "USAGE",
      `${flag} has a user name but no password: give USER:PASSWORD (only login asks for one; --username USER --password-stdin reads the password from standard input)`,
    );
  }
  const username = value.slice(0, colon);
  if (username === "") throw new OcicompatError("USAGE", `${flag} has an empty user name`);
  return { username, password: value.slice(colon + 1) };
}

/** An empty value (`OCICOMPAT_CREDS=`) means none, as an unset variable does. */
export function given(value: string | false | undefined): string | undefined {
  return value === "" || value === false ? undefined : value;
}

/**
 * `--no-creds` (or a side's `--src-no-creds`): no credential of any kind, so a stale or wrong
 * entry in an auth file cannot stop a read that anonymous access allows. `others` are the side's
 * other credential flags that were given, which contradict it.
 */
export function noCredentials(flag: string, others: Record<string, unknown>): Partial<OpenOptions> {
  refuseBeside(flag, others);
  const provider: CredentialProvider = () => Promise.resolve(undefined);
  provider.withheldBy = flag;
  return { credentials: provider };
}

/** Whether the flags (or $OCICOMPAT_CREDS) give credentials for one registry. */
export function hasCommandLineCredentials(flags: RegistryFlags): boolean {
  return (
    given(flags.creds) !== undefined ||
    flags.username !== undefined ||
    given(flags.registryToken) !== undefined
  );
}

/** A given bearer token, refused beside the side's other credential flags. */
export function registryTokenAccess(
  token: string | undefined,
  flag: string,
  others: Record<string, unknown>,
): Partial<OpenOptions> {
  if (token === undefined) return {};
  refuseBeside(flag, others);
  return { registryToken: { token, source: flag } };
}

/** A usage error when any of `others` (flag → value) was given beside `flag`. */
function refuseBeside(flag: string, others: Record<string, unknown>): void {
  const clash = Object.entries(others).find(([, v]) => v !== undefined && v !== false);
  if (clash !== undefined)
    throw new OcicompatError("USAGE", `give ${flag} or ${clash[0]}, not both`);
}

/** The credentials the flags give, if any; reads standard input for --password-stdin. */
export async function explicitCredentials(
  flags: RegistryFlags,
): Promise<{ username: string; password: string } | undefined> {
  const creds = given(flags.creds);
  if (creds !== undefined && flags.username !== undefined) {
    throw new OcicompatError("USAGE", "give --creds (or $OCICOMPAT_CREDS) or --username, not both");
  }
  if (flags.passwordStdin) {
    if (flags.username === undefined)
      throw new OcicompatError("USAGE", "--password-stdin needs --username");
    const password = (await text(process.stdin)).replace(/\r?\n$/, "");
    return { username: flags.username, password };
  }
  if (flags.username !== undefined) {
    throw new OcicompatError(
      "USAGE",
      "--username needs --password-stdin (or use --creds USER:PASSWORD)",
    );
  }
  return creds === undefined ? undefined : parseCreds(creds, "--creds");
}

// The credential options a variable may set, and the flags that contradict each: a variable
// yields to those on the command line, as $OCICOMPAT_CREDS yields to --creds, so
// `OCICOMPAT_SRC_CREDS=… copy --src-no-creds` is anonymous, not a usage error. A flag that only
// adds a fallback (--authfile) does not contradict it.
const YIELDS_TO: Record<string, readonly string[]> = {
  creds: ["registryToken", "username", "passwordStdin"],
  registryToken: ["creds", "username", "passwordStdin", "authfile"],
  srcCreds: ["srcNoCreds", "srcRegistryToken"],
  srcRegistryToken: ["srcCreds", "srcNoCreds", "srcAuthfile"],
  destCreds: ["destNoCreds", "destRegistryToken"],
  destRegistryToken: ["destCreds", "destNoCreds", "destAuthfile"],
};

/**
 * Settles the credential options before a command runs: values from variables that a flag of
 * their side overrides are dropped, and `--creds` with `--no-creds` (which commander would let
 * the last one win) is a usage error.
 */
export function settleCredentialFlags(command: Command): Command {
  const given = new Set<string>();
  command.on("option:creds", () => given.add("--creds"));
  command.on("option:no-creds", () => given.add("--no-creds"));
  return command.hook("preAction", (_root, action) => {
    if (given.has("--creds") && given.has("--no-creds"))
      throw new OcicompatError("USAGE", "give --creds or --no-creds, not both");
    for (const [key, flags] of Object.entries(YIELDS_TO)) {
      if (action.getOptionValueSource(key) !== "env") continue;
      if (flags.some((flag) => action.getOptionValueSource(flag) === "cli"))
        action.setOptionValue(key, undefined);
    }
    // Which values still come from a variable, and which (`$NAME`, as the option declares it):
    // messages name the variable, not a flag the user never typed, and copy refuses to send one
    // to a registry it may not be meant for.
    const fromEnv: Record<string, string> = {};
    for (const option of action.options) {
      const key = option.attributeName();
      if (option.envVar === undefined || !Object.hasOwn(YIELDS_TO, key)) continue;
      if (action.getOptionValueSource(key) === "env" && action.getOptionValue(key) !== undefined)
        fromEnv[key] = `$${option.envVar}`;
    }
    action.setOptionValue("credentialsFromEnv", fromEnv);
  });
}

/** How a message names option `key`: its variable when that is where the value came from. */
export function credentialLabel(
  key: string,
  flag: string,
  fromEnv: Readonly<Record<string, string>> = {},
): string {
  return Object.hasOwn(fromEnv, key) ? (fromEnv[key] as string) : flag;
}
