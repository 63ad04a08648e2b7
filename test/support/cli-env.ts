// The environment of a CLI process a test starts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Runs never share the user's cache directory (nor, unless a test says so, each other's): `copy`
// remembers there where blobs were seen, and a memory left by another test would add mounts.
let scratch: string | undefined;
let runs = 0;
/** The environment of a CLI run: a cache directory of its own unless `env` names one. */
export function isolatedEnv(env: Record<string, string> = {}): Record<string, string> {
  if (env["OCICOMPAT_CACHE_DIR"] !== undefined || env["XDG_CACHE_HOME"] !== undefined) return env;
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "ocicompat-cli-cache-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    scratch = dir;
  }
  return { OCICOMPAT_CACHE_DIR: join(scratch, String(runs++)), ...env };
}
