// The environment of a CLI process a test starts.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
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

/**
 * A fresh HOME and XDG_RUNTIME_DIR under `dir`, and the environment of a CLI run in which none of
 * the real user's credential settings leak in (auth files, docker's config, --creds variables).
 */
export function credentialSandbox(dir: string): {
  home: string;
  runtime: string;
  env: Record<string, string>;
} {
  const home = join(dir, "home");
  const runtime = join(dir, "run");
  for (const d of [home, runtime]) mkdirSync(d, { recursive: true, mode: 0o700 });
  return {
    home,
    runtime,
    env: {
      HOME: home,
      XDG_RUNTIME_DIR: runtime,
      XDG_CONFIG_HOME: "",
      DOCKER_CONFIG: "",
      REGISTRY_AUTH_FILE: "",
      OCICOMPAT_CREDS: "",
      OCICOMPAT_SRC_CREDS: "",
      OCICOMPAT_DEST_CREDS: "",
    },
  };
}
