// `--timeout` as a user meets it: the built CLI, spawned without blocking this process, against an
// in-test server that trickles its answers (distribution 2.8 cannot be made to). The outcome is
// asserted: exit 2, one TIMEOUT line naming the reference, no stack trace; never how long it took.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import { startServer, type TestServer } from "../content/registry/helpers.js";
import { hasStackTrace, type CliResult } from "./run-cli.js";

let server: TestServer;
const timers = new Set<NodeJS.Timeout>();

/** One byte every 200 ms, far below any transfer floor, and never the end. */
function trickle(res: ServerResponse, size: number): void {
  res.writeHead(200, {
    "content-type": "application/vnd.oci.image.index.v1+json",
    "content-length": String(size),
  });
  const timer = setInterval(() => {
    if (res.destroyed) clearInterval(timer);
    else res.write("{");
  }, 200);
  timers.add(timer);
}

before(async () => {
  server = await startServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/v2/" || path === "/v2") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    } else if (req.method === "HEAD") {
      // Too little to resolve the tag: the client falls back to a GET, which trickles.
      res.writeHead(200);
      res.end();
    } else trickle(res, 100_000);
  });
});

after(async () => {
  for (const t of timers) clearInterval(t);
  await server?.close();
});

function runCliAsync(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/ocicompat.js", ...args], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("ocicompat --timeout (spawned; an in-test server that trickles)", () => {
  for (const [command, ref] of [
    ["inspect", () => `${server.host}/team/app:v1`],
    ["inspect --raw", () => `${server.host}/team/app:v1`],
    ["ls", () => `${server.host}/team/app`],
  ] as const) {
    test(
      `${command} against a trickling registry exits 2 with a TIMEOUT line naming the reference, no stack trace`,
      { timeout: 30_000 },
      async () => {
        const r = await runCliAsync([...command.split(" "), ref(), "--timeout", "1500ms"]);
        assert.equal(r.status, 2, r.stderr);
        assert.equal(r.stdout, "");
        assert.equal(hasStackTrace(r.stderr), false, r.stderr);
        const lines = r.stderr.trim().split("\n");
        assert.equal(lines.length, 1, r.stderr);
        assert.match(
          lines[0] ?? "",
          new RegExp(
            `^ocicompat: ${ref().replace(/[.]/g, "\\.")}: gave up after 1500ms \\(--timeout\\)`,
          ),
        );
      },
    );
  }
});
