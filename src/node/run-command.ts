// Runs a site's own program (a hook, a label pack's discovery command) without a shell, with a
// time limit. The program gets its own process group so that on timeout everything it started
// is killed too: otherwise a `sleep` left behind by a shell script would hold the output pipe
// open and keep discovery waiting.

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the program could not be started at all (not found, not executable). */
  startError?: string;
}

export interface RunCommandOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Output beyond this is dropped: a fact is a line or two, not megabytes. */
  maxOutputBytes?: number;
}

/** After the program exits, how long to wait for its output pipes to close. */
const CLOSE_GRACE_MS = 200;

function collector(max: number): { push(chunk: Buffer): void; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      if (size >= max) return;
      chunks.push(chunk.subarray(0, max - size));
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}

export async function runCommand(
  argv: readonly string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  const [program, ...args] = argv;
  if (program === undefined) {
    return {
      exitCode: null,
      signal: null,
      stdout: "",
      stderr: "",
      timedOut: false,
      startError: "empty command",
    };
  }
  // Loaded here, not with the module: most discoveries run no command, and node:child_process
  // (with the networking modules it brings) cost every one of them ~5 ms of CPU.
  const { spawn } = await import("node:child_process");
  const max = options.maxOutputBytes ?? 64 * 1024;
  const stdout = collector(max);
  const stderr = collector(max);
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    const child = spawn(program, args, {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: options.env ?? process.env,
    });
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const finish = (result: Omit<CommandResult, "stdout" | "stderr" | "timedOut">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, stdout: stdout.text(), stderr: stderr.text(), timedOut });
    };
    child.stdout.on("data", (c: Buffer) => stdout.push(c));
    child.stderr.on("data", (c: Buffer) => stderr.push(c));
    child.on("error", (err) => finish({ exitCode: null, signal: null, startError: err.message }));
    child.on("exit", (exitCode, signal) => {
      // Something the program left running may still hold the pipes; don't wait for it long.
      const grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish({ exitCode, signal });
      }, CLOSE_GRACE_MS);
      child.on("close", () => {
        clearTimeout(grace);
        finish({ exitCode, signal });
      });
    });
  });
}

/** One line describing why a command gave no usable output, or undefined when it succeeded. */
export function commandFailure(result: CommandResult, timeoutMs: number): string | undefined {
  if (result.startError !== undefined) return `could not be started: ${result.startError}`;
  if (result.timedOut) return `timed out after ${timeoutMs} ms and was killed`;
  if (result.signal !== null) return `was killed by ${result.signal}`;
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split("\n")[0];
    return `exited with status ${result.exitCode}${reason ? `: ${reason}` : ""}`;
  }
  return undefined;
}
