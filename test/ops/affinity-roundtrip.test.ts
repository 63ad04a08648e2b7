// Round trip: node profiles labelled as NFD would (the `discover -o nfd` export). The generated
// affinity admits a node's labels exactly when selection (`select --node`) finds a fitting entry,
// for every requirement the labels can say; requirements they cannot say only ever widen it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ARCH_LABEL,
  combineImages,
  imageAffinity,
  nodeAffinityAdmits,
  OS_LABEL,
} from "../../src/compat/affinity/index.js";
import { createCatalog } from "../../src/compat/catalog.js";
import { compileSets } from "../../src/compat/compiled-set.js";
import { prepareNode } from "../../src/compat/evaluate.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { selectEntries } from "../../src/compat/select.js";
import type { SelectionEntryInput } from "../../src/compat/select/input.js";
import { readSets } from "../../src/compat/sets.js";
import { nfdLabelsOf } from "../../src/node/nfd/export-labels.js";
import { MediaType } from "../../src/oci/media-types.js";
import { nfdVocabulary } from "../../src/ops/affinity.js";

const catalog = createCatalog();
let digests = 0;

function entry(
  platform: { os: string; architecture: string },
  sets?: Record<string, unknown>[],
): SelectionEntryInput {
  const digest = `sha256:${String(++digests).padStart(64, "0")}`;
  const descriptor = { mediaType: MediaType.ImageManifest, digest, size: 100 };
  if (sets === undefined) return { descriptor, platform };
  const compiled = compileSets(readSets(sets as never), catalog);
  assert.deepEqual(compiled.errors, []);
  return {
    descriptor,
    platform,
    compat: {
      state: "ok",
      form: "manifest",
      descriptor: { mediaType: MediaType.ImageManifest, digest: `${digest}c`, size: 10 },
      sets: compiled.compiled,
    },
  };
}

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64" };
const armv7 = { os: "linux", architecture: "arm", variant: "v7" };

/** Images whose every requirement NFD's default labels can say exactly. */
const EXACT_IMAGES: Record<string, SelectionEntryInput[]> = {
  hpc: [
    entry(amd64, [
      { "oci.cpu.features": "avx512f", "oci.kernel.version": ">=5.15", score: 10 },
      {
        "oci.cpu.features": "avx2, fma",
        "oci.cpu.vendor": "GenuineIntel|AuthenticAMD",
        "oci.kernel.version": ">=5.15.3, <6.2",
      },
    ]),
    entry(arm64, [{ "oci.kernel.version": ">6.1" }]),
  ],
  distro: [
    entry(amd64, [{ "oci.os.id": "ubuntu", "oci.os.version": ">=22.04" }]),
    entry(amd64, [{ "oci.os.id": "debian", "oci.kernel.configurations": "PREEMPT" }]),
    entry(arm64, [{ "oci.os.id": "!ubuntu" }]),
  ],
  excluding: [
    entry(amd64, [{ "oci.cpu.features": "!avx512f", "oci.kernel.version": "!=5.15, <=6.1" }]),
    entry(arm64),
  ],
  intel: [entry(amd64, [{ "oci.cpu.vendor": "GenuineIntel", "oci.cpu.family": ">=6, !=7" }])],
  // The same cpuinfo name is AESNI in NFD's x86 labels and AES in its arm64 ones.
  crypto: [
    entry(arm64, [{ "oci.cpu.features": "aes, sha2", score: 5 }, { "oci.cpu.features": "sve" }]),
    entry(amd64, [{ "oci.cpu.features": "aes, avx2" }]),
  ],
};

function profiles(): NodeProfile[] {
  const out: NodeProfile[] = [];
  const kernels = ["5.4.0-150-generic", "5.15.0-91-generic", "5.15.3", "6.1.0", "6.1.94", "6.8.12"];
  // NFD-style profiles as discovery writes them: cpuinfo flags, upper case, some of which
  // (CONSTANT_TSC) NFD never labels.
  const flagSets: Record<string, string[][]> = {
    amd64: [
      [],
      ["AVX2", "FMA", "CONSTANT_TSC"],
      ["AVX2", "FMA", "AVX512F", "AES"],
      ["AES", "AVX2"],
    ],
    arm64: [[], ["AES", "SHA2", "ASIMD"], ["AES", "SVE"], ["AES", "SHA2", "SVE", "CPUID"]],
  };
  const oses = [
    ["ubuntu", "20.04"],
    ["ubuntu", "22.04"],
    ["ubuntu", "24.10"],
    ["debian", "12"],
  ];
  let n = 0;
  for (const architecture of ["amd64", "arm64"]) {
    for (const kernel of kernels) {
      for (const flags of flagSets[architecture] ?? []) {
        for (const vendor of ["GenuineIntel", "AuthenticAMD"]) {
          for (const [id, version] of oses) {
            for (const config of [[], ["PREEMPT"]]) {
              out.push({
                schemaVersion: 1,
                name: `node-${n++}`,
                platform: { os: "linux", architecture },
                labels: {
                  "oci.kernel.version": kernel,
                  "oci.cpu.features": flags,
                  "oci.cpu.vendor": vendor,
                  "oci.cpu.family": n % 3 === 0 ? 7 : 6,
                  "oci.os.id": id as string,
                  "oci.os.version": version as string,
                  "oci.kernel.configurations": config,
                },
              });
            }
          }
        }
      }
    }
  }
  return out;
}

function nodeLabels(p: NodeProfile): Record<string, string> {
  const labels: Record<string, string> = {
    [OS_LABEL]: p.platform.os,
    [ARCH_LABEL]: p.platform.architecture,
  };
  for (const l of nfdLabelsOf(p).labels) labels[l.name] = l.value;
  return labels;
}

function fits(entries: readonly SelectionEntryInput[], p: NodeProfile): boolean {
  return selectEntries(entries, { node: prepareNode(p, catalog), catalog }).compatible;
}

describe("affinity round trip over NFD-labelled node profiles", () => {
  const nodes = profiles();

  for (const [name, entries] of Object.entries(EXACT_IMAGES)) {
    test(`image "${name}": the affinity admits a node exactly when select finds an entry`, () => {
      const result = combineImages([imageAffinity({ reference: name, entries }, nfdVocabulary)]);
      assert.deepEqual(result.findings, []);
      let admitted = 0;
      for (const p of nodes) {
        const expected = fits(entries, p);
        assert.equal(nodeAffinityAdmits(result.nodeAffinity, nodeLabels(p)), expected, p.name);
        if (expected) admitted++;
      }
      // Both outcomes occur, so the comparison decides something.
      assert.ok(admitted > 0 && admitted < nodes.length, `${admitted} of ${nodes.length}`);
    });
  }

  test("two images in one pod: the intersection admits a node exactly when both fit", () => {
    const images = ["hpc", "distro"].map((name) =>
      imageAffinity({ reference: name, entries: EXACT_IMAGES[name]! }, nfdVocabulary),
    );
    const result = combineImages(images);
    for (const p of nodes) {
      const expected = fits(EXACT_IMAGES["hpc"]!, p) && fits(EXACT_IMAGES["distro"]!, p);
      assert.equal(nodeAffinityAdmits(result.nodeAffinity, nodeLabels(p)), expected, p.name);
    }
  });

  test("scores become preferred terms weighted by score", () => {
    const result = combineImages([
      imageAffinity({ reference: "hpc", entries: EXACT_IMAGES["hpc"]! }, nfdVocabulary),
    ]);
    const preferred = result.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    assert.ok(preferred.length > 0);
    assert.ok(preferred.every((p) => p.weight === 100));
    assert.ok(
      preferred.every((p) =>
        p.preference.matchExpressions?.some((e) => e.key.endsWith("cpu-cpuid.AVX512F")),
      ),
    );
  });

  test("requirements labels cannot say are reported and only widen the affinity", () => {
    const entries = [
      entry(amd64, [
        {
          "oci.cpu.features": "avx2, sse4_2",
          "oci.os.glibc": ">=2.35",
          "oci.kernel.version": ">=5.15.0-91",
        },
      ]),
    ];
    const result = combineImages([imageAffinity({ reference: "loose", entries }, nfdVocabulary)]);
    assert.deepEqual(
      result.findings.map((f) => [f.label, f.fidelity]),
      [
        ["oci.cpu.features", "approximate"],
        ["oci.os.glibc", "inexpressible"],
        ["oci.kernel.version", "approximate"],
      ],
    );
    let wider = 0;
    for (const p of nodes) {
      const withGlibc = {
        ...p,
        labels: {
          ...p.labels,
          "oci.os.glibc": "2.31",
          "oci.cpu.features": [...(p.labels["oci.cpu.features"] as string[]), "SSE42"],
        },
      };
      const admits = nodeAffinityAdmits(result.nodeAffinity, nodeLabels(withGlibc));
      const expected = fits(entries, withGlibc);
      if (expected) assert.equal(admits, true, `${p.name} fits, so the affinity must admit it`);
      if (admits && !expected) wider++;
    }
    assert.ok(wider > 0, "the glibc requirement is enforced only on the node");
  });

  test("a flag NFD does not label (cpuinfo's constant_tsc) is reported and only widens the affinity", () => {
    const entries = [entry(amd64, [{ "oci.cpu.features": "avx2, constant_tsc" }])];
    const result = combineImages([imageAffinity({ reference: "tsc", entries }, nfdVocabulary)]);
    assert.deepEqual(
      result.findings.map((f) => [f.label, f.value, f.fidelity]),
      [["oci.cpu.features", "avx2, constant_tsc", "approximate"]],
    );
    let fitting = 0;
    for (const p of nodes) {
      if (!fits(entries, p)) continue;
      fitting++;
      assert.equal(nodeAffinityAdmits(result.nodeAffinity, nodeLabels(p)), true, p.name);
    }
    assert.ok(fitting > 0, "some node has both flags, so a narrower affinity would fail here");
  });

  test("a 32-bit arm entry gets per-architecture terms: NFD's arm names on arm nodes, its arm64 names on arm64 nodes", () => {
    const entries = [entry(armv7, [{ "oci.cpu.features": "aes, neon" }])];
    const result = combineImages([imageAffinity({ reference: "arm", entries }, nfdVocabulary)]);
    const terms =
      result.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    const shape = terms.map((t) =>
      (t.matchExpressions ?? []).map((e) => `${e.key} ${e.operator} ${(e.values ?? []).join(",")}`),
    );
    assert.deepEqual(shape, [
      [
        "feature.node.kubernetes.io/cpu-cpuid.AES Exists ",
        "feature.node.kubernetes.io/cpu-cpuid.NEON Exists ",
        `${ARCH_LABEL} In arm`,
        `${OS_LABEL} In linux`,
      ],
      [
        "feature.node.kubernetes.io/cpu-cpuid.AES Exists ",
        `${ARCH_LABEL} In arm64`,
        `${OS_LABEL} In linux`,
      ],
    ]);

    // On arm64 nodes `neon` has no label (NFD names it ASIMD there): reported, left to the node.
    assert.ok(
      result.findings.some(
        (f) => f.label === "oci.cpu.features" && /neon: .* on arm64 nodes/.test(f.reason),
      ),
      JSON.stringify(result.findings),
    );
  });

  test("the documented exception: a node on a kernel pre-release is labelled, and placed, like the release", () => {
    const entries = [entry(amd64, [{ "oci.kernel.version": ">=6.9" }])];
    const below = [entry(amd64, [{ "oci.kernel.version": "<6.9" }])];
    const result = combineImages([imageAffinity({ reference: "rc", entries }, nfdVocabulary)]);
    const belowResult = combineImages([
      imageAffinity({ reference: "rc", entries: below }, nfdVocabulary),
    ]);
    const rc: NodeProfile = {
      schemaVersion: 1,
      name: "rc",
      platform: amd64,
      labels: { "oci.kernel.version": "6.9.0-rc3" },
    };
    assert.equal(fits(entries, rc), false);
    assert.equal(nodeAffinityAdmits(result.nodeAffinity, nodeLabels(rc)), true);
    assert.equal(fits(below, rc), true);
    assert.equal(nodeAffinityAdmits(belowResult.nodeAffinity, nodeLabels(rc)), false);
  });
});

describe("entries whose compatibilities are NFD rules", () => {
  test("the affinity keeps the entry's platform, reports the rules as checked on the node only, and never comes out empty", () => {
    const digest = `sha256:${"e".repeat(64)}`;
    const nfdEntry: SelectionEntryInput = {
      descriptor: { mediaType: MediaType.ImageManifest, digest, size: 100 },
      platform: amd64,
      compat: {
        state: "ok",
        form: "nfd",
        descriptor: {
          mediaType: MediaType.ImageManifest,
          digest: `sha256:${"f".repeat(64)}`,
          size: 10,
        },
        sets: [],
        nfd: { version: "v1alpha1", compatibilities: [] } as never,
      },
    };
    const result = combineImages([
      imageAffinity({ reference: "nfd-app", entries: [nfdEntry] }, nfdVocabulary),
    ]);
    assert.equal(result.unsatisfiable, false);
    const terms =
      result.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    assert.deepEqual(
      terms.map((t) => (t.matchExpressions ?? []).map((e) => e.key).sort()),
      [[ARCH_LABEL, OS_LABEL].sort()],
    );
    assert.deepEqual(
      result.findings.map((f) => [f.label, f.fidelity]),
      [["nfd", "inexpressible"]],
    );
  });
});
