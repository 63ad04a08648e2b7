// Runs the built CLI as a user does: a separate process, real argv, real exit status.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { isolatedEnv } from "../support/cli-env.js";

export { isolatedEnv };

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const BIN = "bin/ocicompat.js";

export function runCli(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): CliResult {
  if (!existsSync("dist/cli/main.cjs")) {
    throw new Error("dist/ is missing: run `npm run build` first (npm test does it)");
  }
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    input: options.input ?? "",
    env: { ...process.env, NO_COLOR: "1", ...isolatedEnv(options.env) },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** True when the output shows a JavaScript stack trace, which users must never see. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+:\d+:\d+\)?$/m.test(text);
}
