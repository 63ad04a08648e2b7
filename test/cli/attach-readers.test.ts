// ocicompat attach writing for other readers, as a user runs it against the real CNCF distribution
// registry: platform.compat with --field compat, NFD's image compatibility spec with --format nfd.
// And ocicompat convert between the authoring format and NFD's.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fetchBytes } from "../../src/content/store.js";
import { pushSample, registryStore, writeFile } from "../ops/attach-support.js";
import { compatFile, registry, startRegistryAndCompatFile, work } from "./attach-cli-support.js";
import { hasStackTrace, runCli } from "./run-cli.js";

startRegistryAndCompatFile();

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
