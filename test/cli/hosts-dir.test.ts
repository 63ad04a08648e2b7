// containerd host directories on the command line (`--hosts-dir`), beside real `ctr images pull
// --hosts-dir` (Debian's containerd) reading the same directory: a primary registry and a mirror
// holding a different image under the same repository and tag, so whoever answered is visible in
// the digest. If this machine cannot run the containerd daemon, the tests with ctr say why and skip.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import { sampleImage, tempDir } from "../content/layout-support.js";
import { pushToRegistry } from "../ops/select-support.js";
import { skipWithoutContainerd, startContainerd, type Containerd } from "../support/containerd.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

let primary: TestRegistry;
let mirror: TestRegistry;
const work = tempDir("ocicompat-cli-hosts-dir-");
const primaryImage = sampleImage("primary");
const mirrorImage = sampleImage("mirror");
let containerd: Containerd | undefined;
/** Why the daemon could not run here: the call that failed and its message. */
let cannotRun: string | undefined;
let dirs = 0;
let pulls = 0;

before(async () => {
  [primary, mirror] = await Promise.all([startRegistry(), startRegistry()]);
  // containerd's mirrors keep the repository path: the mirror holds team/app itself.
  await Promise.all([
    pushToRegistry(primary.host, "team/app", primaryImage.blobs, primaryImage.index.desc, "1"),
    pushToRegistry(mirror.host, "team/app", mirrorImage.blobs, mirrorImage.index.desc, "1"),
  ]);
  try {
    containerd = await startContainerd(work.path);
  } catch (err) {
    cannotRun = (err as Error).message;
  }
});

after(async () => {
  await containerd?.stop();
  await Promise.all([primary?.stop(), mirror?.stop()]);
  work.remove();
});

/** containerd's directory name for HOST:PORT, `HOST_PORT_`, the first it looks for. */
const dirName = (host: string): string => host.replace(/:(\d+)$/, "_$1_");

/**
 * A hosts directory whose entry for the primary (when `capabilities` is given) names it as the
 * server and the mirror as a host with those capabilities; returns its root.
 */
function hostsDir(capabilities?: readonly string[]): string {
  const root = join(work.path, `hosts-${dirs++}`);
  mkdirSync(root, { recursive: true });
  if (capabilities !== undefined) {
    const dir = join(root, dirName(primary.host));
    mkdirSync(dir);
    writeFileSync(
      join(dir, "hosts.toml"),
      [
        `server = "http://${primary.host}"`,
        "",
        `[host."http://${mirror.host}"]`,
        `  capabilities = ${JSON.stringify(capabilities)}`,
        "",
      ].join("\n"),
    );
  }
  return root;
}

const reference = (): string => `${primary.host}/team/app:1`;

function inspectedDigest(stdout: string): string {
  return (JSON.parse(stdout) as { root: { descriptor: { digest: string } } }).root.descriptor
    .digest;
}

/** `ocicompat inspect -o json` of the tag with ARGS; the root digest it read. */
function ocicompatDigest(args: readonly string[]): string {
  const result = runCli(["inspect", ...args, reference(), "-o", "json"]);
  assert.equal(result.status, 0, result.stderr);
  return inspectedDigest(result.stdout);
}

/**
 * `ctr images pull --hosts-dir DIR --platform linux/amd64` of the tag into a namespace of its
 * own; the digest containerd recorded as the image's target.
 */
async function ctrPull(daemon: Containerd, dir: string): Promise<string> {
  const namespace = `ocicompat-hosts-dir-${++pulls}`;
  await daemon.ctr(
    [
      "images",
      "pull",
      "--hosts-dir",
      dir,
      "--platform",
      "linux/amd64",
      "--snapshotter",
      "native",
      reference(),
    ],
    { namespace },
  );
  return daemon.target(namespace, reference());
}

/** The daemon, or undefined after skipping the test with the reason it could not run. */
function daemonFor(t: TestContext): Containerd | undefined {
  return skipWithoutContainerd(t, cannotRun) ? undefined : containerd;
}

describe("--hosts-dir on the command line, beside ctr images pull --hosts-dir", () => {
  test("inspect reads the tag from the mirror the hosts.toml names, the image ctr pulls with the same directory", async (t) => {
    const daemon = daemonFor(t);
    if (daemon === undefined) return;
    const dir = hostsDir(["pull", "resolve"]);
    assert.equal(ocicompatDigest(["--hosts-dir", dir]), mirrorImage.index.desc.digest);
    // Without the flag, no host directory is read: the primary answers.
    assert.equal(ocicompatDigest([]), primaryImage.index.desc.digest);
    assert.equal(await ctrPull(daemon, dir), mirrorImage.index.desc.digest);
  });

  test("select -o json says the image was read from the mirror, under the same repository", () => {
    const result = runCli([
      "select",
      "--hosts-dir",
      hostsDir(["pull", "resolve"]),
      "--platform",
      "linux/amd64",
      reference(),
      "-o",
      "json",
    ]);
    assert.equal(result.status, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as { readFrom?: object; root: { digest: string } };
    assert.equal(doc.root.digest, mirrorImage.index.desc.digest);
    assert.deepEqual(doc.readFrom, { registry: mirror.host, repository: "team/app", mirror: true });
  });

  test("given twice, the second directory's entry is used when the first has none for the host", () => {
    const empty = hostsDir();
    const withMirror = hostsDir(["pull", "resolve"]);
    const digest = ocicompatDigest(["--hosts-dir", empty, "--hosts-dir", withMirror]);
    assert.equal(digest, mirrorImage.index.desc.digest);
    // The first directory with an entry for the host decides.
    const direct = hostsDir();
    mkdirSync(join(direct, dirName(primary.host)));
    writeFileSync(
      join(direct, dirName(primary.host), "hosts.toml"),
      `server = "http://${primary.host}"\n`,
    );
    const first = ocicompatDigest(["--hosts-dir", direct, "--hosts-dir", withMirror]);
    assert.equal(first, primaryImage.index.desc.digest);
  });

  test("a --hosts-dir that does not exist stops the command (exit 2) with a message naming it", () => {
    const missing = join(work.path, "no-such-hosts-dir");
    const result = runCli(["inspect", "--hosts-dir", missing, reference(), "-o", "json"]);
    assert.equal(result.status, 2, result.stdout);
    assert.match(result.stderr, new RegExp(`${missing}.*does not exist`));
    assert.equal(hasStackTrace(result.stderr), false);
    assert.equal(result.stdout, "");
  });

  test("a pull-only mirror does not resolve tags: ocicompat and ctr both take the primary's digest", async (t) => {
    const daemon = daemonFor(t);
    if (daemon === undefined) return;
    const dir = hostsDir(["pull"]);
    assert.equal(ocicompatDigest(["--hosts-dir", dir]), primaryImage.index.desc.digest);
    assert.equal(await ctrPull(daemon, dir), primaryImage.index.desc.digest);
  });
});
