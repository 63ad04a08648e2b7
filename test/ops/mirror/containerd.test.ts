// Real containerd (Debian's package), unmodified: a daemon started here with a temporary root,
// state and socket, and `ctr images pull --hosts-dir` with the native snapshotter. A hosts.toml
// names the mirror as a pull/resolve host of the registry, containerd's mirror convention (the
// mirror sees `?ns=<registry>`). Pulled directly, containerd's platform matcher takes the baseline
// linux/amd64 entry; through the mirror it takes what `ocicompat select` chooses for the node.
// If this machine cannot run the containerd daemon, the tests say which call failed and skip.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test, type TestContext } from "node:test";
import { createStoreOpener } from "../../../src/content/open.js";
import { selectImage } from "../../../src/ops/select.js";
import { tempDir } from "../../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { pushToRegistry } from "../select-support.js";
import { catalog, levelsImage, mirrorFor, profile, type TestMirror } from "./support.js";

// Asynchronous: the mirror runs in this process, so a synchronous spawn would starve it.
const exec = promisify(execFile);
const image = levelsImage("containerd");
const NAMESPACE = "ocicompat-test";
let registry: TestRegistry;
let work: ReturnType<typeof tempDir>;
let daemon: ChildProcess | undefined;
let socket = "";
/** Why the daemon could not run here: the call that failed and its message. */
let cannotRun: string | undefined;
let run = 0;

async function startContainerd(dir: string): Promise<void> {
  socket = join(dir, "containerd.sock");
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
  daemon = spawn("containerd", ["--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  daemon.stderr?.on("data", (d: Buffer) => {
    log = (log + d.toString()).slice(-2000);
  });
  const deadline = Date.now() + 20_000;
  let last = "";
  while (Date.now() < deadline) {
    if (daemon.exitCode !== null) {
      throw new Error(`\`containerd --config\` exited with ${daemon.exitCode}: ${log}`);
    }
    try {
      await exec("ctr", ["--address", socket, "version"], { timeout: 5000 });
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`\`ctr version\` never reached the daemon: ${last}; containerd said: ${log}`);
}

before(async () => {
  registry = await startRegistry();
  await pushToRegistry(registry.host, "team/app", image.blobs, image.index.desc, "1.0");
  work = tempDir("ocicompat-ctrd-");
  try {
    await startContainerd(work.path);
  } catch (err) {
    cannotRun = (err as Error).message;
  }
});
after(async () => {
  if (daemon?.pid !== undefined && daemon.exitCode === null) {
    const exited = new Promise((r) => daemon?.once("exit", r));
    daemon.kill("SIGTERM");
    await exited;
  }
  await registry?.stop();
  work?.remove();
});

interface Pulled {
  /** The digest containerd recorded as the image's target. */
  target: string;
  /** Every digest in containerd's content store after the pull. */
  content: Set<string>;
}

/** `ctr images pull --hosts-dir` of the tag for linux/amd64 into an image store of its own. */
async function ctrPull(mirror: string | undefined): Promise<Pulled> {
  const hostsDir = join(work.path, `hosts-${++run}`);
  mkdirSync(join(hostsDir, registry.host), { recursive: true });
  const lines = [`server = "http://${registry.host}"`];
  if (mirror !== undefined) {
    lines.push(`[host."http://${mirror}"]`, '  capabilities = ["pull", "resolve"]');
  }
  writeFileSync(join(hostsDir, registry.host, "hosts.toml"), `${lines.join("\n")}\n`);
  const ctr = ["--address", socket, "--namespace", `${NAMESPACE}-${run}`];
  const ref = `${registry.host}/team/app:1.0`;
  const options = { timeout: 120_000, encoding: "utf8" as const };
  await exec(
    "ctr",
    [
      ...ctr,
      "images",
      "pull",
      "--hosts-dir",
      hostsDir,
      "--platform",
      "linux/amd64",
      "--snapshotter",
      "native",
      ref,
    ],
    options,
  );
  const listed = await exec("ctr", [...ctr, "images", "ls"], options);
  const row = listed.stdout.split("\n").find((l) => l.startsWith(`${ref} `));
  const target = /sha256:[0-9a-f]{64}/.exec(row ?? "")?.[0] ?? "";
  const content = await exec("ctr", [...ctr, "content", "ls", "-q"], options);
  return { target, content: new Set(content.stdout.split("\n").filter(Boolean)) };
}

const configOf = (variant: { blobs: { desc: { digest: string } }[] }): string =>
  variant.blobs[0]?.desc.digest ?? "";

function skipIfNoDaemon(t: TestContext): boolean {
  if (cannotRun === undefined) return false;
  t.skip(`this machine cannot run the containerd daemon: ${cannotRun}`);
  return true;
}

describe("containerd (Debian's package) through the mirror", () => {
  let v3Mirror: TestMirror;
  let baseMirror: TestMirror;
  before(async () => {
    v3Mirror = await mirrorFor([registry.host], await profile("intel-spr"));
    baseMirror = await mirrorFor([registry.host], await profile("old-xeon"));
  });
  after(async () => {
    await v3Mirror?.close();
    await baseMirror?.close();
  });

  test("pulled directly, containerd's matcher takes the baseline linux/amd64 entry", async (t) => {
    if (skipIfNoDaemon(t)) return;
    const pulled = await ctrPull(undefined);
    assert.equal(pulled.target, image.index.desc.digest);
    assert.ok(pulled.content.has(configOf(image.baseline)));
    assert.ok(!pulled.content.has(configOf(image.v3)));
  });

  test("through the mirror on a node that fits v3, containerd gets the v3 digest, equal to ocicompat select's answer", async (t) => {
    if (skipIfNoDaemon(t)) return;
    const pulled = await ctrPull(v3Mirror.address);
    assert.equal(pulled.target, image.v3.manifest.desc.digest);
    assert.ok(pulled.content.has(configOf(image.v3)));
    const opener = createStoreOpener();
    try {
      const selection = await selectImage({
        reference: `${registry.host}/team/app:1.0`,
        opener,
        catalog,
        profile: await profile("intel-spr"),
      });
      assert.equal(pulled.target, selection.chosen?.digest);
    } finally {
      await opener.close();
    }
    // containerd's convention: the mirror learnt the upstream from ?ns=.
    assert.ok(
      v3Mirror.lines.some((l) => l["upstream"] === registry.host && l["decision"] === "chosen"),
    );
  });

  test("through the mirror on a node that fits only the baseline, containerd gets the baseline", async (t) => {
    if (skipIfNoDaemon(t)) return;
    const pulled = await ctrPull(baseMirror.address);
    assert.equal(pulled.target, image.baseline.manifest.desc.digest);
    assert.ok(pulled.content.has(configOf(image.baseline)));
  });
});
