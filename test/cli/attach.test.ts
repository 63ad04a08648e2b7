// ocicompat attach and detach as a user runs them, against the real CNCF distribution registry and
// an OCI layout. Attaching for other readers (platform.compat, NFD) and ocicompat convert are in
// attach-readers.test.ts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { pushAll, sampleImage } from "../content/layout-support.js";
import { pushSample, registryStore, writeFile } from "../ops/attach-support.js";
import { compatFile, registry, startRegistryAndCompatFile, work } from "./attach-cli-support.js";
import { hasStackTrace, runCli } from "./run-cli.js";

startRegistryAndCompatFile();

const DIGEST = /sha256:[0-9a-f]{64}/;

describe("ocicompat attach (spawned, real registry)", () => {
  test("attaches, prints each write in order and the old and new index digests", async () => {
    const image = await pushSample(registry.host, "cli/attach", "v1");
    const ref = `${registry.host}/cli/attach:v1`;
    const r = runCli(["attach", ref, "--file", compatFile, "--platform", "linux/amd64"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /attached compatibilities \(Proposal I manifest\) to 1 entry/);
    assert.match(r.stdout, new RegExp(`old index: ${image.index.desc.digest}`));
    const newIndex = /new index: (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
    assert.ok(newIndex);
    const store = registryStore(registry.host, "cli/attach");
    try {
      assert.equal((await store.resolve("v1")).digest, newIndex);
    } finally {
      await store.close();
    }
    const order = r.stdout
      .split("\n")
      .filter((l) => /^\s+\d+\. /.test(l))
      .map((l) =>
        l
          .trim()
          .replace(/\s+(sha256[:-]|v1 ->).*$/, "")
          .replace(/\s+/g, " "),
      );
    assert.deepEqual(order, [
      "1. blob empty blob {}",
      "2. blob compat config",
      "3. manifest compat manifest",
      "4. tag anchor tag",
      "5. tag referrers fallback index",
      "6. tag index",
    ]);
    assert.match(r.stdout, /6\. tag {6}index {20}v1 -> sha256:/);
  });

  test("-o json gives the result; re-attaching shows what it replaces", async () => {
    await pushSample(registry.host, "cli/json", "v1");
    const ref = `${registry.host}/cli/json:v1`;
    const first = runCli(["attach", ref, "-f", compatFile, "--all", "-o", "json"]);
    assert.equal(first.status, 0, first.stderr);
    const one = JSON.parse(first.stdout) as {
      newIndex: { digest: string };
      entries: { compatibilities: { digest: string } }[];
      writes: { role: string }[];
    };
    assert.equal(one.entries.length, 2);
    const again = runCli([
      "attach",
      ref,
      "-f",
      compatFile,
      "--all",
      "--format",
      "blob",
      "-o",
      "json",
    ]);
    assert.equal(again.status, 0, again.stderr);
    const two = JSON.parse(again.stdout) as {
      oldIndex: { digest: string };
      entries: { replaced: { digest: string }[] }[];
    };
    assert.equal(two.oldIndex.digest, one.newIndex.digest);
    assert.deepEqual(
      two.entries.map((e) => e.replaced.map((d) => d.digest)),
      one.entries.map((e) => [e.compatibilities.digest]),
    );
  });

  test("--dry-run prints the plan and writes nothing", async () => {
    const image = await pushSample(registry.host, "cli/dry", "v1");
    const r = runCli([
      "attach",
      `${registry.host}/cli/dry:v1`,
      "-f",
      compatFile,
      "--platform",
      "linux/amd64",
      "--dry-run",
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /dry run: would attach/);
    assert.match(r.stdout, /would write, in order:/);
    assert.match(r.stdout, /\(if the registry has no referrers API\)/);
    assert.match(r.stdout, /new index: sha256:[0-9a-f]{64} \(not written\)/);
    const store = registryStore(registry.host, "cli/dry");
    try {
      assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
      assert.deepEqual(await store.listTags(), ["v1"]);
    } finally {
      await store.close();
    }
  });

  test("an invalid compat file: exit 2, every problem listed, nothing written", async () => {
    const image = await pushSample(registry.host, "cli/invalid", "v1");
    const bad = writeFile(
      work.path,
      "bad.yaml",
      `compatibilities:\n  - oci.os.glibc: ">=2.31 <="\n    oci.cpu.count: [4]\n`,
    );
    const r = runCli(["attach", `${registry.host}/cli/invalid:v1`, "-f", bad, "--all"]);
    assert.equal(r.status, 2);
    const lines = r.stderr.trim().split("\n");
    assert.ok(lines.length >= 2, r.stderr);
    assert.ok(
      lines.every((l) => l.startsWith(`ocicompat: ${bad}: $.compatibilities[0]`)),
      r.stderr,
    );
    assert.equal(hasStackTrace(r.stderr), false);
    const store = registryStore(registry.host, "cli/invalid");
    try {
      assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
    } finally {
      await store.close();
    }
  });

  test("a typo of a known oci.* label: exit 2 with did you mean, nothing written", async () => {
    const image = await pushSample(registry.host, "cli/typo", "v1");
    const typo = writeFile(
      work.path,
      "typo.yaml",
      `compatibilities:\n  - oci.cpu.featurs: "AVX512F"\n`,
    );
    const r = runCli(["attach", `${registry.host}/cli/typo:v1`, "-f", typo, "--all"]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /\$\.compatibilities\[0\]\["oci\.cpu\.featurs"\]: unknown label "oci\.cpu\.featurs"; did you mean oci\.cpu\.features\?/,
    );
    assert.equal(hasStackTrace(r.stderr), false);
    const store = registryStore(registry.host, "cli/typo");
    try {
      assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
    } finally {
      await store.close();
    }
  });

  test("an ambiguous or unknown platform: exit 2 with the candidates or the platforms", async () => {
    const image = await pushSample(registry.host, "cli/ambiguous", "v1");
    const ref = `${registry.host}/cli/ambiguous:v1`;
    const none = runCli(["attach", ref, "-f", compatFile]);
    assert.equal(none.status, 2);
    assert.match(
      none.stderr,
      /the index has 2 candidate entries; say which with --platform, --digest or --all/,
    );
    for (const m of image.manifests) assert.ok(none.stderr.includes(m.desc.digest), none.stderr);
    const unknown = runCli(["attach", ref, "-f", compatFile, "--platform", "linux/riscv64"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /available platforms: linux\/amd64, linux\/arm64\/v8/);
    const badPlatform = runCli(["attach", ref, "-f", compatFile, "--platform", "linux"]);
    assert.equal(badPlatform.status, 2);
    assert.equal(hasStackTrace(unknown.stderr + none.stderr + badPlatform.stderr), false);
  });

  test("usage mistakes exit 2: no --file, a reference without a tag, an unknown --anchor", () => {
    assert.equal(runCli(["attach", `${registry.host}/cli/x:v1`]).status, 2);
    const layoutNoTag = runCli(["attach", `oci:${work.path}`, "-f", compatFile]);
    assert.equal(layoutNoTag.status, 2);
    assert.match(layoutNoTag.stderr, /names no tag/);
    assert.equal(
      runCli(["attach", `${registry.host}/cli/x:v1`, "-f", compatFile, "--anchor", "maybe"]).status,
      2,
    );
  });

  test("REF:tag@digest refuses when the tag names another digest", async () => {
    await pushSample(registry.host, "cli/expect", "v1");
    const wrong = `sha256:${"0".repeat(64)}`;
    const r = runCli([
      "attach",
      `${registry.host}/cli/expect:v1@${wrong}`,
      "-f",
      compatFile,
      "--all",
    ]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /refusing to change it/);
  });
});

describe("ocicompat detach (spawned)", () => {
  test("detach removes the descriptor, updates the referrers listing and prints both digests", async () => {
    const image = await pushSample(registry.host, "cli/detach", "v1");
    const ref = `${registry.host}/cli/detach:v1`;
    assert.equal(
      runCli(["attach", ref, "-f", compatFile, "--platform", "linux/arm64/v8"]).status,
      0,
    );
    const r = runCli(["detach", ref, "--platform", "linux/arm64"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /detached compatibilities from 1 entry/);
    assert.match(r.stdout, /updated referrers fallback index sha256-[0-9a-f]{64}/);
    assert.match(r.stdout, /kept anchor tag sha256-[0-9a-f]{64}\.compat/);
    assert.match(r.stdout, new RegExp(`new index: ${image.index.desc.digest}`));
    assert.match(r.stdout, /old index: sha256:/);
    const again = runCli(["detach", ref, "--all"]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing to detach/);
  });

  test("attach and detach on an OCI layout", async () => {
    const image = sampleImage("cli-layout");
    const src = createMemoryStore();
    await pushAll(src, image.blobs);
    const dir = join(work.path, "layout");
    await copyGraph(src, await openLayout(dir, { create: true }), image.index.desc, { tag: "v1" });
    const attached = runCli([
      "attach",
      `oci:${dir}:v1`,
      "-f",
      compatFile,
      "--platform",
      "linux/amd64",
      "-o",
      "json",
    ]);
    assert.equal(attached.status, 0, attached.stderr);
    const inspected = runCli(["inspect", `oci:${dir}:v1`]);
    assert.match(inspected.stdout, /compatibilities: manifest \(Proposal I\) sha256:\w{12}, 1 set/);
    const ls = runCli(["ls", `oci:${dir}`]);
    assert.match(ls.stdout, /^sha256-[0-9a-f]{64}\.compat$/m);
    const detached = runCli(["detach", `oci:${dir}:v1`, "--platform", "linux/amd64"]);
    assert.equal(detached.status, 0, detached.stderr);
    assert.match(detached.stdout, DIGEST);
    assert.match(detached.stdout, new RegExp(`new index: ${image.index.desc.digest}`));
  });
});
