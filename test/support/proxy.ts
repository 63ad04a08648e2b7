// A real forward proxy for the proxy tests: squid (Debian's package), on 127.0.0.1 at free
// ports, with its configuration, logs and PID file in a temporary directory, stopped by PID.
// Host names are resolved from a hosts file of squid's own (`hosts_file`), so a test can name a
// registry that only the proxy can find: a request that reaches it went through the proxy.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, stopChild } from "./registry.js";

const BINARY = "/usr/sbin/squid";
const BASIC_AUTH_HELPER = "/usr/lib/squid/basic_ncsa_auth";

export interface ProxyOptions {
  /** Host name → IP address, as only the proxy resolves them. */
  hosts: Record<string, string>;
  /** Require Basic proxy authentication with these users (name → password). */
  users?: Record<string, string>;
  /** Also listen for TLS (an `https://` proxy) with this certificate and key. */
  tls?: { cert: string; key: string };
}

/** One line of squid's access log. */
export interface ProxyLogEntry {
  /** `TCP_TUNNEL/200`, `TCP_MISS/201`, `TCP_DENIED/407`... */
  result: string;
  method: string;
  /** `host:port` for CONNECT, the absolute URL for a forwarded request. */
  url: string;
  /** The proxy user, or `-`. */
  user: string;
}

export interface TestProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `https://127.0.0.1:PORT`, when started with `tls`. */
  httpsUrl?: string;
  /** What the access log holds now (squid writes a tunnel's line when the tunnel closes). */
  log(): ProxyLogEntry[];
  /** Waits until the log holds at least `count` lines matching `filter` (5 s at most). */
  waitForLog(
    filter: (e: ProxyLogEntry) => boolean,
    count?: number,
    timeoutMs?: number,
  ): Promise<ProxyLogEntry[]>;
  stop(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<TestProxy> {
  const dir = mkdtempSync(join(tmpdir(), "ocicompat-proxy-"));
  // Run as root, squid drops to the `proxy` user, which must write its logs here.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const tlsPort = options.tls === undefined ? undefined : await freePort();
  const hosts = join(dir, "hosts");
  writeFileSync(
    hosts,
    Object.entries(options.hosts)
      .map(([name, ip]) => `${ip} ${name}\n`)
      .join(""),
  );
  const accessLog = join(dir, "access.log");
  // Copies the proxy user can read.
  const tls =
    options.tls === undefined
      ? undefined
      : {
          cert: readableCopy(options.tls.cert, dir, "cert.pem"),
          key: readableCopy(options.tls.key, dir, "key.pem"),
        };
  const lines = [
    `http_port 127.0.0.1:${port}`,
    ...(tls === undefined
      ? []
      : [`https_port 127.0.0.1:${tlsPort} tls-cert=${tls.cert} tls-key=${tls.key}`]),
    `pid_filename ${join(dir, "squid.pid")}`,
    `cache_log ${join(dir, "cache.log")}`,
    `access_log stdio:${accessLog}`,
    `coredump_dir ${dir}`,
    `hosts_file ${hosts}`,
    "visible_hostname ocicompat-test-proxy",
    "cache deny all",
    "cache_mem 8 MB",
    "pinger_enable off",
    "shutdown_lifetime 0 seconds",
    ...(process.getuid?.() === 0 ? ["cache_effective_user proxy"] : []),
  ];
  if (options.users !== undefined) {
    const passwd = join(dir, "passwd");
    writeFileSync(
      passwd,
      Object.entries(options.users)
        .map(([name, password]) => `${name}:${apr1(password)}\n`)
        .join(""),
    );
    chmodSync(passwd, 0o644);
    lines.push(
      `auth_param basic program ${BASIC_AUTH_HELPER} ${passwd}`,
      "auth_param basic realm ocicompat-test-proxy",
      "acl users proxy_auth REQUIRED",
      "http_access allow users",
      "http_access deny all",
    );
  } else {
    lines.push("http_access allow all");
  }
  const config = join(dir, "squid.conf");
  writeFileSync(config, `${lines.join("\n")}\n`);
  chmodSync(hosts, 0o644);

  const child = spawn(BINARY, ["-N", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    await waitUntilListening(port, child, () => `${stderr}${tail(join(dir, "cache.log"))}`);
    if (tlsPort !== undefined) await waitUntilListening(tlsPort, child, () => stderr);
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const log = (): ProxyLogEntry[] => parseLog(accessLog);
  return {
    url: `http://127.0.0.1:${port}`,
    ...(tlsPort === undefined ? {} : { httpsUrl: `https://127.0.0.1:${tlsPort}` }),
    log,
    async waitForLog(filter, count = 1, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = log().filter(filter);
        if (found.length >= count || Date.now() > deadline) return found;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readableCopy(file: string, dir: string, name: string): string {
  const copy = join(dir, name);
  copyFileSync(file, copy);
  chmodSync(copy, 0o644);
  return copy;
}

/** An Apache MD5 (`$apr1$`) password hash, which squid's basic_ncsa_auth reads. */
function apr1(password: string): string {
  return execFileSync("openssl", ["passwd", "-apr1", password], { encoding: "utf8" }).trim();
}

function parseLog(file: string): ProxyLogEntry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  // time elapsed client result bytes method url user hierarchy type
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const f = l.trim().split(/\s+/);
      return { result: f[3] ?? "", method: f[5] ?? "", url: f[6] ?? "", user: f[7] ?? "" };
    });
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-2000);
  } catch {
    return "";
  }
}

async function waitUntilListening(
  port: number,
  child: ChildProcess,
  diagnostics: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`squid exited with ${child.exitCode}: ${diagnostics()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`squid did not listen on 127.0.0.1:${port} within 15 s: ${diagnostics()}`);
}
