// Failures stay with the probe that had them, and discovery runs only what a caller needs.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { BUILTIN_LABELS, createCatalog } from "../../src/compat/catalog.js";
import { compileSets } from "../../src/compat/compiled-set.js";
import { evaluateSets, prepareNode } from "../../src/compat/evaluate.js";
import { readSets } from "../../src/compat/sets.js";
import { parseYaml } from "../../src/compat/yaml.js";
import { discover, labelsNeededBy } from "../../src/node/discover.js";
import type { Probe } from "../../src/node/probe.js";
import { BUILTIN_PROBES } from "../../src/node/probes/index.js";
import { readFileSync } from "node:fs";
import { host, NOW } from "./hosts.js";

const catalog = createCatalog();
const temp = mkdtempSync(join(tmpdir(), "ocicompat-isolation-"));
after(() => rmSync(temp, { recursive: true, force: true }));

describe("probe isolation", () => {
  test("a probe that throws costs only its own facts, and says so", async () => {
    const boom: Probe = {
      name: "boom",
      provides: ["org.example.boom.level"],
      run: () => Promise.reject(new Error("simulated failure")),
    };
    const result = await discover({
      root: host("graviton"),
      probes: [boom, ...BUILTIN_PROBES],
      now: NOW,
    });
    assert.deepEqual(result.diagnostics, [{ probe: "boom", message: "simulated failure" }]);
    assert.equal(result.probesRun[0], "boom");
    assert.equal(result.profile.labels["oci.os.glibc"], "2.34");
    assert.equal(result.profile.labels["oci.cpu.vendor"], "0x41");
  });

  test("a probe reporting a label it does not declare is corrected, not trusted", async () => {
    const sloppy: Probe = {
      name: "sloppy",
      provides: ["oci.system.product"],
      run: () => Promise.resolve({ facts: { "oci.system.product": "X", "oci.os.id": "evil" } }),
    };
    const result = await discover({ root: host("minimal-container"), probes: [sloppy], now: NOW });
    assert.deepEqual(result.profile.labels, { "oci.system.product": "X" });
    assert.deepEqual(result.diagnostics, [
      { probe: "sloppy", message: "reported oci.os.id, which it does not declare" },
    ]);
  });

  test("a corrupt /proc/config.gz is reported and the next config file is used", async () => {
    const root = join(temp, "bad-config");
    cpSync(host("intel-spr"), root, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(root, "proc/config.gz"), "not gzip");
    const result = await discover({
      root,
      labels: new Set(["oci.kernel.configurations"]),
      now: NOW,
    });
    assert.deepEqual(result.profile.labels["oci.kernel.configurations"], ["BOOT_ONLY"]);
    assert.equal(result.diagnostics.length, 1);
    assert.equal(result.diagnostics[0]?.probe, "kernel-config");
    assert.match(
      result.diagnostics[0]?.message ?? "",
      /^\/proc\/config\.gz is not a valid gzip file/,
    );
  });

  test("a /proc/config.gz that inflates past 16 MiB is reported, not inflated, and the next config file is used", async () => {
    const root = join(temp, "config-bomb");
    cpSync(host("intel-spr"), root, { recursive: true, verbatimSymlinks: true });
    // 17 MiB of one byte gzips to ~17 KiB: small on disk, too large once inflated.
    writeFileSync(join(root, "proc/config.gz"), gzipSync(Buffer.alloc(17 * 1024 * 1024, 0x23)));
    const result = await discover({
      root,
      labels: new Set(["oci.kernel.configurations"]),
      now: NOW,
    });
    assert.deepEqual(result.profile.labels["oci.kernel.configurations"], ["BOOT_ONLY"]);
    assert.equal(result.diagnostics[0]?.probe, "kernel-config");
    assert.match(
      result.diagnostics[0]?.message ?? "",
      /^\/proc\/config\.gz inflates to more than 16 MiB: not a kernel config$/,
    );
  });

  test("a root without /sys: sysfs facts are unknown, never errors", async () => {
    const result = await discover({ root: host("minimal-container"), now: NOW });
    for (const label of [
      "oci.pci.devices",
      "oci.usb.devices",
      "oci.kernel.selinux",
      "oci.memory.numa-nodes",
      "oci.runtime.handlers",
      "oci.os.glibc",
    ]) {
      assert.equal(result.profile.labels[label], undefined, label);
    }
    assert.deepEqual(result.diagnostics, []);
  });

  test("a root that does not exist is an error before any probe runs", async () => {
    await assert.rejects(
      discover({ root: join(temp, "no-such-root") }),
      (e: unknown) => (e as { code?: string }).code === "IO",
    );
  });
});

describe("laziness", () => {
  test("only the glibc probe (and platform) runs when only oci.os.glibc is wanted", async () => {
    const result = await discover({
      root: host("intel-spr"),
      labels: new Set(["oci.os.glibc"]),
      now: NOW,
    });
    assert.deepEqual(result.probesRun, ["glibc", "platform"]);
    assert.deepEqual(result.profile, {
      schemaVersion: 1,
      name: "intel-spr-01",
      platform: { os: "linux", architecture: "amd64", variant: "v4" },
      labels: { "oci.os.glibc": "2.34" },
    });
  });

  test("aliases select their label's probe", async () => {
    const result = await discover({
      root: host("intel-spr"),
      labels: new Set(["oci.kernel.versions"]),
      now: NOW,
    });
    assert.deepEqual(result.probesRun, ["kernel-version", "platform"]);
    assert.deepEqual(result.profile.labels, {
      "oci.kernel.version": "5.14.0-427.13.1.el9_4.x86_64",
    });
  });

  test("a spec's labels: its probes only, and the same verdict as full discovery", async () => {
    const doc = parseYaml(readFileSync("examples/compat-avx512.yaml", "utf8"), "spec") as {
      compatibilities: Record<string, unknown>[];
    };
    const sets = compileSets(readSets(doc.compatibilities), catalog).compiled;
    const wanted = labelsNeededBy(sets);
    assert.deepEqual([...wanted].sort(), [
      "oci.cpu.features",
      "oci.cpu.vendor",
      "oci.kernel.configurations",
      "oci.os.glibc",
      "oci.pci.devices",
    ]);
    const lazy = await discover({ root: host("intel-spr"), labels: wanted, now: NOW });
    assert.deepEqual(lazy.probesRun, ["cpu", "kernel-config", "glibc", "pci", "platform"]);
    const full = await discover({ root: host("intel-spr"), now: NOW });
    const verdict = (profile: typeof lazy.profile): unknown =>
      evaluateSets(sets, prepareNode(profile, catalog), {});
    assert.deepEqual(verdict(lazy.profile), verdict(full.profile));
    assert.equal((verdict(lazy.profile) as { compatible: boolean }).compatible, true);
  });

  test("site sources run only while a wanted label is still unknown", async () => {
    const known = await discover({
      root: host("intel-spr"),
      labels: new Set(["oci.os.id"]),
      now: NOW,
    });
    assert.ok(!known.probesRun.includes("features.d"));
    const site = await discover({
      root: host("intel-spr"),
      labels: new Set(["org.example.site.zone", "oci.gpu.amd.targets"]),
      now: NOW,
    });
    assert.deepEqual(site.probesRun, ["amd-gpu", "platform", "features.d"]);
    // Only wanted labels are taken from the site, so lazy and full discovery agree.
    assert.deepEqual(site.profile.labels, { "org.example.site.zone": "lab-a" });
  });
});

describe("probe declarations", () => {
  test("every built-in label is provided by exactly one built-in probe", () => {
    const providers = new Map<string, string[]>();
    for (const probe of BUILTIN_PROBES) {
      for (const label of probe.provides)
        providers.set(label, [...(providers.get(label) ?? []), probe.name]);
    }
    for (const def of BUILTIN_LABELS) {
      assert.equal(providers.get(def.name)?.length, 1, `${def.name}: ${providers.get(def.name)}`);
    }
    for (const label of providers.keys())
      assert.ok(catalog.get(label), `${label} is not in the catalog`);
    assert.equal(new Set(BUILTIN_PROBES.map((p) => p.name)).size, BUILTIN_PROBES.length);
  });
});
