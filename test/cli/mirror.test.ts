// `ocicompat mirror` as a process: it logs `listening` and one JSON line per decision on stdout,
// re-reads its node profile on SIGHUP, stops on SIGTERM with status 0, and refuses bad
// configuration with status 2 and one error line.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { tempDir } from "../content/layout-support.js";
import { levelsImage } from "../ops/mirror/support.js";
import { pushToRegistry } from "../ops/select-support.js";
import { freePort, startRegistry, type TestRegistry } from "../support/registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

const image = levelsImage("cli");
let registry: TestRegistry;
const work = tempDir("ocicompat-cli-mirror-");

before(async () => {
  registry = await startRegistry();
  await pushToRegistry(registry.host, "team/app", image.blobs, image.index.desc, "1.0");
});
after(async () => {
  await registry?.stop();
  work.remove();
});

/** The next stdout line whose event is `event`. */
function nextEvent(lines: AsyncIterator<string>, event: string): Promise<Record<string, unknown>> {
  return (async () => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error(`the mirror ended before logging ${event}`);
      const entry = JSON.parse(value) as Record<string, unknown>;
      if (entry["event"] === event) return entry;
    }
  })();
}

test("the mirror serves the node's variant, re-reads its profile on SIGHUP and stops on SIGTERM with status 0", async () => {
  const node = join(work.path, "node.json");
  copyFileSync("examples/nodes/intel-spr.json", node);
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "bin/ocicompat.js",
      "mirror",
      "--listen",
      `127.0.0.1:${port}`,
      "--upstream",
      registry.host,
      "--node",
      node,
      "--no-cache",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  assert.ok(child.stdout);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  try {
    const listening = await nextEvent(lines, "listening");
    assert.equal(listening["url"], `http://127.0.0.1:${port}`);
    assert.equal(listening["node"], "intel-spr");

    const first = await fetch(`http://127.0.0.1:${port}/v2/team/app/manifests/1.0`);
    await first.arrayBuffer();
    assert.equal(first.headers.get("docker-content-digest"), image.v3.manifest.desc.digest);
    const decision = await nextEvent(lines, "decision");
    assert.equal(decision["chosenDigest"], image.v3.manifest.desc.digest);

    copyFileSync("examples/nodes/old-xeon.json", node);
    child.kill("SIGHUP");
    const reloaded = await nextEvent(lines, "node-reloaded");
    assert.equal(reloaded["node"], "old-xeon");
    const second = await fetch(`http://127.0.0.1:${port}/v2/team/app/manifests/1.0`);
    await second.arrayBuffer();
    assert.equal(second.headers.get("docker-content-digest"), image.baseline.manifest.desc.digest);
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal(await exited, 0, stderr);
});

test("a configuration file with an unknown key is refused with status 2, naming the file and the key", () => {
  const config = join(work.path, "bad.yaml");
  writeFileSync(config, "upstreams: [registry.example]\nlisten_on: 0.0.0.0:1\n");
  const result = runCli(["mirror", "--config", config]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /bad\.yaml: \$\.listen_on: unknown key/);
  assert.ok(!hasStackTrace(result.stderr));
});

test("a mirror without an upstream is a usage error (status 2)", () => {
  const result = runCli([
    "mirror",
    "--node",
    "examples/nodes/intel-spr.json",
    "--listen",
    "127.0.0.1:0",
  ]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /needs at least one upstream/);
});

test("--registries-conf names the file whose credential-helpers apply: one that does not exist is refused at start with status 2, naming it; the configuration file's registriesConf does the same", () => {
  const missing = join(work.path, "no-such-registries.conf");
  const args = ["--upstream", registry.host, "--node", "examples/nodes/intel-spr.json"];
  const flag = runCli(["mirror", ...args, "--listen", "127.0.0.1:0", "--registries-conf", missing]);
  assert.equal(flag.status, 2, flag.stderr);
  assert.ok(flag.stderr.includes(missing), flag.stderr);
  assert.ok(!hasStackTrace(flag.stderr));
  const config = join(work.path, "conf.yaml");
  writeFileSync(config, `listen: 127.0.0.1:0\nregistriesConf: ${missing}\n`);
  const file = runCli(["mirror", ...args, "--config", config]);
  assert.equal(file.status, 2, file.stderr);
  assert.ok(file.stderr.includes(missing), file.stderr);
  writeFileSync(config, "registriesConf: true\n");
  const wrong = runCli(["mirror", ...args, "--config", config]);
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /\$\.registriesConf: must be a file name, or false/);
});
