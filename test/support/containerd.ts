// A real containerd daemon (Debian's package, unmodified) for tests: a temporary root, state and
// socket under a directory of the test's, the native snapshotter only (no CRI, no overlayfs), and
// `ctr` pointed at it. Started and stopped by its PID, never by name.
import { execFile, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestContext } from "node:test";

// Asynchronous: registries and mirrors in the test's process must keep answering while ctr runs.
const exec = promisify(execFile);

export interface Containerd {
  /** The daemon's gRPC socket, for `ctr --address`. */
  readonly socket: string;
  /** `ctr --address SOCKET [--namespace NAMESPACE] ARGS...`; rejects when ctr exits non-zero. */
  ctr(args: readonly string[], options?: CtrOptions): Promise<{ stdout: string; stderr: string }>;
  /** The digest containerd recorded as REFERENCE's target in NAMESPACE (`ctr images ls`), or "". */
  target(namespace: string, reference: string): Promise<string>;
  /** Stops the daemon (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface CtrOptions {
  namespace?: string;
  /** Milliseconds; 120 s unless given. */
  timeout?: number;
}

/**
 * Starts containerd with its root, state and sockets in DIR and waits until `ctr version`
 * reaches it. Rejects, with the call that failed and its message, when this machine cannot run
 * the daemon (see `skipWithoutContainerd`); the daemon is stopped then.
 */
export async function startContainerd(dir: string): Promise<Containerd> {
  const socket = join(dir, "containerd.sock");
  const config = join(dir, "config.toml");
  writeFileSync(
    config,
    [
      "version = 2",
      `root = "${join(dir, "root")}"`,
      `state = "${join(dir, "state")}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.overlayfs"]',
      "[grpc]",
      `  address = "${socket}"`,
      "[ttrpc]",
      `  address = "${join(dir, "ttrpc.sock")}"`,
      "",
    ].join("\n"),
  );
  let log = "";
  let spawnError: Error | undefined;
  const daemon = spawn("containerd", ["--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  // Without a listener, a missing binary would be an uncaught 'error' rather than a reason.
  daemon.on("error", (err) => (spawnError = err));
  daemon.stderr?.on("data", (d: Buffer) => {
    log = (log + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()));
  const running = (): boolean => daemon.exitCode === null && daemon.signalCode === null;
  const stop = async (): Promise<void> => {
    if (daemon.pid === undefined || !running()) return;
    daemon.kill("SIGTERM");
    await exited;
  };
  const ctr: Containerd["ctr"] = async (args, options = {}) => {
    const global = ["--address", socket];
    if (options.namespace !== undefined) global.push("--namespace", options.namespace);
    const { stdout, stderr } = await exec("ctr", [...global, ...args], {
      timeout: options.timeout ?? 120_000,
      encoding: "utf8",
    });
    return { stdout, stderr };
  };
  const target: Containerd["target"] = async (namespace, reference) => {
    const listed = await ctr(["images", "ls"], { namespace });
    const row = listed.stdout.split("\n").find((l) => l.startsWith(`${reference} `));
    return /sha256:[0-9a-f]{64}/.exec(row ?? "")?.[0] ?? "";
  };

  const deadline = Date.now() + 20_000;
  let last = "";
  while (Date.now() < deadline) {
    if (spawnError !== undefined) {
      throw new Error(`\`containerd --config\` could not start: ${spawnError.message}`);
    }
    if (!running()) {
      throw new Error(`\`containerd --config\` exited with ${daemon.exitCode}: ${log}`);
    }
    try {
      await ctr(["version"], { timeout: 5000 });
      return { socket, ctr, target, stop };
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`\`ctr version\` never reached the daemon: ${last}; containerd said: ${log}`);
}

/**
 * Skips the test, saying why, when the daemon could not start (`cannotRun` is then
 * `startContainerd`'s message); returns whether it did.
 */
export function skipWithoutContainerd(t: TestContext, cannotRun: string | undefined): boolean {
  if (cannotRun === undefined) return false;
  t.skip(`this machine cannot run the containerd daemon: ${cannotRun}`);
  return true;
}
