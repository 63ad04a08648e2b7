// Real podman (Debian's package), unmodified, pulling through the mirror: vfs storage in a
// temporary root and a temporary registries.conf (CONTAINERS_REGISTRIES_CONF) whose
// [[registry.mirror]] is the mirror. The image: linux/amd64, linux/amd64/v3 with compatibilities,
// linux/arm64. Pulled directly, podman takes the baseline; through the mirror it takes what
// `ocicompat select` chooses for the mirror's node.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createStoreOpener } from "../../../src/content/open.js";
import { selectImage } from "../../../src/ops/select.js";
import { tempDir } from "../../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { pushToRegistry } from "../select-support.js";
import { catalog, levelsImage, mirrorFor, profile, type TestMirror } from "./support.js";

const image = levelsImage("podman");
let registry: TestRegistry;
let work: ReturnType<typeof tempDir>;
let run = 0;
// Asynchronous: the mirror runs in this process, so a synchronous spawn would starve it.
const exec = promisify(execFile);

before(async () => {
  registry = await startRegistry();
  await pushToRegistry(registry.host, "team/app", image.blobs, image.index.desc, "1.0");
  work = tempDir("ocicompat-podman-");
  writeFileSync(
    join(work.path, "policy.json"),
    JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }),
  );
});
after(async () => {
  await registry?.stop();
  work?.remove();
});

interface Pulled {
  /** The manifest digest podman recorded for the image (the index's when it read one). */
  digest: string;
  /** The image ID: its config's digest, which names the variant whatever was read. */
  id: string;
}

/** `podman pull` of the tag on amd64 into a fresh vfs store. */
async function podmanPull(mirror: string | undefined): Promise<Pulled> {
  const dir = join(work.path, `run-${++run}`);
  const conf = join(work.path, `registries-${run}.conf`);
  const lines = [
    "unqualified-search-registries = []",
    "[[registry]]",
    `prefix = "${registry.host}"`,
    `location = "${registry.host}"`,
    "insecure = true",
  ];
  if (mirror !== undefined)
    lines.push("[[registry.mirror]]", `location = "${mirror}"`, "insecure = true");
  writeFileSync(conf, `${lines.join("\n")}\n`);
  const env = { ...process.env, CONTAINERS_REGISTRIES_CONF: conf };
  const global = [
    "--root",
    join(dir, "root"),
    "--runroot",
    join(dir, "runroot"),
    "--storage-driver",
    "vfs",
    "--events-backend",
    "file",
  ];
  const ref = `${registry.host}/team/app:1.0`;
  const policy = join(work.path, "policy.json");
  const options = { env, encoding: "utf8" as const, timeout: 120_000 };
  await exec(
    "podman",
    [...global, "pull", "--arch", "amd64", "--signature-policy", policy, ref],
    options,
  );
  const { stdout } = await exec(
    "podman",
    [...global, "image", "inspect", "--format", "{{.Digest}} {{.Id}}", ref],
    options,
  );
  const [digest = "", id = ""] = stdout.trim().split(" ");
  return { digest, id: `sha256:${id}` };
}

const configOf = (variant: { blobs: { desc: { digest: string } }[] }): string =>
  variant.blobs[0]?.desc.digest ?? "";

describe("podman (Debian's package) through the mirror", () => {
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

  test("pulled directly, podman gets the baseline linux/amd64 entry", async () => {
    const pulled = await podmanPull(undefined);
    assert.equal(pulled.id, configOf(image.baseline));
    assert.equal(pulled.digest, image.index.desc.digest);
  });

  test("through the mirror on a node that fits v3, podman gets the v3 digest, equal to ocicompat select's answer", async () => {
    const pulled = await podmanPull(v3Mirror.address);
    assert.equal(pulled.digest, image.v3.manifest.desc.digest);
    assert.equal(pulled.id, configOf(image.v3));
    const opener = createStoreOpener();
    try {
      const selection = await selectImage({
        reference: `${registry.host}/team/app:1.0`,
        opener,
        catalog,
        profile: await profile("intel-spr"),
      });
      assert.equal(pulled.digest, selection.chosen?.digest);
    } finally {
      await opener.close();
    }
    assert.ok(v3Mirror.lines.some((l) => l["decision"] === "chosen" && l["tag"] === "1.0"));
  });

  test("through the mirror on a node that fits only the baseline, podman gets the baseline", async () => {
    const pulled = await podmanPull(baseMirror.address);
    assert.equal(pulled.digest, image.baseline.manifest.desc.digest);
    assert.equal(pulled.id, configOf(image.baseline));
  });
});
