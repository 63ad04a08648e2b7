// Converting between ocicompat sets and NFD specs (issue #14.4): exact where both can say it,
// and every part the target cannot say reported with its JSON path.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { nfdToSets, setsToNfd } from "../../../src/compat/nfd/convert.js";
import { evaluateNfdSpec } from "../../../src/compat/nfd/evaluate.js";
import { readNfdSpec } from "../../../src/compat/nfd/spec.js";
import { readSets } from "../../../src/compat/sets.js";
import { parseYaml } from "../../../src/compat/yaml.js";

const FIXTURES = new URL("../../fixtures/interop/", import.meta.url);

const authored = [
  {
    description: "fast nic",
    tags: ["intel"],
    score: 5,
    "oci.cpu.vendor": "GenuineIntel|AuthenticAMD",
    "oci.cpu.features": "AVX2, AES, !HYPERVISOR",
    "oci.kernel.modules": "vfio-pci",
    "oci.kernel.configurations": "PREEMPT",
    "oci.pci.devices": "15b3.101b",
    "oci.os.id": "ubuntu",
  },
];

function roundTrip(sets: Record<string, unknown>[]) {
  const there = setsToNfd(readSets(sets));
  const spec = readNfdSpec(there.value);
  assert.deepEqual(spec.errors, [], "the converted NFD spec is valid");
  assert.ok(spec.spec);
  return { there, back: nfdToSets(spec.spec), spec: spec.spec };
}

describe("ocicompat <-> NFD conversion", () => {
  test("what both express survives the round trip unchanged, with no losses", () => {
    const { there, back } = roundTrip(authored);
    assert.deepEqual(there.losses, []);
    assert.deepEqual(back.losses, []);
    assert.deepEqual(back.value.compatibilities, authored);
  });

  test("NFD's spellings are written: AESNI for aes, Intel/AMD for the CPUID vendor strings", () => {
    const { spec } = roundTrip(authored);
    const terms = spec.compatibilities[0]?.rules[0]?.matchFeatures ?? [];
    const cpuid = terms.find((t) => t.feature === "cpu.cpuid");
    assert.deepEqual(
      cpuid?.expressions.map(([n, e]) => `${n} ${e.op}`),
      ["AVX2 Exists", "AESNI Exists", "HYPERVISOR DoesNotExist"],
    );
    const model = terms.find((t) => t.feature === "cpu.model");
    assert.deepEqual(model?.expressions[0]?.[1].value, ["Intel", "AMD"]);
  });

  test("the converted spec evaluates like the sets: a node with the device on one instance passes", () => {
    const { spec } = roundTrip(authored);
    const node = {
      flags: {
        "cpu.cpuid": { elements: { AVX2: {}, AESNI: {} } },
        "kernel.loadedmodule": { elements: { "vfio-pci": {} } },
      },
      attributes: {
        "cpu.model": { elements: { vendor_id: "AMD" } },
        "kernel.config": { elements: { PREEMPT: "true" } },
        "system.osrelease": { elements: { ID: "ubuntu" } },
      },
      instances: {
        "pci.device": {
          elements: [{ attributes: { vendor: "15b3", device: "101b", class: "0207" } }],
        },
      },
    };
    assert.equal(evaluateNfdSpec(spec, node).compatible, true);
  });

  test("what NFD cannot express is reported by path: glibc ranges, globs, level flags, extra tags", () => {
    const { there } = roundTrip([
      {
        tags: ["a", "b"],
        "oci.os.glibc": ">=2.31",
        "oci.cpu.features": "AVX512*",
        "oci.pci.devices": "10de.2330",
      },
      { "oci.cpu.features": "X86_64_V3" },
    ]);
    assert.deepEqual(
      there.losses.map((l) => l.path),
      [
        '$.compatibilities[0]["oci.os.glibc"]',
        '$.compatibilities[0]["oci.cpu.features"]',
        "$.compatibilities[0].tags",
        '$.compatibilities[1]["oci.cpu.features"]',
        // An empty NFD rule would match every node: the set is left out, and said so.
        "$.compatibilities[1]",
      ],
    );
  });

  test("CPU flags take NFD's spelling on the target architecture; a flag NFD never reports there is a loss, not a rule no node passes", () => {
    const sets = readSets([
      { "oci.cpu.features": "aes, sha2" },
      { "oci.cpu.features": "constant_tsc, avx2" },
    ]);
    const flags = (architecture?: string) => {
      const { value, losses } = setsToNfd(sets, architecture ? { architecture } : {});
      const names = value.compatibilities.map((c) =>
        Object.keys(c.rules[0]?.matchFeatures[0]?.matchExpressions ?? {}),
      );
      return { names, losses: losses.map((l) => l.message) };
    };
    const amd64 = flags();
    assert.deepEqual(amd64.names, [["AESNI"], ["AVX2"]]);
    // x86 has SHA (SHA-NI) but no SHA2 flag; cpuinfo's constant_tsc is no CPUID feature.
    assert.deepEqual(amd64.losses, [
      "sha2: NFD reports no cpu.cpuid flag of that name on amd64 nodes",
      "constant_tsc: NFD reports no cpu.cpuid flag of that name on amd64 nodes",
    ]);
    const arm64 = flags("arm64");
    assert.deepEqual(arm64.names, [["AES", "SHA2"]]);
    assert.match(
      arm64.losses.join("\n"),
      /avx2: NFD reports no cpu.cpuid flag of that name on arm64 nodes/,
    );
    assert.match(flags("riscv64").losses.join("\n"), /on riscv64 nodes are not known to ocicompat/);
  });

  test("NFD's documented example: matchAny becomes one set per choice; class+vendor device terms are reported", () => {
    const raw = parseYaml(
      readFileSync(new URL("nfd-image-compatibility.yaml", FIXTURES), "utf8"),
      "f",
    );
    const spec = readNfdSpec(raw).spec;
    assert.ok(spec);
    const out = nfdToSets(spec);
    assert.equal(out.value.compatibilities.length, 2);
    assert.deepEqual(out.value.compatibilities[0], {
      "oci.kernel.modules": "vfio-pci",
      "oci.cpu.vendor": "GenuineIntel|AuthenticAMD",
      description: "My image requirements",
    });
    assert.deepEqual(
      out.losses.map((l) => l.path),
      [
        '$.compatibilities[0].rules[1].matchAny[0].matchFeatures["pci.device"]',
        '$.compatibilities[0].rules[1].matchAny[1].matchFeatures["pci.device"]',
      ],
    );
  });
});
