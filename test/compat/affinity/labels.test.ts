// Per label: what NFD's node labels say exactly, what only approximately, and what not at all.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { requirementHolds, translateLabel, termsOf } from "../../../src/compat/affinity/index.js";
import { createCatalog } from "../../../src/compat/catalog.js";
import { compileSets } from "../../../src/compat/compiled-set.js";
import { readSets } from "../../../src/compat/sets.js";
import { nfdVocabulary } from "../../../src/ops/affinity.js";

const catalog = createCatalog();
const P = "feature.node.kubernetes.io/";

function translate(label: string, value: string, architecture = "amd64") {
  const [set] = compileSets(readSets([{ [label]: value }]), catalog).compiled;
  const compiled = set?.labels[0];
  assert.ok(compiled, `${label}: ${value} compiles`);
  const nodes = { architectures: [architecture], cpuFlags: nfdVocabulary.cpuFlags(architecture) };
  const t = translateLabel(compiled, nfdVocabulary, nodes);
  return { ...t, terms: termsOf(t.dnf).map((x) => x.matchExpressions) };
}

describe("affinity: labels", () => {
  test("CPU features become cpu-cpuid labels in NFD's spelling, alternatives OR into terms", () => {
    const t = translate("oci.cpu.features", "avx512f|avx2, fma");
    assert.equal(t.fidelity, "exact");
    assert.deepEqual(t.terms, [
      [
        { key: `${P}cpu-cpuid.AVX512F`, operator: "Exists" },
        { key: `${P}cpu-cpuid.FMA3`, operator: "Exists" },
      ],
      [
        { key: `${P}cpu-cpuid.AVX2`, operator: "Exists" },
        { key: `${P}cpu-cpuid.FMA3`, operator: "Exists" },
      ],
    ]);
  });

  test("CPU flags take the spelling NFD uses on the entry's architecture (AESNI on amd64, AES on arm64)", () => {
    const key = (arch: string) => translate("oci.cpu.features", "aes", arch).terms;
    assert.deepEqual(key("amd64"), [[{ key: `${P}cpu-cpuid.AESNI`, operator: "Exists" }]]);
    assert.deepEqual(key("386"), [[{ key: `${P}cpu-cpuid.AESNI`, operator: "Exists" }]]);
    assert.deepEqual(key("arm64"), [[{ key: `${P}cpu-cpuid.AES`, operator: "Exists" }]]);
    assert.deepEqual(key("arm"), [[{ key: `${P}cpu-cpuid.AES`, operator: "Exists" }]]);
    const sve = translate("oci.cpu.features", "sve2, asimd_dp", "arm64");
    assert.equal(sve.fidelity, "exact");
    assert.deepEqual(sve.terms, [
      [
        { key: `${P}cpu-cpuid.ASIMDDP`, operator: "Exists" },
        { key: `${P}cpu-cpuid.SVE2`, operator: "Exists" },
      ],
    ]);
    assert.deepEqual(translate("oci.cpu.features", "vxe", "s390x").terms, [
      [{ key: `${P}cpu-cpuid.VXE`, operator: "Exists" }],
    ]);
    assert.deepEqual(translate("oci.cpu.features", "vfpv3", "arm").terms, [
      [{ key: `${P}cpu-cpuid.VFPv3`, operator: "Exists" }],
    ]);
  });

  test("a flag NFD never publishes on the architecture is left out, not written as a label no node has", () => {
    const tsc = translate("oci.cpu.features", "avx2, constant_tsc");
    assert.equal(tsc.fidelity, "approximate");
    assert.match(
      tsc.reason ?? "",
      /constant_tsc: NFD publishes no cpu-cpuid label for it on amd64/,
    );
    assert.deepEqual(tsc.terms, [[{ key: `${P}cpu-cpuid.AVX2`, operator: "Exists" }]]);
    const x86OnArm = translate("oci.cpu.features", "avx2", "arm64");
    assert.equal(x86OnArm.fidelity, "inexpressible");
    assert.match(x86OnArm.reason ?? "", /on arm64 nodes/);
    const unknownArch = translate("oci.cpu.features", "zba", "riscv64");
    assert.equal(unknownArch.fidelity, "inexpressible");
    assert.match(unknownArch.reason ?? "", /NFD's CPU flag names on riscv64 nodes are not known/);
  });

  test("a flag NFD hides is reported by name, and its item is left out rather than narrowed", () => {
    const t = translate("oci.cpu.features", "avx2, sse4_2|avx");
    assert.equal(t.fidelity, "approximate");
    assert.match(t.reason ?? "", /sse4_2\|avx: NFD publishes no cpu-cpuid label/);
    assert.deepEqual(t.terms, [[{ key: `${P}cpu-cpuid.AVX2`, operator: "Exists" }]]);
  });

  test("a requirement made only of globs is inexpressible", () => {
    const t = translate("oci.cpu.features", "avx512*");
    assert.equal(t.fidelity, "inexpressible");
  });

  test("a forbidden flag becomes DoesNotExist", () => {
    const t = translate("oci.cpu.features", "!avx512f");
    assert.deepEqual(t.terms, [[{ key: `${P}cpu-cpuid.AVX512F`, operator: "DoesNotExist" }]]);
  });

  test("a kernel lower bound becomes Gt on major/minor/revision, exact for three components", () => {
    const t = translate("oci.kernel.version", ">=5.15.3");
    assert.equal(t.fidelity, "exact");
    assert.equal(t.terms.length, 3);
    assert.deepEqual(t.terms[0], [
      { key: `${P}kernel-version.major`, operator: "Gt", values: ["5"] },
    ]);
  });

  test("a short version's span ends where the next one starts: <=5.15 admits every 5.15.x", () => {
    const t = translate("oci.kernel.version", "<=5.15");
    assert.equal(t.fidelity, "exact");
    assert.deepEqual(t.terms, [
      [{ key: `${P}kernel-version.major`, operator: "Lt", values: ["5"] }],
      [
        { key: `${P}kernel-version.major`, operator: "Gt", values: ["4"] },
        { key: `${P}kernel-version.major`, operator: "Lt", values: ["6"] },
        { key: `${P}kernel-version.minor`, operator: "Lt", values: ["16"] },
      ],
      // A node without a minor label is 5.0 to the value language: below 5.16 as well.
      [
        { key: `${P}kernel-version.major`, operator: "Gt", values: ["4"] },
        { key: `${P}kernel-version.major`, operator: "Lt", values: ["6"] },
        { key: `${P}kernel-version.minor`, operator: "DoesNotExist" },
      ],
    ]);
  });

  test("an OS version without a minor part (Debian 12, no VERSION_ID.minor label) is admitted as select admits it", () => {
    const node12 = { [`${P}system-os_release.VERSION_ID.major`]: "12" };
    const node12dot3 = {
      [`${P}system-os_release.VERSION_ID.major`]: "12",
      [`${P}system-os_release.VERSION_ID.minor`]: "3",
    };
    for (const [value, on12, on12dot3] of [
      ["<12.1", true, false],
      ["[11, 12.1)", true, false],
      ["!=12.1", true, true],
      [">=12", true, true],
      ["<12", false, false],
    ] as const) {
      const t = translate("oci.os.version", value);
      assert.equal(t.fidelity, "exact", value);
      const admits = (labels: Record<string, string>) =>
        t.terms.some((term) => (term ?? []).every((r) => requirementHolds(r, labels)));
      assert.equal(admits(node12), on12, `${value} on 12`);
      assert.equal(admits(node12dot3), on12dot3, `${value} on 12.3`);
    }
  });

  test("a bound on a fourth component or a pre-release is widened and reported", () => {
    const four = translate("oci.kernel.version", ">=5.14.0-427");
    assert.equal(four.fidelity, "approximate");
    assert.match(four.reason ?? "", /first 3 components and no pre-release/);
    const rc = translate("oci.kernel.version", ">=6.9-rc3");
    assert.equal(rc.fidelity, "approximate");
  });

  test("vendors map to NFD's short names; a glob vendor is inexpressible", () => {
    const t = translate("oci.cpu.vendor", "GenuineIntel|authenticamd");
    assert.deepEqual(t.terms, [
      [{ key: `${P}cpu-model.vendor_id`, operator: "In", values: ["AMD", "Intel"] }],
    ]);
    assert.equal(translate("oci.cpu.vendor", "Genuine*").fidelity, "inexpressible");
  });

  test("a namespaced string label is exact only for values without letters: label values compare with case, the string match does not", () => {
    const numeric = translate("example.com/rack", "12|14");
    assert.equal(numeric.fidelity, "exact");
    assert.deepEqual(numeric.terms, [
      [{ key: "example.com/rack", operator: "In", values: ["12", "14"] }],
    ]);
    const named = translate("example.com/gpu", "Foo");
    assert.equal(named.fidelity, "inexpressible");
    assert.match(named.reason ?? "", /compare with case/);
  });

  test("labels NFD does not publish are reported precisely", () => {
    const t = translate("oci.os.glibc", ">=2.31");
    assert.equal(t.fidelity, "inexpressible");
    assert.match(t.reason ?? "", /NFD publishes no node label for oci\.os\.glibc/);
  });

  test("integers: >=6, !=7 on cpu family becomes two Gt/Lt terms", () => {
    const t = translate("oci.cpu.family", ">=6, !=7");
    assert.equal(t.fidelity, "exact");
    assert.deepEqual(t.terms, [
      [
        { key: `${P}cpu-model.family`, operator: "Gt", values: ["5"] },
        { key: `${P}cpu-model.family`, operator: "Lt", values: ["7"] },
      ],
      [{ key: `${P}cpu-model.family`, operator: "Gt", values: ["7"] }],
    ]);
  });
});
