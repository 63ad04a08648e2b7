// `-o nfd`: a profile written as the labels a default NFD would publish.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { discover } from "../../src/node/discover.js";
import { labelProblem, nfdLabelsOf } from "../../src/node/nfd/export-labels.js";
import { host, NOW } from "./hosts.js";

const P = "feature.node.kubernetes.io/";

describe("NFD labels of a profile", () => {
  test("the AMD host: CPUID spellings, vendor short name, kernel, OS, NUMA, the GPU's class", async () => {
    const { profile, devices } = await discover({ root: host("amd-genoa"), now: NOW });
    const { labels, refused } = nfdLabelsOf(profile, devices);
    const lines = labels.map((l) => `${l.name}=${l.value}`);
    for (const line of [
      `${P}cpu-cpuid.AVX512F=true`,
      `${P}cpu-cpuid.AESNI=true`,
      `${P}cpu-cpuid.FMA3=true`,
      `${P}cpu-cpuid.X87=true`,
      `${P}cpu-model.vendor_id=AMD`,
      `${P}cpu-model.family=25`,
      `${P}cpu-model.id=17`,
      `${P}kernel-version.full=6.5.0-35-generic`,
      `${P}kernel-version.major=6`,
      `${P}kernel-version.minor=5`,
      `${P}kernel-version.revision=0`,
      `${P}kernel-config.NO_HZ_IDLE=true`,
      `${P}system-os_release.ID=ubuntu`,
      `${P}system-os_release.VERSION_ID=22.04`,
      `${P}system-os_release.VERSION_ID.major=22`,
      `${P}system-os_release.VERSION_ID.minor=04`,
      `${P}memory-numa=true`,
      `${P}pci-0380_1002.present=true`,
    ]) {
      assert.ok(lines.includes(line), line);
    }
    // Levels have no NFD label; hidden-by-default flags (BMI2, POPCNT, ...) are left out as NFD
    // does; the Broadcom NIC's class (0200) is not one NFD labels by default.
    for (const absent of [
      "X86_64_V",
      "cpu-cpuid.BMI2=",
      "cpu-cpuid.POPCNT=",
      "cpu-cpuid.AES=",
      "pci-0200",
      "kernel-selinux",
    ]) {
      assert.ok(!lines.some((l) => l.includes(absent)), absent);
    }
    assert.deepEqual(refused, []);
    const names = labels.map((l) => l.name);
    assert.deepEqual(names, [...names].sort());
  });

  test("an arm64 host: NFD's arm64 hwcap names (AES, not AESNI), and no label NFD never publishes", async () => {
    const { profile } = await discover({ root: host("graviton"), now: NOW });
    const lines = nfdLabelsOf(profile).labels.map((l) => `${l.name}=${l.value}`);
    const cpu = lines.filter((l) => l.includes("cpu-cpuid."));
    for (const line of ["AES", "ASIMD", "ATOMICS", "SHA2"]) {
      assert.ok(cpu.includes(`${P}cpu-cpuid.${line}=true`), `${line} in ${cpu.join(" ")}`);
    }
    assert.ok(!cpu.some((l) => l.includes("AESNI")));
  });

  test("flags outside NFD's list for the architecture are not written (constant_tsc, levels)", () => {
    const profile: NodeProfile = {
      schemaVersion: 1,
      name: "n",
      platform: { os: "linux", architecture: "amd64" },
      labels: { "oci.cpu.features": ["AVX2", "CONSTANT_TSC", "X86_64_V3", "aes", "sse4_2"] },
    };
    const names = nfdLabelsOf(profile).labels.map((l) => l.name);
    assert.deepEqual(names, [`${P}cpu-cpuid.AESNI`, `${P}cpu-cpuid.AVX2`]);
    const riscv = { ...profile, platform: { os: "linux", architecture: "riscv64" } };
    assert.deepEqual(nfdLabelsOf(riscv).labels, [], "NFD's cpu source reports no flags there");
  });

  test("values Kubernetes would refuse are reported, not written", () => {
    const profile: NodeProfile = {
      schemaVersion: 1,
      name: "n",
      platform: { os: "linux", architecture: "amd64" },
      labels: {
        "oci.os.id": "rhel",
        "oci.os.version": "9.4 (Plow)",
        "oci.kernel.version": `6.1.0-${"x".repeat(70)}`,
        "oci.kernel.selinux": true,
      },
    };
    const { labels, refused } = nfdLabelsOf(profile);
    assert.deepEqual(
      labels.map((l) => l.name),
      [
        `${P}kernel-selinux.enabled`,
        `${P}kernel-version.major`,
        `${P}kernel-version.minor`,
        `${P}kernel-version.revision`,
        `${P}system-os_release.ID`,
        `${P}system-os_release.VERSION_ID.major`,
      ],
    );
    assert.deepEqual(
      refused.map((r) => [r.name, r.reason]),
      [
        [`${P}kernel-version.full`, "the value is longer than 63 characters"],
        [
          `${P}system-os_release.VERSION_ID`,
          "the value has characters outside [A-Za-z0-9-_.] or does not start and end with one",
        ],
        [
          `${P}system-os_release.VERSION_ID.minor`,
          "the value has characters outside [A-Za-z0-9-_.] or does not start and end with one",
        ],
      ],
    );
  });

  test("Kubernetes label rules", () => {
    assert.equal(labelProblem(`${P}cpu-cpuid.AVX2`, "true"), undefined);
    assert.equal(labelProblem("vendor.example/rack", ""), undefined);
    assert.match(labelProblem("Vendor.Example/rack", "x") ?? "", /DNS subdomain/);
    assert.match(labelProblem(`${P}${"a".repeat(64)}`, "x") ?? "", /name is longer/);
    assert.match(labelProblem(`${P}a`, "-x") ?? "", /value has characters/);
  });
});
