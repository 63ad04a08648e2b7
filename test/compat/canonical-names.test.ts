// Canonical names (issue #13.1): a CPU feature or a PCI/USB ID means the same thing however a
// value or a fact spells it. The tables read like docs/compat-language.md's "Canonical names".
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  canonicalCpuFeature,
  canonicalDeviceId,
  isKnownName,
} from "../../src/compat/canonical-names.js";
import { createCatalog } from "../../src/compat/catalog.js";
import { compileSets } from "../../src/compat/compiled-set.js";
import { validateDocument } from "../../src/compat/document.js";
import { anySetPasses, evaluateSets, prepareNode } from "../../src/compat/evaluate.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { featureKey } from "../../src/compat/platform-match.js";
import { readSets } from "../../src/compat/sets.js";
import { describeCpu, parseCpuinfo } from "../../src/node/parse/cpuinfo.js";

const catalog = createCatalog();

function nodeWith(label: string, fact: string[]): NodeProfile {
  return {
    schemaVersion: 1,
    name: "n",
    platform: { os: "linux", architecture: "amd64" },
    labels: { [label]: fact },
  };
}

/** Whether `value` on `label` passes on a node whose fact is `fact`; both paths must agree. */
function passes(label: string, value: string, fact: string[]): boolean {
  const compiled = compileSets(readSets([{ [label]: value }]), catalog);
  assert.deepEqual(compiled.errors, []);
  const node = prepareNode(nodeWith(label, fact), catalog);
  const explained = evaluateSets(compiled.compiled, node).compatible;
  assert.equal(anySetPasses(compiled.compiled, node), explained, "fast and explaining paths agree");
  return explained;
}

describe("canonical CPU feature names", () => {
  const spellings: [written: string, canonical: string, source: string][] = [
    ["sse4_2", "SSE42", "/proc/cpuinfo"],
    ["SSE4_2", "SSE42", "cpuinfo, upper case"],
    ["sse42", "SSE42", "Go x/sys/cpu"],
    ["SSE42", "SSE42", "NFD cpu-cpuid"],
    ["SSE4.2", "SSE42", "as people write it"],
    ["avx512_fp16", "AVX512FP16", "/proc/cpuinfo"],
    ["avx512bf16", "AVX512BF16", "Go x/sys/cpu"],
    ["pni", "PNI", "/proc/cpuinfo"],
    ["SSE3", "PNI", "NFD and Go name of cpuinfo's pni"],
    ["AESNI", "AES", "NFD"],
    ["aes", "AES", "cpuinfo and Go"],
    ["SHA", "SHANI", "NFD name of cpuinfo's sha_ni"],
    ["LZCNT", "ABM", "NFD name of cpuinfo's abm"],
    ["FMA3", "FMA", "NFD"],
    ["x86-64-v3", "X86_64_V3", "psABI level"],
    ["X86_64_V3", "X86_64_V3", "ocicompat level flag"],
  ];
  for (const [written, canonical, source] of spellings) {
    test(`${written} (${source}) is ${canonical}`, () => {
      assert.equal(canonicalCpuFeature(written), canonical);
    });
  }

  const matches: [value: string, fact: string[], pass: boolean][] = [
    ["sse4_2", ["SSE42"], true],
    ["SSE4_2", ["SSE42"], true],
    ["sse42", ["sse4_2"], true],
    ["SSE3", ["PNI"], true],
    ["pni", ["SSE3", "PNI"], true],
    ["AESNI", ["AES"], true],
    ["avx512_fp16, avx512bf16", ["AVX512FP16", "AVX512BF16"], true],
    ["x86-64-v3", ["X86_64_V2", "X86_64_V3"], true],
    ["sse4_2", ["SSE41"], false],
    ["!sse4_2", ["SSE42"], false],
    ["!SSE3", ["PNI"], false],
    ["!SSE3", ["SSE41"], true],
  ];
  for (const [value, fact, pass] of matches) {
    test(`oci.cpu.features ${JSON.stringify(value)} on a node with ${fact.join(" ")}: ${pass ? "passes" : "fails"}`, () => {
      assert.equal(passes("oci.cpu.features", value, fact), pass);
    });
  }

  const globs: [value: string, fact: string[], pass: boolean][] = [
    ["avx512_*", ["AVX512F"], true],
    ["AVX512*", ["avx512_fp16"], true],
    ["!avx512_*", ["AVX512FP16"], false],
    ["!avx512_*", ["AVX2"], true],
    // A glob sees every spelling of a feature: PNI is SSE3 too.
    ["!SSE*", ["PNI"], false],
    ["SSE*", ["PNI"], true],
    ["X86_64_V*", ["X86_64_V2"], true],
  ];
  for (const [value, fact, pass] of globs) {
    test(`glob ${JSON.stringify(value)} on a node with ${fact.join(" ")}: ${pass ? "passes" : "fails"}`, () => {
      assert.equal(passes("oci.cpu.features", value, fact), pass);
    });
  }

  test("discovery writes cpuinfo flags in the canonical form", () => {
    const cpu = describeCpu(
      parseCpuinfo("processor\t: 0\nflags\t\t: sse4_2 pni avx512_fp16 sha_ni\n"),
    );
    assert.deepEqual(cpu.flags, ["AVX512FP16", "PNI", "SHANI", "SSE42"]);
  });

  test("Proposal E platform.features compare by the same key", () => {
    assert.equal(featureKey("sse4_2"), featureKey("SSE42"));
    assert.equal(featureKey("sse3"), featureKey("pni"));
    assert.equal(featureKey("avx512bf16"), featureKey("AVX512_BF16"));
  });

  test("the known list covers cpuinfo, NFD and Go names, and not made-up ones", () => {
    for (const name of [
      "sse4_2",
      "AVX512FP16",
      "avx512bf16",
      "AMXTILE",
      "sve2",
      "asimd",
      "X86_64_V4",
    ])
      assert.ok(isKnownName("cpu-feature", name), name);
    for (const name of ["AVX512FOO", "SSE5", "avx3"])
      assert.ok(!isKnownName("cpu-feature", name), name);
  });
});

describe("canonical PCI and USB IDs", () => {
  test("separator and case do not matter: 15B3:101B is 15b3.101b", () => {
    assert.equal(canonicalDeviceId("15B3:101B"), "15b3.101b");
    assert.equal(canonicalDeviceId("1af4:1041"), "1af4.1041");
  });

  const table: [label: string, value: string, fact: string[], pass: boolean][] = [
    ["oci.pci.devices", "1af4:1041", ["1af4.1041"], true],
    ["oci.pci.devices", "15B3:101B", ["15b3.101b"], true],
    ["oci.pci.devices", "15b3.101b", ["15B3:101B"], true],
    ["oci.pci.devices", "15b3:*", ["15b3.101d"], true],
    ["oci.pci.devices", "!10de:*", ["10de.2330"], false],
    ["oci.pci.devices", "!10DE:2330", ["10de.2330"], false],
    ["oci.usb.devices", "03E7:2485", ["03e7.2485"], true],
    ["oci.usb.devices", "03e7:2485", ["1d6b.0003"], false],
  ];
  for (const [label, value, fact, pass] of table) {
    test(`${label} ${JSON.stringify(value)} on a node with ${fact.join(" ")}: ${pass ? "passes" : "fails"}`, () => {
      assert.equal(passes(label, value, fact), pass);
    });
  }
});

describe("validate warns about names no node reports", () => {
  function warnings(set: Record<string, string>): string[] {
    const report = validateDocument("compat", { compatibilities: [set] }, { catalog });
    assert.deepEqual(report.errors, []);
    return report.warnings.map((w) => `${w.path}: ${w.message}`);
  }

  test("an unknown CPU feature name is a warning naming it", () => {
    const w = warnings({ "oci.cpu.features": "AVX2, AVX512FOO, avx512_*" });
    assert.deepEqual(w, [
      `$.compatibilities[0]["oci.cpu.features"]: "AVX512FOO": not a CPU feature name known from /proc/cpuinfo, NFD or Go's x/sys/cpu, so no node may report it; check the spelling`,
    ]);
  });

  test("every spelling of a known feature is fine", () => {
    assert.deepEqual(
      warnings({ "oci.cpu.features": "sse4_2, SSE3, AESNI, avx512bf16, !X86_64_V4" }),
      [],
    );
  });

  test("a device ID that is not vendor.device hex is a warning; lspci's colon form is fine", () => {
    assert.deepEqual(warnings({ "oci.pci.devices": "15B3:101B|10de.*" }), []);
    assert.deepEqual(warnings({ "oci.pci.devices": "15b3-101b" }), [
      `$.compatibilities[0]["oci.pci.devices"]: "15b3-101b": not a vendor.device ID of four hex digits each (e.g. 15b3.101b), so no node reports it`,
    ]);
  });

  test("many unknown names make one warning that counts the rest", () => {
    const value = Array.from({ length: 8 }, (_, i) => `NOPE${i}`).join(",");
    const [w] = warnings({ "oci.cpu.features": value });
    assert.match(w ?? "", /"NOPE0", "NOPE1", "NOPE2", "NOPE3", "NOPE4" \(\+3 more\)/);
  });
});
