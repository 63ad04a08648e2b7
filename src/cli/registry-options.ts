// Flags shared by every command that reads or writes a registry, and the store opener they make.
import { text } from "node:stream/consumers";
import type { Command } from "commander";
import { Option } from "commander";
import type { CredentialProvider } from "../content/auth/credentials.js";
import { createStoreOpener, type OpenOptions, type StoreOpener } from "../content/open.js";
import { OcicompatError } from "../oci/errors.js";
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
  if (reads.http2 === true)
    command.addOption(
      new Option("--no-http2", "speak HTTP/1.1 only (HTTP/2 is offered to TLS registries)"),
    );
  return command;
}

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
function given(value: string | false | undefined): string | undefined {
  return value === "" || value === false ? undefined : value;
}

/**
 * `--no-creds` (or a side's `--src-no-creds`): no credential of any kind, so a stale or wrong
 * entry in an auth file cannot stop a read that anonymous access allows. `others` are the side's
 * other credential flags that were given, which contradict it.
 */
function noCredentials(flag: string, others: Record<string, unknown>): Partial<OpenOptions> {
  const clash = Object.entries(others).find(([, v]) => v !== undefined && v !== false);
  if (clash !== undefined)
    throw new OcicompatError("USAGE", `give ${flag} or ${clash[0]}, not both`);
  const provider: CredentialProvider = () => Promise.resolve(undefined);
  provider.searched = () => Promise.resolve([`none (${flag} was given)`]);
  return { credentials: provider };
}

/** Whether the flags (or $OCICOMPAT_CREDS) give credentials for one registry. */
export function hasCommandLineCredentials(flags: RegistryFlags): boolean {
  return given(flags.creds) !== undefined || flags.username !== undefined;
}

/** The credentials the flags give, if any; reads standard input for --password-stdin. */
async function explicitCredentials(
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

/** The opener options the registry flags ask for (credentials, TLS, plain HTTP). */
export async function registryAccessFrom(flags: RegistryFlags): Promise<OpenOptions> {
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
function blobLocationOptions(enabled: boolean | undefined): Partial<OpenOptions> {
  return enabled
    ? {
        blobLocations: true,
        onBlobLocationsWarning: (message: string) =>
          process.stderr.write(`ocicompat: warning: blob location memory: ${message}\n`),
      }
    : {};
}

/** copy's per-side credentials; each overrides --creds / --authfile on its side. */
export interface CopySideFlags {
  srcCreds?: string;
  destCreds?: string;
  srcAuthfile?: string;
  destAuthfile?: string;
  srcCertDir?: string;
  destCertDir?: string;
  srcTlsVerify?: boolean;
  destTlsVerify?: boolean;
  srcNoCreds?: boolean;
  destNoCreds?: boolean;
}

export function addCopySideOptions(command: Command): Command {
  command
    .addOption(
      new Option("--src-creds <user:password>", "credentials for the source registry").env(
        "OCICOMPAT_SRC_CREDS",
      ),
    )
    .addOption(
      new Option("--dest-creds <user:password>", "credentials for the destination registry").env(
        "OCICOMPAT_DEST_CREDS",
      ),
    )
    .addOption(new Option("--src-authfile <file>", "the auth file for the source registry"))
    .addOption(new Option("--dest-authfile <file>", "the auth file for the destination registry"))
    .addOption(new Option("--src-no-creds", "read the source registry anonymously (as skopeo's)"))
    .addOption(
      new Option("--dest-no-creds", "write to the destination registry anonymously (as skopeo's)"),
    )
    .addOption(
      new Option("--src-cert-dir <dir>", "the certificate directory for the source registry"),
    )
    .addOption(
      new Option("--dest-cert-dir <dir>", "the certificate directory for the destination registry"),
    );
  addTlsVerifyOptions(command, "src-tls-verify", "the source registry's");
  return addTlsVerifyOptions(command, "dest-tls-verify", "the destination registry's");
}

export interface CopyOpeners {
  src: StoreOpener;
  dst: StoreOpener;
  /** Closes both (the destination first: it writes an archive), or the one they share. */
  close(): Promise<void>;
}

/**
 * The openers for copy's two sides. Without per-side flags both sides share one opener (one
 * client per registry); with them, each side has its own, so a registry named on both sides
 * gets each side's credentials on that side only. `registries` names the sides' registries
 * (none for a layout or an archive): command-line credentials are for one registry
 * (content/open.ts), so `--creds` alone between two registries is refused before anything is
 * read, standard input included.
 */
export async function copyOpenersFrom(
  flags: RegistryFlags & CopySideFlags,
  extra: {
    blobLocations?: boolean;
    registries?: { src: string | undefined; dst: string | undefined };
  } = {},
): Promise<CopyOpeners> {
  const srcCreds = given(flags.srcCreds);
  const destCreds = given(flags.destCreds);
  const { src: srcRegistry, dst: dstRegistry } = extra.registries ?? {};
  if (
    hasCommandLineCredentials(flags) &&
    srcCreds === undefined &&
    destCreds === undefined &&
    flags.srcNoCreds !== true &&
    flags.destNoCreds !== true &&
    srcRegistry !== undefined &&
    dstRegistry !== undefined &&
    srcRegistry !== dstRegistry
  ) {
    throw new OcicompatError(
      "USAGE",
      `--creds (or --username) would go to both ${srcRegistry} and ${dstRegistry}: give each side its own, --src-creds and --dest-creds (or --src-authfile and --dest-authfile)`,
    );
  }
  const base = {
    ...(await registryAccessFrom(flags)),
    ...blobLocationOptions(extra.blobLocations),
  };
  const sided =
    srcCreds !== undefined ||
    destCreds !== undefined ||
    flags.srcAuthfile !== undefined ||
    flags.destAuthfile !== undefined ||
    flags.srcCertDir !== undefined ||
    flags.destCertDir !== undefined ||
    flags.srcTlsVerify !== undefined ||
    flags.destTlsVerify !== undefined ||
    flags.srcNoCreds === true ||
    flags.destNoCreds === true;
  if (!sided) {
    const shared = createStoreOpener(base);
    return { src: shared, dst: shared, close: () => shared.close() };
  }
  const side = (
    name: "src" | "dest",
    creds: string | undefined,
    authfile: string | undefined,
    certDir: string | undefined,
    tlsVerify: boolean | undefined,
    noCreds: boolean | undefined,
  ) => ({
    ...base,
    ...(creds === undefined ? {} : parseCreds(creds, `--${name}-creds`)),
    ...(authfile === undefined ? {} : { authFile: authfile }),
    ...(noCreds === true
      ? noCredentials(`--${name}-no-creds`, {
          [`--${name}-creds`]: creds,
          [`--${name}-authfile`]: authfile,
        })
      : {}),
    ...(certDir === undefined ? {} : { certDir }),
    ...tlsVerifyAccess(tlsVerify),
  });
  const src = createStoreOpener(
    side(
      "src",
      srcCreds,
      flags.srcAuthfile,
      flags.srcCertDir,
      flags.srcTlsVerify,
      flags.srcNoCreds,
    ),
  );
  const dst = createStoreOpener(
    side(
      "dest",
      destCreds,
      flags.destAuthfile,
      flags.destCertDir,
      flags.destTlsVerify,
      flags.destNoCreds,
    ),
  );
  return {
    src,
    dst,
    async close() {
      try {
        await dst.close();
      } finally {
        await src.close();
      }
    },
  };
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
