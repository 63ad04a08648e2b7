// registries.conf's `credential-helpers` (containers-registries.conf(5)), as containers/image reads
// it: the helpers are asked in order, and the first with credentials for the registry host
// answers. `containers-auth.json` in the list stands for the auth files (the usual chain, or the
// one `--authfile` names); any other name is a docker-credential-NAME program, asked for the host
// only (helpers hold no per-repository credentials). A helper that fails does not stop the search;
// when none answers, the failures are the error. Without the setting, the auth files alone answer.
import { OcicompatError, errorMessage } from "../../oci/errors.js";
import { runCredentialHelper } from "./credential-helper.js";
import type { Credential, CredentialProvider } from "./credentials.js";

/** The name that stands for the auth files in the list. */
export const AUTH_FILES_HELPER = "containers-auth.json";

export interface ConfiguredHelpers {
  names: readonly string[];
  /** The registries.conf file that set the list, for messages. */
  file: string;
}

export interface HelperListOptions {
  /** The helpers' environment, PATH included. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * `authFiles`, or the configured helpers in their order with `authFiles` where the list names
 * `containers-auth.json`. `configured` is read at the first lookup (registries.conf is read
 * lazily); undefined means no list.
 */
export function withCredentialHelpers(
  authFiles: CredentialProvider,
  configured: () => Promise<ConfiguredHelpers | undefined>,
  options: HelperListOptions = {},
): CredentialProvider {
  const helperOptions = (file: string) => ({
    configuredBy: `credential-helpers in ${file}`,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const provider: CredentialProvider = async (registry) => {
    const list = await configured();
    if (list === undefined) return authFiles(registry);
    const failures: unknown[] = [];
    for (const name of list.names) {
      try {
        const found: Credential | undefined =
          name === AUTH_FILES_HELPER
            ? await authFiles(registry)
            : await runCredentialHelper(name, registry, helperOptions(list.file));
        if (found !== undefined) return found;
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) {
      throw oneFailure(failures, `no credential helper of ${list.file} answered for ${registry}`);
    }
    return undefined;
  };
  provider.searched = async (registry) => {
    const list = await configured().catch(() => undefined);
    if (list === undefined) return (await authFiles.searched?.(registry)) ?? [];
    const places: string[] = [];
    for (const name of list.names) {
      if (name === AUTH_FILES_HELPER)
        places.push(...((await authFiles.searched?.(registry)) ?? []));
      else places.push(`docker-credential-${name} (credential-helpers in ${list.file})`);
    }
    return places;
  };
  return provider;
}

/** The one failure as it came, or several as one AUTH error after `what`. */
export function oneFailure(failures: readonly unknown[], what: string): unknown {
  if (failures.length === 1) return failures[0];
  const reasons = failures.map((f) => errorMessage(f));
  return new OcicompatError("AUTH", `${what}: ${reasons.join("; ")}`);
}
