// A real CNCF distribution registry (Debian's docker-registry) for tests: 127.0.0.1, a free
// port, temporary storage, stopped by PID. Optionally with htpasswd Basic auth or bearer tokens, and
// with TLS.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  storage: string;
  pid: number;
  stop(): Promise<void>;
  /** Stops the registry, runs `docker-registry garbage-collect`, starts it again on the same port. */
  garbageCollect(options?: { deleteUntagged?: boolean }): Promise<string>;
  /** Stops the process and keeps its storage: connections are refused until `resume`. */
  suspend(): Promise<void>;
  /** Starts it again on the same port and storage, and waits until it serves. */
  resume(): Promise<void>;
}

export interface RegistryOptions {
  /** An htpasswd file's content (bcrypt entries) to require Basic auth. */
  htpasswd?: string;
  /**
   * Require bearer tokens (the docker token spec) from this token service, whose tokens are
   * signed by the certificate in `rootCertBundle` (test/support/token-service.ts).
   */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Serve HTTPS with this certificate and key (PEM files; test/support/certificate.ts). */
  tls?: {
    cert: string;
    key: string;
    /** Require client certificates issued by this CA (mutual TLS); `cert`/`key` are one. */
    client?: { ca: string; cert: string; key: string };
  };
}

const BINARY = "/usr/bin/docker-registry";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function writeConfig(dir: string, storage: string, port: number, options: RegistryOptions): string {
  const lines = [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${storage}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
  ];
  if (options.tls !== undefined) {
    lines.push("  tls:", `    certificate: ${options.tls.cert}`, `    key: ${options.tls.key}`);
    if (options.tls.client !== undefined)
      lines.push("    clientcas:", `      - ${options.tls.client.ca}`);
  }
  if (options.htpasswd !== undefined) {
    const file = join(dir, "htpasswd");
    writeFileSync(file, options.htpasswd);
    lines.push("auth:", "  htpasswd:", "    realm: ocicompat-test", `    path: ${file}`);
  }
  if (options.token !== undefined) {
    const t = options.token;
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${t.realm}`,
      `    service: ${t.service}`,
      `    issuer: ${t.issuer}`,
      `    rootcertbundle: ${t.rootCertBundle}`,
    );
  }
  const config = join(dir, "config.yml");
  writeFileSync(config, `${lines.join("\n")}\n`);
  return config;
}

/** How the readiness probe speaks TLS: the CA it trusts, and a client certificate if needed. */
interface TlsProbe {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** The status of `GET url`, with `tls` for HTTPS (fetch cannot be given a CA). */
function statusOf(url: string, tls: TlsProbe | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith("https:") ? httpsGet : httpGet)(
      url,
      { agent: false, ...tls },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
  });
}

async function waitUntilServing(
  url: string,
  child: ChildProcess,
  stderr: () => string,
  tls?: TlsProbe,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr()}`);
    try {
      const status = await statusOf(`${url}/v2/`, tls);
      if (status === 200 || status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer on ${url} within 15 s: ${stderr()}`);
}

function launch(config: string): { child: ChildProcess; stderr: () => string } {
  const child = spawn(BINARY, ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  return { child, stderr: () => err };
}

/** Stops a server started by a test: SIGTERM, then SIGKILL after 5 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "ocicompat-registry-"));
  const storage = join(dir, "storage");
  const port = await freePort();
  const config = writeConfig(dir, storage, port, options);
  const host = `127.0.0.1:${port}`;
  const url = `${options.tls ? "https" : "http"}://${host}`;
  const client = options.tls?.client;
  const probe: TlsProbe | undefined = options.tls && {
    ca: readFileSync(options.tls.cert),
    ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
  };
  let running = launch(config);
  await waitUntilServing(url, running.child, running.stderr, probe);
  const registry: TestRegistry = {
    host,
    url,
    storage,
    get pid() {
      return running.child.pid ?? -1;
    },
    async stop() {
      await stopChild(running.child);
      rmSync(dir, { recursive: true, force: true });
    },
    async garbageCollect(gc = {}) {
      await stopChild(running.child);
      const args = ["garbage-collect", ...(gc.deleteUntagged ? ["--delete-untagged"] : []), config];
      const result = spawnSync(BINARY, args, { encoding: "utf8" });
      if (result.status !== 0) throw new Error(`garbage-collect failed: ${result.stderr}`);
      running = launch(config);
      await waitUntilServing(url, running.child, running.stderr, probe);
      return result.stdout;
    },
    async suspend() {
      await stopChild(running.child);
    },
    async resume() {
      running = launch(config);
      await waitUntilServing(url, running.child, running.stderr, probe);
    },
  };
  return registry;
}
