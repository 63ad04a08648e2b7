// Real containerd (Debian's package), unmodified: a daemon started here with a temporary root,
// state and socket, and `ctr images pull --hosts-dir` with the native snapshotter. A hosts.toml
// names the mirror as a pull/resolve host of the registry, containerd's mirror convention (the
// mirror sees `?ns=<registry>`). Pulled directly, containerd's platform matcher takes the baseline
// linux/amd64 entry; through the mirror it takes what `ocicompat select` chooses for the node.
// If this machine cannot run the containerd daemon, the tests say which call failed and skip.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import { createStoreOpener } from "../../../src/content/open.js";
import { selectImage } from "../../../src/ops/select.js";
import { tempDir } from "../../content/layout-support.js";
import {
  skipWithoutContainerd,
  startContainerd,
  type Containerd,
} from "../../support/containerd.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { pushToRegistry } from "../select-support.js";
import { catalog, levelsImage, mirrorFor, profile, type TestMirror } from "./support.js";

const image = levelsImage("containerd");
const NAMESPACE = "ocicompat-test";
let registry: TestRegistry;
let work: ReturnType<typeof tempDir>;
let containerd: Containerd | undefined;
/** Why the daemon could not run here: the call that failed and its message. */
let cannotRun: string | undefined;
let run = 0;

before(async () => {
  registry = await startRegistry();
  await pushToRegistry(registry.host, "team/app", image.blobs, image.index.desc, "1.0");
  work = tempDir("ocicompat-ctrd-");
  try {
    containerd = await startContainerd(work.path);
  } catch (err) {
    cannotRun = (err as Error).message;
  }
});
after(async () => {
  await containerd?.stop();
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
  const daemon = containerd!;
  const namespace = `${NAMESPACE}-${run}`;
  const ref = `${registry.host}/team/app:1.0`;
  await daemon.ctr(
    [
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
    { namespace },
  );
  const target = await daemon.target(namespace, ref);
  const content = await daemon.ctr(["content", "ls", "-q"], { namespace });
  return { target, content: new Set(content.stdout.split("\n").filter(Boolean)) };
}

const configOf = (variant: { blobs: { desc: { digest: string } }[] }): string =>
  variant.blobs[0]?.desc.digest ?? "";

const skipIfNoDaemon = (t: TestContext): boolean => skipWithoutContainerd(t, cannotRun);

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
