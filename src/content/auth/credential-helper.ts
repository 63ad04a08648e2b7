// The docker-credential-helpers protocol: `get` writes the server URL to the helper's stdin and
// reads `{"ServerURL","Username","Secret"}` from its stdout; `store` writes that object; `erase`
// writes the server URL; `list` reads `{"SERVER": "USER"}`. A helper that has nothing for the
// server exits non-zero saying "credentials not found"; that is "no credentials", not an error.
// The user name `<token>` marks the secret as an identity token.
import { OcicompatError } from "../../oci/errors.js";
import type { Credential } from "./credentials.js";

export interface CredentialHelperOptions {
  /** Environment of the helper, PATH included. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** The helper is killed after this long. Default: 30 s (a keychain may ask the user). */
  timeoutMs?: number;
  /** Where the helper was configured, for messages: `credsStore in /home/u/.docker/config.json`. */
  configuredBy?: string;
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const OUTPUT_LIMIT = 64 * 1024;
const IDENTITY_TOKEN_USERNAME = "<token>";

export async function runCredentialHelper(
  helper: string,
  serverUrl: string,
  options: CredentialHelperOptions = {},
): Promise<Credential | undefined> {
  const { code, stdout, stderr } = await invoke(helper, "get", serverUrl, serverUrl, options);
  if (code !== 0) {
    if (isNotFound(stdout, stderr)) return undefined;
    throw failure(helper, "get", serverUrl, stderr, code, options);
  }
  return parseHelperAnswer(`docker-credential-${helper}`, serverUrl, stdout);
}

/** `docker-credential-NAME store`: keeps `username` and `secret` for `serverUrl` in the helper. */
export async function storeInCredentialHelper(
  helper: string,
  serverUrl: string,
  credential: { username: string; secret: string },
  options: CredentialHelperOptions = {},
): Promise<void> {
  const input = JSON.stringify({
    ServerURL: serverUrl,
    Username: credential.username,
    Secret: credential.secret,
  });
  const { code, stderr } = await invoke(helper, "store", input, serverUrl, options);
  if (code !== 0) throw failure(helper, "store", serverUrl, stderr, code, options);
}

/** `docker-credential-NAME erase`: false when the helper held nothing for `serverUrl`. */
export async function eraseFromCredentialHelper(
  helper: string,
  serverUrl: string,
  options: CredentialHelperOptions = {},
): Promise<boolean> {
  const { code, stdout, stderr } = await invoke(helper, "erase", serverUrl, serverUrl, options);
  if (code === 0) return true;
  if (isNotFound(stdout, stderr)) return false;
  throw failure(helper, "erase", serverUrl, stderr, code, options);
}

/** `docker-credential-NAME list`: the servers the helper holds credentials for. */
export async function listCredentialHelper(
  helper: string,
  options: CredentialHelperOptions = {},
): Promise<string[]> {
  const program = `docker-credential-${helper}`;
  const { code, stdout, stderr } = await invoke(helper, "list", "", program, options);
  if (code !== 0) throw failure(helper, "list", "its entries", stderr, code, options);
  return Object.keys(jsonObjectFrom(program, program, stdout));
}

/** The helper's stdout as a JSON object, else an error that does not show it (it may be secret). */
function jsonObjectFrom(program: string, subject: string, stdout: string): Record<string, unknown> {
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    throw new OcicompatError(
      "AUTH",
      `credential helper ${program} printed something that is not JSON`,
      {
        subject,
      },
    );
  }
  if (answer === null || typeof answer !== "object" || Array.isArray(answer)) {
    throw new OcicompatError("AUTH", `credential helper ${program} did not print a JSON object`, {
      subject,
    });
  }
  return answer as Record<string, unknown>;
}

// The helpers print this exact phrase (credentials.ErrCredentialsNotFound) on stdout.
function isNotFound(stdout: string, stderr: string): boolean {
  return /credentials not found/i.test(stdout) || /credentials not found/i.test(stderr);
}

function where(options: CredentialHelperOptions): string {
  return options.configuredBy ? ` (${options.configuredBy})` : "";
}

function failure(
  helper: string,
  action: string,
  subject: string,
  stderr: string,
  code: number | null,
  options: CredentialHelperOptions,
): OcicompatError {
  // Only the helper's diagnostics are shown; its stdout could hold a secret.
  const reason = firstLine(stderr) || `exit status ${code}`;
  const what = action === "get" ? "" : ` ${action}`;
  return new OcicompatError(
    "AUTH",
    `credential helper docker-credential-${helper}${what} failed for ${subject}${where(options)}: ${reason}`,
    { subject },
  );
}

/** Runs the helper with `action`, `input` on stdin; a helper that cannot run is an error. */
async function invoke(
  helper: string,
  action: "get" | "store" | "erase" | "list",
  input: string,
  subject: string,
  options: CredentialHelperOptions,
): Promise<RunResult> {
  const program = `docker-credential-${helper}`;
  if (!HELPER_NAME.test(helper)) {
    throw new OcicompatError(
      "AUTH",
      `credential helper name "${helper}" is not valid${where(options)}`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const result = await run(program, action, input, options.env ?? process.env, timeoutMs);
  if (result.spawnError !== undefined) {
    const missing = (result.spawnError as NodeJS.ErrnoException).code === "ENOENT";
    throw new OcicompatError(
      "AUTH",
      missing
        ? `credential helper ${program} is not on PATH${where(options)}`
        : `credential helper ${program} could not be started${where(options)}: ${result.spawnError.message}`,
      { subject, cause: result.spawnError },
    );
  }
  if (result.timedOut) {
    throw new OcicompatError(
      "AUTH",
      `credential helper ${program} did not answer within ${timeoutMs} ms${where(options)}`,
      { subject },
    );
  }
  return result;
}

function parseHelperAnswer(
  program: string,
  serverUrl: string,
  stdout: string,
): Credential | undefined {
  const answer = jsonObjectFrom(program, serverUrl, stdout);
  const { Username: username, Secret: secret } = answer;
  if (typeof secret !== "string" || (username !== undefined && typeof username !== "string")) {
    throw new OcicompatError(
      "AUTH",
      `credential helper ${program} answered without a string "Secret" (and "Username")`,
      { subject: serverUrl },
    );
  }
  if (secret === "") return undefined;
  if (username === IDENTITY_TOKEN_USERNAME) return { kind: "identity-token", token: secret };
  return { kind: "basic", username: username ?? "", password: secret };
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  spawnError?: Error;
  timedOut: boolean;
}

async function run(
  program: string,
  action: string,
  input: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<RunResult> {
  // Loaded on first use: most runs need no helper, and child_process adds to every start-up.
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn(program, [action], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let spawnError: Error | undefined;
    let settled = false;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const result: RunResult = { code, stdout, stderr, timedOut };
      if (spawnError !== undefined) result.spawnError = spawnError;
      resolve(result);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
      // A grandchild may still hold the pipes open; do not wait for it.
      child.stdout.destroy();
      child.stderr.destroy();
      finish(null);
    }, timeoutMs);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += d;
    });
    child.stderr.on("data", (d: string) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += d;
    });
    child.on("error", (err) => {
      spawnError = err;
    });
    // A helper that exits without reading stdin makes the write fail with EPIPE; its exit status
    // is what matters then.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
    child.on("close", (code) => finish(code));
  });
}

function firstLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
