// Where the on-disk cache lives: its default directory, and which digests it can hold under a
// file name of their own. Naming needs no I/O, and cache/store.ts asks it what is cacheable.
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { digestProblem, RegisteredAlgorithms, type RegisteredAlgorithm } from "../../oci/digest.js";

/** `$OCICOMPAT_CACHE_DIR`, else `$XDG_CACHE_HOME/ocicompat`, else `~/.cache/ocicompat`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env["OCICOMPAT_CACHE_DIR"]) return env["OCICOMPAT_CACHE_DIR"];
  // The XDG base directory spec says a relative path in these variables is invalid and ignored.
  const xdg = env["XDG_CACHE_HOME"];
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache");
  return join(base, "ocicompat");
}

/** Whether the cache can hold content with this digest: well formed, and an algorithm it can check. */
export function isCacheableDigest(digest: string): boolean {
  return locate(digest) !== undefined;
}

export interface Located {
  algorithm: RegisteredAlgorithm;
  hex: string;
}

export function locate(digest: string): Located | undefined {
  // digestProblem holds registered algorithms to exact lowercase hex, so the name is path-safe.
  if (digestProblem(digest) !== undefined) return undefined;
  const colon = digest.indexOf(":");
  const algorithm = digest.slice(0, colon);
  if (!Object.hasOwn(RegisteredAlgorithms, algorithm)) return undefined;
  return { algorithm: algorithm as RegisteredAlgorithm, hex: digest.slice(colon + 1) };
}
