// Where `login` keeps credentials and where `logout` removes them, as containers/image's
// SetCredentials and RemoveAuthentication do: through registries.conf's credential-helpers when
// the list is set (the first helper that takes them keeps them; `containers-auth.json` is the
// auth file), else in the auth file. In the auth file, a `credHelpers` entry for the key sends the
// credentials to that helper, since that is where reads look first. Helpers hold host keys only:
// a namespace key (`host/team`) goes to the auth file, never to a helper.
import { OcicompatError } from "../../oci/errors.js";
import {
  authEntryKeys,
  removeAllAuthEntries,
  removeAuthEntry,
  storeAuthEntry,
} from "./auth-file-write.js";
import {
  eraseFromCredentialHelper,
  listCredentialHelper,
  storeInCredentialHelper,
  type CredentialHelperOptions,
} from "./credential-helper.js";
import { loadDockerConfig, readConfigText } from "./docker-config.js";
import {
  AUTH_FILES_HELPER,
  oneFailure,
  type ConfiguredHelpers,
  type HelperListOptions,
} from "./helper-list.js";

export interface LoginStoreOptions extends HelperListOptions {
  /** The auth file login writes (`--authfile`, else $REGISTRY_AUTH_FILE, else podman's). */
  file: string;
  /** registries.conf's credential-helpers; none: the auth file alone. */
  helpers?: ConfiguredHelpers | undefined;
}

/** The helpers in order, the auth file standing as `containers-auth.json`. */
function namesOf(options: LoginStoreOptions): readonly string[] {
  return options.helpers?.names ?? [AUTH_FILES_HELPER];
}

function helperOptions(options: LoginStoreOptions, configuredBy: string): CredentialHelperOptions {
  return {
    configuredBy,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
}

function listedBy(options: LoginStoreOptions): string {
  return `credential-helpers in ${options.helpers?.file ?? "registries.conf"}`;
}

/** The auth file's `credHelpers` entry for a host key, if any. */
async function fileHelperFor(file: string, key: string): Promise<string | undefined> {
  if (key.includes("/")) return undefined;
  // An empty file is an empty configuration, as for the writes.
  const text = await readConfigText(file);
  if (text === undefined || text.trim() === "") return undefined;
  return (await loadDockerConfig(file))?.credHelpers[key];
}

/**
 * Keeps `user:password` for `key` in the first place of the list that takes it; returns that
 * place: the auth file's path, or `docker-credential-NAME`.
 */
export async function storeLogin(
  key: string,
  credential: { username: string; password: string },
  options: LoginStoreOptions,
): Promise<string> {
  const failures: unknown[] = [];
  const secret = { username: credential.username, secret: credential.password };
  for (const name of namesOf(options)) {
    try {
      if (name === AUTH_FILES_HELPER) {
        const inFile = await fileHelperFor(options.file, key);
        if (inFile !== undefined) {
          const by = helperOptions(options, `credHelpers in ${options.file}`);
          await storeInCredentialHelper(inFile, key, secret, by);
          return `docker-credential-${inFile}`;
        }
        await storeAuthEntry(options.file, key, credential);
        return options.file;
      }
      if (key.includes("/")) {
        throw new OcicompatError(
          "AUTH",
          `docker-credential-${name} (${listedBy(options)}) keeps credentials per host, not for the namespace ${key}`,
          { subject: key },
        );
      }
      await storeInCredentialHelper(name, key, secret, helperOptions(options, listedBy(options)));
      return `docker-credential-${name}`;
    } catch (err) {
      failures.push(err);
    }
  }
  throw oneFailure(failures, `no place in ${listedBy(options)} took the credentials for ${key}`);
}

/** Removes `key` from every place of the list that holds it; returns those places. */
export async function eraseLogin(key: string, options: LoginStoreOptions): Promise<string[]> {
  const failures: unknown[] = [];
  const from: string[] = [];
  for (const name of namesOf(options)) {
    try {
      if (name === AUTH_FILES_HELPER) {
        const inFile = await fileHelperFor(options.file, key);
        if (inFile !== undefined) {
          const by = helperOptions(options, `credHelpers in ${options.file}`);
          if (await eraseFromCredentialHelper(inFile, key, by))
            from.push(`docker-credential-${inFile}`);
        }
        if (await removeAuthEntry(options.file, key)) from.push(options.file);
      } else if (!key.includes("/")) {
        const by = helperOptions(options, listedBy(options));
        if (await eraseFromCredentialHelper(name, key, by)) from.push(`docker-credential-${name}`);
      }
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw oneFailure(failures, `removing the credentials for ${key}`);
  return from;
}

/**
 * Removes every login: the auth file's `auths`, and each listed helper's entries (its `list`).
 * Returns the keys removed and the places they were removed from.
 */
export async function eraseAllLogins(
  options: LoginStoreOptions,
): Promise<{ removed: string[]; from: string[] }> {
  const failures: unknown[] = [];
  const removed: string[] = [];
  const from: string[] = [];
  for (const name of namesOf(options)) {
    try {
      if (name === AUTH_FILES_HELPER) {
        const keys = await authEntryKeys(options.file);
        await removeAllAuthEntries(options.file);
        removed.push(...keys);
        from.push(options.file);
      } else {
        const by = helperOptions(options, listedBy(options));
        const servers = await listCredentialHelper(name, by);
        for (const server of servers) await eraseFromCredentialHelper(name, server, by);
        removed.push(...servers);
        from.push(`docker-credential-${name}`);
      }
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw oneFailure(failures, "removing every login");
  return { removed: [...new Set(removed)], from };
}
