// ocicompat attach and detach as a user runs them, against the real CNCF distribution registry and
// an OCI layout.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { fetchBytes } from "../../src/content/store.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { pushAll, sampleImage, tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { AUTHORING_YAML, pushSample, registryStore, writeFile } from "../ops/attach-support.js";
import { hasStackTrace, runCli } from "./run-cli.js";

let registry: TestRegistry;
const work = tempDir("ocicompat-cli-attach-");
let compatFile: string;

before(async () => {
  registry = await startRegistry();
  compatFile = writeFile(work.path, "compat.yaml", AUTHORING_YAML);
});

after(async () => {
  await registry.stop();
  work.remove();
});

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

describe("attach for other readers (spawned, real registry)", () => {
  test("--field compat writes platform.compat (pointing at the compat manifest), and no compatibilities member", async () => {
    await pushSample(registry.host, "cli/field", "v1");
    const ref = `${registry.host}/cli/field:v1`;
    const r = runCli([
      "attach",
      ref,
      "-f",
      compatFile,
      "--platform",
      "linux/amd64",
      "--field",
      "compat",
    ]);
    assert.equal(r.status, 0, r.stderr);
    const store = registryStore(registry.host, "cli/field");
    try {
      const desc = await store.resolve("v1");
      const index = JSON.parse(Buffer.from(await fetchBytes(store, desc)).toString()) as {
        manifests: { platform?: Record<string, { mediaType: string }> }[];
      };
      const platform = index.manifests.find((m) => m.platform?.["compat"] !== undefined)?.platform;
      assert.equal(platform?.["compat"]?.mediaType, "application/vnd.oci.image.manifest.v1+json");
      assert.equal(platform?.["compatibilities"], undefined);
    } finally {
      await store.close();
    }
    // ocicompat reads what it wrote.
    const check = runCli(["check", ref, "--node", "examples/nodes/intel-spr.json", "-o", "json"]);
    assert.match(check.stdout, /"form": "manifest"/);
  });

  test("--format nfd with --dry-run is a usage error (exit 2), not a write", () => {
    const r = runCli([
      "attach",
      `${registry.host}/cli/nfd-dry:v1`,
      "-f",
      compatFile,
      "--format",
      "nfd",
      "--dry-run",
    ]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--dry-run is not available with --format nfd/);
  });

  test("--format nfd refuses sets NFD cannot express (glibc), listing them; nothing is pushed", async () => {
    await pushSample(registry.host, "cli/nfd-refused", "v1");
    const r = runCli([
      "attach",
      `${registry.host}/cli/nfd-refused:v1`,
      "-f",
      compatFile,
      "--all",
      "--format",
      "nfd",
    ]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /\$\.compatibilities\[0\]\["oci\.os\.glibc"\]: oci\.os\.glibc has no NFD feature/,
    );
    assert.equal(hasStackTrace(r.stderr), false);
  });

  test("--format nfd pushes NFD's documented spec as a referrer that check then evaluates with NFD's rules", async () => {
    const image = await pushSample(registry.host, "cli/nfd", "v1");
    const ref = `${registry.host}/cli/nfd:v1`;
    const spec = new URL("../fixtures/interop/nfd-image-compatibility.yaml", import.meta.url)
      .pathname;
    const r = runCli(["attach", ref, "-f", spec, "--platform", "linux/amd64", "--format", "nfd"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /artifact sha256:[0-9a-f]{64} \(anchors: sha256-/);
    // The tag still names the same index: an NFD artifact is a referrer, not an index change.
    const store = registryStore(registry.host, "cli/nfd");
    try {
      assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
    } finally {
      await store.close();
    }
    // inspect finds the entry's NFD artifact too.
    const shown = runCli(["inspect", ref]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /NFD artifact: sha256:[0-9a-f]+, 1 compatibility\n\W+compatibility 0 "My image requirements" weight 0: rules "kernel and cpu", "one of available nics"/,
    );
    const check = runCli(["check", ref, "--node", "examples/nodes/intel-spr.json"]);
    assert.equal(check.status, 1, check.stdout + check.stderr);
    assert.match(check.stdout, /NFD compatibility 0 .*FAIL/);
    assert.match(
      check.stdout,
      // The example profile predates `nfd`: its NFD features come from its labels, which name
      // no kernel modules and no PCI classes; the explanation says what the node has.
      /rule "kernel and cpu": no match: kernel\.loadedmodule: the node has no such feature/,
    );
    assert.match(
      check.stdout,
      /no instance has all of vendor In \[0eee\], class In \[0200\] \(the node has vendor=8086 class=-/,
    );
  });
});

describe("ocicompat convert (spawned)", () => {
  test("an authoring file converts to NFD and back unchanged (exit 0); what NFD cannot say is listed (exit 1)", () => {
    const plain = writeFile(
      work.path,
      "plain.yaml",
      'compatibilities:\n  - oci.cpu.features: "AVX2, BMI2"\n    oci.kernel.modules: vfio-pci\n    tags: [fast]\n',
    );
    const there = runCli(["convert", plain]);
    assert.equal(there.status, 0, there.stderr);
    assert.match(there.stdout, /version: v1alpha1/);
    const nfd = writeFile(work.path, "plain-nfd.yaml", there.stdout);
    const back = runCli(["convert", nfd]);
    assert.equal(back.status, 0, back.stderr);
    assert.match(
      back.stdout,
      /oci\.cpu\.features: AVX2, BMI2\n\s+oci\.kernel\.modules: vfio-pci\n\s+tags:\n\s+- fast/,
    );
    const lossy = runCli(["convert", compatFile]);
    assert.equal(lossy.status, 1);
    assert.match(
      lossy.stderr,
      /cannot express in nfd: .*\$\.compatibilities\[0\]\["oci\.os\.glibc"\]/,
    );
  });

  test("--arch names CPU flags as NFD does on that architecture (aes: AESNI on amd64, AES on aarch64)", () => {
    const crypto = writeFile(
      work.path,
      "crypto.yaml",
      'compatibilities:\n  - oci.cpu.features: "aes, pmull"\n',
    );
    const arm = runCli(["convert", "--arch", "aarch64", "--json", crypto]);
    assert.equal(arm.status, 0, arm.stderr);
    const expressions = (out: string) =>
      Object.keys(JSON.parse(out).compatibilities[0].rules[0].matchFeatures[0].matchExpressions);
    assert.deepEqual(expressions(arm.stdout), ["AES", "PMULL"]);
    const x86 = runCli(["convert", "--json", crypto]);
    assert.equal(x86.status, 1, "pmull is no x86 CPUID flag");
    assert.deepEqual(expressions(x86.stdout), ["AESNI"]);
    assert.match(x86.stderr, /pmull: NFD reports no cpu\.cpuid flag of that name on amd64 nodes/);
  });
});
