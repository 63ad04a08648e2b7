// Flags shared by every command that reads or writes a registry, and the store opener they make.
import { text } from "node:stream/consumers";
import type { Command } from "commander";
import { Option } from "commander";
import { createStoreOpener, type StoreOpener } from "../content/open.js";
import { OcicompatError } from "../oci/errors.js";
import { timeoutOption } from "./deadline.js";
import { noteFollowUp } from "./exit-codes.js";

export interface RegistryFlags {
  plainHttp?: boolean;
  insecure?: boolean;
  caFile?: string;
  username?: string;
  passwordStdin?: boolean;
  /** The command's overall deadline (see deadline.ts); every registry command has one. */
  timeout?: string;
}

/** The registry flags, and `--timeout` with this command's default (cli/deadline.ts). */
export function addRegistryOptions(command: Command, defaultTimeout: string): Command {
  return command
    .addOption(timeoutOption(defaultTimeout))
    .addOption(
      new Option("--plain-http", "use HTTP, not HTTPS (loopback registries use HTTP anyway)"),
    )
    .addOption(new Option("--insecure", "do not verify the registry's TLS certificate"))
    .addOption(new Option("--ca-file <pem>", "also trust the CA certificates in this PEM file"))
    .addOption(new Option("--username <name>", "registry user name (with --password-stdin)"))
    .addOption(new Option("--password-stdin", "read the registry password from standard input"));
}

/** The opener for one command run; the caller closes it. */
export async function openerFrom(
  flags: RegistryFlags,
  extra: { cache?: boolean; blobLocations?: boolean } = {},
): Promise<StoreOpener> {
  let password: string | undefined;
  if (flags.passwordStdin) {
    if (flags.username === undefined)
      throw new OcicompatError("USAGE", "--password-stdin needs --username");
    password = (await text(process.stdin)).replace(/\r?\n$/, "");
  } else if (flags.username !== undefined) {
    throw new OcicompatError(
      "USAGE",
      "--username needs --password-stdin (passwords are never taken as arguments)",
    );
  }
  return createStoreOpener({
    ...(flags.plainHttp ? { plainHttp: true } : {}),
    ...(flags.insecure ? { insecure: true } : {}),
    ...(flags.caFile ? { caFile: flags.caFile } : {}),
    ...(flags.username !== undefined ? { username: flags.username, password: password ?? "" } : {}),
    ...(extra.cache
      ? {
          cache: true,
          onCacheWarning: (w) => process.stderr.write(`ocicompat: warning: cache: ${w.message}\n`),
        }
      : {}),
    ...(extra.blobLocations
      ? {
          blobLocations: true,
          onBlobLocationsWarning: (message) =>
            process.stderr.write(`ocicompat: warning: blob location memory: ${message}\n`),
        }
      : {}),
  });
}

/**
 * Runs `work`, then closes the opener (which writes archives). When `work` failed and closing
 * fails too, the first error is the one reported; the second follows it as `also:`.
 */
export async function withOpener<T>(opener: StoreOpener, work: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await opener.close().catch((closeErr: unknown) => noteFollowUp(err, closeErr));
    throw err;
  }
  await opener.close();
  return result;
}
