// Flags shared by every command that reads or writes a registry, and the store opener they make.
import type { Command } from "commander";
import { Option } from "commander";
import { createStoreOpener, type OpenOptions, type StoreOpener } from "../content/open.js";
import {
  explicitCredentials,
  given,
  noCredentials,
  credentialLabel,
  registryTokenAccess,
  settleCredentialFlags,
} from "./credential-flags.js";
import { timeoutOption } from "./deadline.js";
import { noteFollowUp } from "./exit-codes.js";

export interface RegistryFlags {
  plainHttp?: boolean;
  insecure?: boolean;
  caFile?: string;
  certDir?: string;
  username?: string;
  passwordStdin?: boolean;
  /** `USER:PASSWORD` (also from $OCICOMPAT_CREDS); false: `--no-creds`, anonymous requests. */
  creds?: string | false;
  authfile?: string;
  /** A bearer token for the one registry the command reads (also $OCICOMPAT_REGISTRY_TOKEN). */
  registryToken?: string;
  /** The credential options whose value came from a variable, and its `$NAME` (settleCredentialFlags). */
  credentialsFromEnv?: Record<string, string>;
  /** `--tls-verify=false`: no certificate check, and plain HTTP where TLS is refused (skopeo's). */
  tlsVerify?: boolean;
  /** containerd host directories (repeatable --hosts-dir), as `ctr --hosts-dir` reads them. */
  hostsDir?: string[];
  /** registries.conf to read instead of the machine's (also $CONTAINERS_REGISTRIES_CONF); false: none. */
  registriesConf?: string | false;
  /** The command's overall deadline (see deadline.ts); every registry command has one. */
  timeout?: string;
  /**
   * Whether to offer HTTP/2: on the commands made with addRegistryOptions' `http2`, commander sets
   * it (true, false with --no-http2); elsewhere it is unset, and HTTP/1.1 is spoken.
   */
  http2?: boolean;
}

/**
 * skopeo's `--tls-verify`, as a pair commander reads: `--tls-verify` (checks on, overriding
 * registries.conf's `insecure`) and `--no-tls-verify` (skopeo's `--tls-verify=false`: no
 * certificate check, and plain HTTP where TLS is refused). `--tls-verify=false` is rewritten to
 * the latter before parsing (skopeoBooleanFlags), so a value is only ever taken after `=` and
 * never swallows the reference that follows the flag, as in skopeo.
 */
export function addTlsVerifyOptions(command: Command, flag: string, whose: string): Command {
  return command
    .addOption(
      new Option(
        `--${flag}`,
        `check ${whose} TLS certificate (the default; wins over insecure settings)`,
      ),
    )
    .addOption(
      new Option(
        `--no-${flag}`,
        `as skopeo's --${flag}=false: do not check ${whose} TLS certificate, and use plain HTTP where it does not speak TLS`,
      ),
    );
}

/** The opener options a `--tls-verify` setting asks for. */
export function tlsVerifyAccess(verify: boolean | undefined): Partial<OpenOptions> {
  return verify === undefined ? {} : { tlsVerify: verify };
}

/** --timeout, --[no-]plain-http, --insecure, --tls-verify, --ca-file, --cert-dir: how to reach a registry. */
export function addConnectionOptions(command: Command, defaultTimeout: string): Command {
  command
    .addOption(timeoutOption(defaultTimeout))
    .addOption(
      new Option("--plain-http", "use HTTP, not HTTPS (loopback registries use HTTP anyway)"),
    )
    .addOption(new Option("--no-plain-http", "use HTTPS, even for a loopback registry"))
    .addOption(new Option("--insecure", "do not verify the registry's TLS certificate"));
  return addTlsVerifyOptions(command, "tls-verify", "the registry's")
    .addOption(new Option("--ca-file <pem>", "also trust the CA certificates in this PEM file"))
    .addOption(
      new Option(
        "--cert-dir <dir>",
        "use the certificates in this directory (*.crt CAs, *.cert/*.key client certificates) instead of the registry's certs.d directory",
      ),
    );
}

/**
 * The registry flags, and `--timeout` with this command's default (cli/deadline.ts). `http2`:
 * the command only reads manifests and small blobs, so it offers HTTP/2 to TLS registries
 * (content/registry/multiplexing.ts), and gets `--no-http2` to turn that off.
 */
export function addRegistryOptions(
  command: Command,
  defaultTimeout: string,
  reads: { http2?: boolean } = {},
): Command {
  addConnectionOptions(command, defaultTimeout)
    .addOption(
      new Option(
        "--authfile <file>",
        "read credentials from this auth file only (default: $REGISTRY_AUTH_FILE, else podman's and docker's files)",
      ),
    )
    .addOption(
      new Option(
        "--creds <user:password>",
        "credentials for the one registry this command reads (visible in ps: prefer $OCICOMPAT_CREDS or --password-stdin)",
      ).env("OCICOMPAT_CREDS"),
    )
    .addOption(
      new Option(
        "--no-creds",
        "send no credentials, from the command line or any file: every request is anonymous (as skopeo's)",
      ),
    )
    .addOption(
      new Option(
        "--registry-token <token>",
        "a bearer token for the one registry this command reads, sent when it asks for one instead of asking its token service (as skopeo's; visible in ps: prefer $OCICOMPAT_REGISTRY_TOKEN)",
      ).env("OCICOMPAT_REGISTRY_TOKEN"),
    )
    .addOption(new Option("--username <name>", "registry user name (with --password-stdin)"))
    .addOption(new Option("--password-stdin", "read the registry password from standard input"))
    .addOption(
      new Option(
        "--registries-conf <file>",
        "read mirrors, rewrites, blocked and insecure registries from this registries.conf (default: $CONTAINERS_REGISTRIES_CONF, else podman's files)",
      ),
    )
    .addOption(
      new Option("--no-registries-conf", "read no registries.conf: every reference as written"),
    )
    .addOption(
      new Option(
        "--hosts-dir <dir>",
        "read registries through containerd's hosts.toml in DIR/HOST (as ctr --hosts-dir; repeatable)",
      ).argParser((dir: string, dirs: string[] | undefined) => [...(dirs ?? []), dir]),
    );
  settleCredentialFlags(command);
  if (reads.http2 === true)
    command.addOption(
      new Option("--no-http2", "speak HTTP/1.1 only (HTTP/2 is offered to TLS registries)"),
    );
  return command;
}

/** The opener options the registry flags ask for (credentials, TLS, plain HTTP). */
export async function registryAccessFrom(flags: RegistryFlags): Promise<OpenOptions> {
  const tokenLabel = credentialLabel("registryToken", "--registry-token", flags.credentialsFromEnv);
  const token = registryTokenAccess(given(flags.registryToken), tokenLabel, {
    "--creds": given(flags.creds),
    "--no-creds": flags.creds === false,
    "--username": flags.username,
    "--password-stdin": flags.passwordStdin,
    "--authfile": flags.authfile,
  });
  const explicit =
    flags.creds === false
      ? noCredentials("--no-creds", {
          "--username": flags.username,
          "--password-stdin": flags.passwordStdin,
          "--authfile": flags.authfile,
        })
      : await explicitCredentials(flags);
  return {
    ...(flags.plainHttp === undefined ? {} : { plainHttp: flags.plainHttp }),
    ...(flags.insecure ? { insecure: true } : {}),
    ...tlsVerifyAccess(flags.tlsVerify),
    ...(flags.caFile ? { caFile: flags.caFile } : {}),
    ...(flags.certDir ? { certDir: flags.certDir } : {}),
    ...(flags.authfile ? { authFile: flags.authfile } : {}),
    ...(flags.registriesConf === undefined ? {} : { registriesConf: flags.registriesConf }),
    ...(flags.hostsDir === undefined ? {} : { hostsDirs: flags.hostsDir }),
    onSourceWarning: (message: string) => process.stderr.write(`ocicompat: warning: ${message}\n`),
    ...(explicit ?? {}),
    ...token,
  };
}

/** The opener for one command run; the caller closes it. */
export async function openerFrom(
  flags: RegistryFlags,
  extra: { cache?: boolean; blobLocations?: boolean } = {},
): Promise<StoreOpener> {
  return createStoreOpener({
    ...(await registryAccessFrom(flags)),
    ...(flags.http2 === true ? { http2: true } : {}),
    ...(extra.cache
      ? {
          cache: true,
          onCacheWarning: (w) => process.stderr.write(`ocicompat: warning: cache: ${w.message}\n`),
        }
      : {}),
    ...blobLocationOptions(extra.blobLocations),
  });
}

/** The on-disk memory of where blobs were seen (copy's mounts), warnings on stderr. */
export function blobLocationOptions(enabled: boolean | undefined): Partial<OpenOptions> {
  return enabled
    ? {
        blobLocations: true,
        onBlobLocationsWarning: (message: string) =>
          process.stderr.write(`ocicompat: warning: blob location memory: ${message}\n`),
      }
    : {};
}

/**
 * Runs `work`, then closes the opener (which writes archives). When `work` failed and closing
 * fails too, the first error is the one reported; the second follows it as `also:`.
 */
export async function withOpener<T>(
  opener: Pick<StoreOpener, "close">,
  work: () => Promise<T>,
): Promise<T> {
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
