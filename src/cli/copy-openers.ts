// copy's two sides: the per-side flags (credentials, auth files, certificates, TLS checks) and
// the openers they make, one per side when any is given.
import type { Command } from "commander";
import { Option } from "commander";
import { createStoreOpener, type OpenOptions, type StoreOpener } from "../content/open.js";
import { OcicompatError } from "../oci/errors.js";
import {
  credentialLabel,
  given,
  hasCommandLineCredentials,
  noCredentials,
  parseCreds,
  registryTokenAccess,
} from "./credential-flags.js";
import {
  addTlsVerifyOptions,
  blobLocationOptions,
  registryAccessFrom,
  tlsVerifyAccess,
  type RegistryFlags,
} from "./registry-options.js";

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
  srcRegistryToken?: string;
  destRegistryToken?: string;
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
      new Option(
        "--src-registry-token <token>",
        "a bearer token for the source registry (as skopeo's)",
      ).env("OCICOMPAT_SRC_REGISTRY_TOKEN"),
    )
    .addOption(
      new Option(
        "--dest-registry-token <token>",
        "a bearer token for the destination registry (as skopeo's)",
      ).env("OCICOMPAT_DEST_REGISTRY_TOKEN"),
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
  const sides = [sideOf(flags, "src"), sideOf(flags, "dest")] as const;
  const { src: srcRegistry, dst: dstRegistry } = extra.registries ?? {};
  if (
    hasCommandLineCredentials(flags) &&
    !sides.some(answersForItself) &&
    srcRegistry !== undefined &&
    dstRegistry !== undefined &&
    srcRegistry !== dstRegistry
  ) {
    throw new OcicompatError(
      "USAGE",
      `--creds (or --username, --registry-token) would go to both ${srcRegistry} and ${dstRegistry}: give each side its own, --src-creds and --dest-creds (or --src-authfile and --dest-authfile, --src-registry-token and --dest-registry-token)`,
    );
  }
  refuseAmbientSharedCredentials(flags, sides, srcRegistry, dstRegistry);
  const base = {
    ...(await registryAccessFrom(flags)),
    ...blobLocationOptions(extra.blobLocations),
  };
  if (!sides.some(isGiven)) {
    const shared = createStoreOpener(base);
    return { src: shared, dst: shared, close: () => shared.close() };
  }
  // A side's own credentials replace the shared ones (--creds, --registry-token, --no-creds)
  // on that side; the shared auth file stays the fallback of its explicit credentials.
  const sharedCredentialsUnless = (own: boolean): OpenOptions => {
    if (!own) return base;
    const rest = { ...base };
    delete rest.credentials;
    delete rest.registryToken;
    delete rest.username;
    delete rest.password;
    return rest;
  };
  const options = (side: CopySide): OpenOptions => {
    const { name, creds, authfile, token } = side;
    return {
      ...sharedCredentialsUnless(
        creds !== undefined || token !== undefined || authfile !== undefined,
      ),
      ...(creds === undefined ? {} : parseCreds(creds, `--${name}-creds`)),
      ...(authfile === undefined ? {} : { authFile: authfile }),
      ...(side.noCreds
        ? noCredentials(`--${name}-no-creds`, {
            [`--${name}-creds`]: creds,
            [`--${name}-authfile`]: authfile,
            [`--${name}-registry-token`]: token,
          })
        : {}),
      ...registryTokenAccess(
        token,
        credentialLabel(
          `${name}RegistryToken`,
          `--${name}-registry-token`,
          flags.credentialsFromEnv,
        ),
        {
          [`--${name}-creds`]: creds,
          [`--${name}-authfile`]: authfile,
        },
      ),
      ...(side.certDir === undefined ? {} : { certDir: side.certDir }),
      ...tlsVerifyAccess(side.tlsVerify),
    };
  };
  const src = createStoreOpener(options(sides[0]));
  const dst = createStoreOpener(options(sides[1]));
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

/** One side's flags (`--src-…` or `--dest-…`), an empty value (`OCICOMPAT_SRC_CREDS=`) as none. */
interface CopySide {
  name: "src" | "dest";
  creds: string | undefined;
  token: string | undefined;
  authfile: string | undefined;
  certDir: string | undefined;
  tlsVerify: boolean | undefined;
  noCreds: boolean;
}

function sideOf(flags: CopySideFlags, name: "src" | "dest"): CopySide {
  const src = name === "src";
  return {
    name,
    creds: given(src ? flags.srcCreds : flags.destCreds),
    token: given(src ? flags.srcRegistryToken : flags.destRegistryToken),
    authfile: src ? flags.srcAuthfile : flags.destAuthfile,
    certDir: src ? flags.srcCertDir : flags.destCertDir,
    tlsVerify: src ? flags.srcTlsVerify : flags.destTlsVerify,
    noCreds: (src ? flags.srcNoCreds : flags.destNoCreds) === true,
  };
}

/** The side says what its registry gets: its own credentials, or none on purpose. */
function answersForItself(side: CopySide): boolean {
  return side.creds !== undefined || side.token !== undefined || side.noCreds;
}

/** Any flag of the side given: it then gets an opener of its own. */
function isGiven(side: CopySide): boolean {
  return (
    answersForItself(side) ||
    side.authfile !== undefined ||
    side.certDir !== undefined ||
    side.tlsVerify !== undefined
  );
}

/**
 * Shared credentials from a variable ($OCICOMPAT_CREDS, $OCICOMPAT_REGISTRY_TOKEN) are for one
 * registry. Between two registries, once a side has credentials of its own, they would go to the
 * other side: typed on the command line that is what the user asked for, but a variable set for
 * some other run would reach a registry it was not meant for. So that is refused.
 */
function refuseAmbientSharedCredentials(
  flags: RegistryFlags,
  sides: readonly [CopySide, CopySide],
  srcRegistry: string | undefined,
  dstRegistry: string | undefined,
): void {
  if (srcRegistry === undefined || dstRegistry === undefined || srcRegistry === dstRegistry) return;
  const fromEnv = flags.credentialsFromEnv ?? {};
  const variable = fromEnv["creds"] ?? fromEnv["registryToken"];
  if (variable === undefined) return;
  const [srcOwn, dstOwn] = sides.map((s) => answersForItself(s) || s.authfile !== undefined);
  if (srcOwn === dstOwn) return; // both: unused; neither: the check above refuses
  const other = srcOwn ? "dest" : "src";
  throw new OcicompatError(
    "USAGE",
    `${variable} would go to ${other === "src" ? srcRegistry : dstRegistry}, the side without credentials of its own: give that side its own (--${other}-creds, --${other}-registry-token, --${other}-no-creds), or unset ${variable}`,
  );
}
