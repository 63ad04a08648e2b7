// The pure selection core: platform matching (fallbacks, variant ladders, amd64 levels,
// os.features), Proposal E features, compatibilities, ranking, and the report of every entry.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { compileSets } from "../../src/compat/compiled-set.js";
import { prepareNode } from "../../src/compat/evaluate.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import {
  featureKey,
  matchPlatform,
  missingFeatures,
  nodePlatformOf,
  parsePlatformOverride,
} from "../../src/compat/platform-match.js";
import { selectEntries } from "../../src/compat/select.js";
import type {
  EntryCompat,
  EntryPlatform,
  SelectionEntryInput,
} from "../../src/compat/select/input.js";
import { readSets } from "../../src/compat/sets.js";
import { MediaType } from "../../src/oci/media-types.js";

const catalog = createCatalog();

function profile(
  platform: NodeProfile["platform"],
  labels: NodeProfile["labels"] = {},
): NodeProfile {
  return { schemaVersion: 1, name: "n", platform, labels };
}

function node(spec: string, labels: NodeProfile["labels"] = {}, extra: object = {}) {
  const [os, architecture, variant] = spec.split("/") as [string, string, string | undefined];
  return nodePlatformOf(
    profile({ os, architecture, ...(variant ? { variant } : {}), ...extra }, labels),
    catalog,
  );
}

function entryPlatform(spec: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = spec.split("/") as [string, string, string | undefined];
  return { os, architecture, ...(variant ? { variant } : {}) };
}

describe("platform matching", () => {
  // [node, entry, runs?, native, variantLevel]
  const cases: [string, string, boolean, boolean?, number?][] = [
    ["linux/amd64/v3", "linux/amd64", true, true, 0],
    ["linux/amd64/v3", "linux/amd64/v1", true, true, 0],
    ["linux/amd64/v3", "linux/amd64/v2", true, true, 1],
    ["linux/amd64/v3", "linux/amd64/v3", true, true, 2],
    ["linux/amd64/v3", "linux/amd64/v4", false],
    ["linux/amd64", "linux/amd64/v2", false],
    ["linux/amd64/v3", "linux/x86_64", true, true, 0],
    ["linux/x86_64", "linux/amd64", true, true, 0],
    ["linux/amd64/v3", "linux/386", true, false, 0],
    ["linux/amd64/v3", "linux/i686", true, false, 0],
    ["linux/amd64/v3", "linux/arm64", false],
    ["linux/386", "linux/amd64", false],
    ["linux/arm64", "linux/arm64", true, true, 0],
    ["linux/arm64", "linux/aarch64", true, true, 0],
    ["linux/arm64", "linux/arm64/v8", true, true, 0],
    ["linux/arm64", "linux/arm64/v8.2", false],
    ["linux/arm64/v8.2", "linux/arm64/v8.1", true, true, 1],
    ["linux/arm64/v9", "linux/arm64/v8.5", true, true, 5],
    ["linux/arm64/v9", "linux/arm64/v8.6", false],
    ["linux/arm64/v9.1", "linux/arm64/v8.6", true, true, 6],
    ["linux/arm64/v9.1", "linux/arm64/v9", true, true, 10],
    ["linux/arm64/v9.2", "linux/arm64/v9.2", true, true, 12],
    ["linux/arm64/v9.2", "linux/arm64/v8.7", true, true, 7],
    ["linux/arm64/v9.2", "linux/arm64/v8.8", false],
    ["linux/arm64/v9.2", "linux/arm64/v9.3", false],
    ["linux/arm64/v8.4", "linux/arm64/v9", false],
    ["linux/arm64", "linux/arm", true, false, 2],
    ["linux/arm64", "linux/arm/v8", true, false, 3],
    ["linux/arm64", "linux/arm/v5", true, false, 0],
    ["linux/arm64", "linux/armhf", true, false, 2],
    ["linux/arm/v7", "linux/arm/v6", true, true, 1],
    ["linux/arm/v7", "linux/arm/v8", false],
    ["linux/arm/v6", "linux/armhf", false],
    ["linux/armhf", "linux/arm/v7", true, true, 2],
    ["linux/arm/v7", "linux/arm64", false],
    ["linux/riscv64", "linux/riscv64", true, true, 0],
    ["linux/riscv64/rva23u64", "linux/riscv64/rva23u64", true, true, 2],
    ["linux/riscv64/rva23u64", "linux/riscv64/rva22u64", true, true, 1],
    ["linux/riscv64/rva23u64", "linux/riscv64/rva20u64", true, true, 0],
    ["linux/riscv64/rva22u64", "linux/riscv64/rva23u64", false],
    ["linux/riscv64", "linux/riscv64/rva22u64", false],
    ["linux/riscv64", "linux/riscv64/rva20u64", true, true, 0],
    ["linux/riscv64/rva22u64", "linux/riscv64/rvb23u64", false],
    ["linux/ppc64le/power10", "linux/ppc64le/power9", true, true, 1],
    ["linux/ppc64le/power10", "linux/ppc64le/power8", true, true, 0],
    ["linux/ppc64le/power10", "linux/ppc64le", true, true, 0],
    ["linux/ppc64le/power9", "linux/ppc64le/power10", false],
    ["linux/ppc64le", "linux/ppc64le/power9", false],
    ["linux/ppc64le/power8", "linux/ppc64le", true, true, 0],
    ["linux/s390x/z15", "linux/s390x/z15", true, true, 1],
    ["linux/s390x/z15", "linux/s390x/z14", false],
    ["linux/amd64/v3", "windows/amd64", false],
    ["linux/amd64/v3", "Linux/AMD64", true, true, 0],
    ["linux/ppc64le", "linux/ppc64el", true, true, 0],
  ];
  for (const [nodeSpec, entrySpec, runs, native, level] of cases) {
    test(`${entrySpec} ${runs ? "runs" : "does not run"} on ${nodeSpec}`, () => {
      const match = matchPlatform(entryPlatform(entrySpec), node(nodeSpec));
      assert.equal(match.ok, runs, match.ok ? "" : match.reason);
      if (match.ok) {
        assert.equal(match.native, native);
        assert.equal(match.variantLevel, level);
      }
    });
  }

  test("reasons show both sides", () => {
    const n = node("linux/amd64/v3");
    const variant = matchPlatform(entryPlatform("linux/amd64/v4"), n);
    assert.deepEqual(variant, { ok: false, reason: "variant v4 is above the node's v3" });
    const arch = matchPlatform(entryPlatform("linux/arm64"), n);
    assert.deepEqual(arch, { ok: false, reason: "architecture arm64 does not run on amd64" });
    const os = matchPlatform(entryPlatform("windows/amd64"), n);
    assert.deepEqual(os, { ok: false, reason: "os windows is not the node's linux" });
  });

  test("without CPU flags that prove a level, the node's amd64 level is its profile's variant", () => {
    assert.equal(node("linux/amd64").text, "linux/amd64");
    assert.equal(node("linux/amd64/v3").text, "linux/amd64/v3");
    // A few flags of interest prove nothing by what they leave out.
    const partial = node("linux/amd64/v3", { "oci.cpu.features": ["AVX2", "BMI2"] });
    assert.equal(partial.text, "linux/amd64/v3");
    assert.deepEqual(partial.warnings, []);
  });

  // [profile variant, oci.cpu.features, platform.features, node's level, warns?]
  const V2_FLAGS = ["SSE2", "CX16", "LAHF_LM", "POPCNT", "PNI", "SSE4_1", "SSE4_2", "SSSE3"];
  const V3_FLAGS = [
    ...V2_FLAGS,
    "AVX",
    "AVX2",
    "BMI1",
    "BMI2",
    "F16C",
    "FMA",
    "ABM",
    "MOVBE",
    "XSAVE",
  ];
  const levelCases: [string | undefined, string[], string[], string, boolean][] = [
    // #13.7: a profile that claims v4 on a CPU whose flags show v2 gets v2, with a warning.
    ["v4", V2_FLAGS, [], "linux/amd64/v2", true],
    ["v4", ["X86_64_V2"], [], "linux/amd64/v2", true],
    // platform.features count as flags too.
    ["v4", [], V2_FLAGS, "linux/amd64/v2", true],
    // A complete flag list (it names SSE2) proves a level by what it lacks, even the baseline.
    ["v3", ["SSE2", "SSE3"], [], "linux/amd64", true],
    // Flags that prove a higher level raise it; without a claimed variant there is no mismatch.
    [undefined, ["AVX2", "X86_64_V2", "X86_64_V3"], [], "linux/amd64/v3", false],
    [undefined, V3_FLAGS, [], "linux/amd64/v3", false],
    ["v2", ["x86_64_v4"], [], "linux/amd64/v4", true],
    // A complete list decides over the X86_64_Vn flags (which discovery derives from it).
    ["v4", [...V3_FLAGS, "X86_64_V4"], [], "linux/amd64/v3", true],
    ["v3", V3_FLAGS, [], "linux/amd64/v3", false],
  ];
  for (const [variant, cpuFeatures, features, level, warns] of levelCases) {
    test(`a profile claiming ${variant ?? "no variant"} with flags [${[...cpuFeatures, ...features].join(" ")}] is ${level}${warns ? ", with a warning" : ""}`, () => {
      const n = nodePlatformOf(
        profile(
          {
            os: "linux",
            architecture: "x86_64",
            ...(variant ? { variant } : {}),
            ...(features.length > 0 ? { features } : {}),
          },
          cpuFeatures.length > 0 ? { "oci.cpu.features": cpuFeatures } : {},
        ),
        catalog,
      );
      assert.equal(n.text, level);
      assert.equal(n.warnings.length, warns ? 1 : 0, n.warnings.join("; "));
      if (warns) {
        assert.match(n.warnings[0] ?? "", new RegExp(`says amd64 variant ${variant}.*CPU flags`));
      }
    });
  }

  test("a v4 profile whose flags show v2 does not run the v4 entry", () => {
    const liar = profile(
      { os: "linux", architecture: "amd64", variant: "v4" },
      { "oci.cpu.features": V2_FLAGS },
    );
    const v4 = matchPlatform(entryPlatform("linux/amd64/v4"), nodePlatformOf(liar, catalog));
    assert.deepEqual(v4, { ok: false, reason: "variant v4 is above the node's v2" });
  });

  test("--platform replaces os/arch; without a variant the amd64 level still comes from the profile", () => {
    const p = profile(
      { os: "linux", architecture: "amd64", variant: "v3" },
      {
        "oci.cpu.features": ["X86_64_V4"],
      },
    );
    const at = (spec: string) => nodePlatformOf(p, catalog, parsePlatformOverride(spec)).text;
    // The flags decide the level (with a warning that the profile says v3).
    assert.equal(at("linux/amd64"), "linux/amd64/v4");
    assert.equal(at("linux/amd64/v1"), "linux/amd64");
    assert.equal(at("linux/amd64/v2"), "linux/amd64/v2");
    assert.equal(at("linux/arm64"), "linux/arm64");
    assert.equal(at("linux/arm"), "linux/arm/v7");
    assert.throws(() => parsePlatformOverride("linux"), { code: "INVALID_PLATFORM" });
  });

  test("os.features must all be the node's", () => {
    const n = node("windows/amd64", {}, { "os.features": ["win32k"] });
    assert.equal(
      matchPlatform({ os: "windows", architecture: "amd64", osFeatures: ["win32k"] }, n).ok,
      true,
    );
    const missing = matchPlatform(
      { os: "windows", architecture: "amd64", osFeatures: ["win32k", "hyperv"] },
      n,
    );
    assert.deepEqual(missing, {
      ok: false,
      reason: "needs os.features hyperv, which the node lacks",
    });
  });

  test("Proposal E features: platform.features ∪ oci.cpu.features, ignoring case and _", () => {
    const n = node(
      "linux/amd64",
      { "oci.cpu.features": ["AVX2", "AVX512FP16"] },
      { features: ["bmi2"] },
    );
    assert.deepEqual(missingFeatures(["avx2", "BMI2", "avx512_fp16"], n), []);
    assert.deepEqual(missingFeatures(["avx2", "amx_tile", "sve"], n), ["amx_tile", "sve"]);
    assert.equal(featureKey("SSE4_2"), "sse42");
  });
});

// ---- selectEntries -------------------------------------------------------------------------

let digestCounter = 0;
function digest(): string {
  return `sha256:${(digestCounter++).toString(16).padStart(64, "0")}`;
}

function sets(...list: Record<string, unknown>[]): EntryCompat {
  const compiled = compileSets(readSets(list), catalog);
  assert.equal(compiled.errors.length, 0);
  return {
    state: "ok",
    form: "manifest",
    descriptor: { mediaType: MediaType.ImageManifest, digest: digest(), size: 500 },
    sets: compiled.compiled,
  };
}

function entry(
  platform: string | EntryPlatform | undefined,
  extra: Partial<SelectionEntryInput> = {},
): SelectionEntryInput {
  return {
    descriptor: { mediaType: MediaType.ImageManifest, digest: digest(), size: 1000 },
    ...(platform === undefined
      ? {}
      : { platform: typeof platform === "string" ? entryPlatform(platform) : platform }),
    ...extra,
  };
}

const INTEL: NodeProfile = profile(
  { os: "linux", architecture: "amd64", variant: "v3" },
  {
    "oci.cpu.vendor": "GenuineIntel",
    "oci.cpu.features": ["AVX2", "BMI2", "FMA", "X86_64_V3"],
    "oci.os.glibc": "2.35",
    "oci.kernel.version": "5.15.0-91-generic",
  },
);

function run(
  inputs: SelectionEntryInput[],
  p: NodeProfile = INTEL,
  options: { tags?: string[]; platform?: string } = {},
) {
  return selectEntries(inputs, {
    node: prepareNode(p, catalog),
    catalog,
    ...(options.tags ? { tags: options.tags } : {}),
    ...(options.platform ? { platform: parsePlatformOverride(options.platform) } : {}),
  });
}

describe("selectEntries", () => {
  test("an entry without compatibilities passes that step; the more specific passing entry wins", () => {
    const r = run([entry("linux/amd64"), entry("linux/amd64/v3"), entry("linux/arm64")]);
    assert.deepEqual(r.ranking, [1, 0]);
    assert.equal(r.chosen?.index, 1);
    assert.deepEqual(
      r.entries.map((e) => [e.status, e.rank, e.specificity?.variant]),
      [
        ["compatible", 2, 0],
        ["chosen", 1, 2],
        ["excluded", undefined, undefined],
      ],
    );
    assert.equal(r.nodePlatform, "linux/amd64/v3");
  });

  test("score beats specificity", () => {
    const r = run([
      entry("linux/amd64/v3", {
        platform: { ...entryPlatform("linux/amd64/v3"), features: ["avx2", "bmi2"] },
        compat: sets({ "oci.cpu.features": "AVX2", "oci.os.glibc": ">=2.31", score: 1 }),
      }),
      entry("linux/amd64", { compat: sets({ "oci.cpu.vendor": "GenuineIntel", score: 5 }) }),
    ]);
    assert.equal(r.chosen?.index, 1);
    assert.deepEqual(
      r.entries.map((e) => [e.score, e.specificity]),
      [
        [1, { variant: 2, features: 2, osFeatures: 0, labels: 2 }],
        [5, { variant: 0, features: 0, osFeatures: 0, labels: 1 }],
      ],
    );
  });

  test("specificity compares the variant, then platform.features, then os.features, then labels", () => {
    const r = run([
      entry("linux/amd64", {
        compat: sets({ "oci.cpu.features": "AVX2", "oci.cpu.vendor": "GenuineIntel" }),
      }),
      entry({ ...entryPlatform("linux/amd64/v2"), features: ["avx2"] }),
      entry("linux/amd64/v3", { compat: sets({ "oci.cpu.features": "FMA" }) }),
    ]);
    assert.deepEqual(
      r.entries.map((e) => e.specificity),
      [
        { variant: 0, features: 0, osFeatures: 0, labels: 2 },
        { variant: 1, features: 1, osFeatures: 0, labels: 0 },
        { variant: 2, features: 0, osFeatures: 0, labels: 1 },
      ],
    );
    assert.deepEqual(r.ranking, [2, 1, 0]);
  });

  test("equal score and specificity keep index order", () => {
    const r = run([entry("linux/amd64/v2"), entry("linux/x86_64/v2"), entry("linux/amd64/v2")]);
    assert.deepEqual(r.ranking, [0, 1, 2]);
  });

  test("the score of an entry is that of its best passing set", () => {
    const r = run([
      entry("linux/amd64", {
        compat: sets(
          { "oci.cpu.vendor": "AuthenticAMD", score: 50 },
          { "oci.cpu.vendor": "GenuineIntel", score: 7 },
          { "oci.os.glibc": ">=2.30", score: 3 },
        ),
      }),
    ]);
    assert.equal(r.entries[0]?.score, 7);
    assert.equal(r.entries[0]?.compat?.result?.bestSet, 1);
  });

  test("a native entry is chosen before an architecture fallback, whatever the score", () => {
    const r = run([
      entry("linux/386", { compat: sets({ "oci.cpu.vendor": "GenuineIntel", score: 100 }) }),
      entry("linux/amd64"),
    ]);
    assert.deepEqual(r.ranking, [1, 0]);
    const only = run([entry("linux/386")]);
    assert.equal(only.chosen?.index, 0);
    assert.equal(only.entries[0]?.native, false);
    assert.match(only.entries[0]?.reasons[0]?.message ?? "", /fallback \(386 on amd64\)/);
  });

  test("Proposal E features the node lacks exclude the entry, and are listed", () => {
    const r = run([
      entry({ ...entryPlatform("linux/amd64/v3"), features: ["avx2", "avx512f", "amx"] }),
    ]);
    const e = r.entries[0];
    assert.equal(e?.excludedBy, "features");
    assert.deepEqual(e?.missingFeatures, ["avx512f", "amx"]);
    assert.equal(r.chosen, null);
    assert.equal(r.compatible, false);
  });

  test("a failing set excludes with the failing label; an unknown label does not pass", () => {
    const r = run([
      entry("linux/amd64", { compat: sets({ "oci.os.glibc": ">=2.38" }) }),
      entry("linux/amd64", { compat: sets({ "oci.pci.devices": "15b3.*" }) }),
    ]);
    assert.equal(r.chosen, null);
    assert.match(
      r.entries[0]?.reasons[0]?.message ?? "",
      /set 0 fail \(oci\.os\.glibc: needs >=2\.38; node has 2\.35/,
    );
    assert.match(
      r.entries[1]?.reasons[0]?.message ?? "",
      /set 0 unknown \(oci\.pci\.devices: node has no fact/,
    );
    const glibc = r.entries[0]?.compat?.result?.sets[0]?.labels[0];
    assert.deepEqual(
      {
        label: glibc?.label,
        required: glibc?.required,
        observed: glibc?.observed,
        status: glibc?.status,
      },
      { label: "oci.os.glibc", required: ">=2.38", observed: "2.35", status: "fail" },
    );
  });

  test("--tags: only sets carrying a tag count; an entry with no such set is excluded", () => {
    const compat = sets(
      { "oci.cpu.vendor": "GenuineIntel", tags: ["intel"] },
      { "oci.cpu.vendor": "AuthenticAMD", tags: "amd" },
    );
    assert.equal(
      run([entry("linux/amd64", { compat })], INTEL, { tags: ["intel"] }).compatible,
      true,
    );
    const amd = run([entry("linux/amd64", { compat })], INTEL, { tags: ["amd"] });
    assert.equal(amd.compatible, false);
    const none = run([entry("linux/amd64", { compat })], INTEL, { tags: ["gpu"] });
    assert.match(none.entries[0]?.reasons[0]?.message ?? "", /no compatibility set is considered/);
    // An entry without compatibilities is not affected by tags.
    assert.equal(run([entry("linux/amd64")], INTEL, { tags: ["gpu"] }).compatible, true);
  });

  test("dangling or corrupt compatibilities exclude the entry with a warning naming the digest", () => {
    const ghost = "sha256:" + "ab".repeat(32);
    const dangling: EntryCompat = {
      state: "unreadable",
      form: "manifest",
      descriptor: { mediaType: MediaType.ImageManifest, digest: ghost, size: 10 },
      problem: "dangling: manifest unknown",
    };
    const r = run([entry("linux/amd64/v3", { compat: dangling }), entry("linux/amd64")]);
    assert.equal(r.entries[0]?.status, "excluded");
    assert.equal(r.entries[0]?.excludedBy, "compatibilities");
    assert.equal(r.entries[0]?.compat?.state, "unreadable");
    assert.equal(r.chosen?.index, 1);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? "", new RegExp(`${ghost}.*dangling: manifest unknown.*excluded`));
    // On an entry whose platform does not run here, it is still a loud problem of the image.
    const arm = run([entry("linux/arm64", { compat: dangling })]);
    assert.equal(arm.entries[0]?.excludedBy, "platform");
    assert.equal(arm.warnings.length, 1);
  });

  test("attestations, artifacts and unknown media types are skipped; entries without a platform excluded", () => {
    const r = run([
      entry("unknown/unknown"),
      entry("linux/amd64", {
        descriptor: {
          mediaType: MediaType.ImageManifest,
          digest: digest(),
          size: 1,
          annotations: { "vnd.docker.reference.type": "attestation-manifest" },
        },
      }),
      entry("linux/amd64", {
        descriptor: { mediaType: "application/vnd.example+json", digest: digest(), size: 1 },
      }),
      entry("linux/amd64", {
        descriptor: {
          mediaType: MediaType.ImageManifest,
          digest: digest(),
          size: 1,
          artifactType: "application/spdx+json",
        },
      }),
      entry(undefined),
      entry("linux/amd64", {
        descriptor: { mediaType: MediaType.DockerManifest, digest: digest(), size: 1 },
      }),
    ]);
    assert.deepEqual(
      r.entries.map((e) => e.status),
      ["skipped", "skipped", "skipped", "skipped", "excluded", "chosen"],
    );
    assert.match(r.entries[0]?.reasons[0]?.message ?? "", /unknown\/unknown/);
    assert.match(r.entries[1]?.reasons[0]?.message ?? "", /attestation manifest/);
    assert.match(r.entries[2]?.reasons[0]?.message ?? "", /application\/vnd\.example\+json/);
    assert.match(r.entries[4]?.reasons[0]?.message ?? "", /no platform/);
  });

  test("nested indexes: their entries follow, depth first, with their paths; unreadable ones warn", () => {
    const nested = (children: SelectionEntryInput[], extra: Partial<SelectionEntryInput> = {}) =>
      entry(undefined, {
        descriptor: { mediaType: MediaType.ImageIndex, digest: digest(), size: 300 },
        children,
        ...extra,
      });
    const r = run([
      entry("linux/arm64"),
      nested([entry("linux/amd64"), nested([entry("linux/amd64/v3")])]),
      nested([], { problem: "dangling: manifest unknown" }),
      entry("linux/amd64/v2"),
    ]);
    assert.deepEqual(
      r.entries.map((e) => [e.path.join("."), e.status]),
      [
        ["0", "excluded"],
        ["1", "nested"],
        ["1.0", "compatible"],
        ["1.1", "nested"],
        ["1.1.0", "chosen"],
        ["2", "excluded"],
        ["3", "compatible"],
      ],
    );
    assert.equal(r.chosen?.index, 4);
    assert.deepEqual(r.ranking, [4, 6, 2]);
    assert.equal(r.entries[5]?.excludedBy, "unreadable");
    assert.equal(r.warnings.length, 1);
  });

  test("the --platform override applies", () => {
    const r = run([entry("linux/amd64"), entry("linux/arm64")], INTEL, { platform: "linux/arm64" });
    assert.equal(r.chosen?.index, 1);
    assert.equal(r.nodePlatform, "linux/arm64");
  });

  test("the result is plain JSON", () => {
    const r = run([
      entry("linux/amd64", { compat: sets({ "oci.cpu.vendor": "GenuineIntel" }) }),
      entry("linux/arm64"),
    ]);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });
});

// ---- ranking (issue #13: items 4, 6 and 8) ----------------------------------------------------

describe("ranking", () => {
  const glibcKernelVendor = {
    "oci.os.glibc": ">=2.17",
    "oci.kernel.version": ">=4.18",
    "oci.cpu.vendor": "GenuineIntel",
  };

  test("a generic linux/amd64 entry with 3 labels does not beat the amd64/v3 build on a v3 node", () => {
    const r = run([
      entry("linux/amd64", { compat: sets(glibcKernelVendor) }),
      entry("linux/amd64/v3"),
    ]);
    assert.equal(r.chosen?.index, 1);
    assert.deepEqual(r.ranking, [1, 0]);
  });

  test("labels still break ties between entries of the same platform", () => {
    const r = run([
      entry("linux/amd64/v3", { compat: sets({ "oci.cpu.vendor": "GenuineIntel" }) }),
      entry("linux/amd64/v3", { compat: sets(glibcKernelVendor) }),
    ]);
    assert.deepEqual(r.ranking, [1, 0]);
  });

  test("an entry's rank does not depend on the order of its sets: its best passing set counts", () => {
    const loose = { "oci.cpu.vendor": "GenuineIntel" };
    const other = entry("linux/amd64", {
      compat: sets({ "oci.cpu.vendor": "GenuineIntel", "oci.os.glibc": ">=2.17" }),
    });
    for (const order of [
      [loose, glibcKernelVendor],
      [glibcKernelVendor, loose],
    ]) {
      const r = run([other, entry("linux/amd64", { compat: sets(...order) })]);
      assert.equal(r.chosen?.index, 1, JSON.stringify(order));
      assert.equal(r.entries[1]?.specificity?.labels, 3);
    }
  });

  test("a stricter set that validate does not flag can change the choice (so it must not be flagged)", () => {
    const compat = [{ "oci.cpu.vendor": "GenuineIntel" }, glibcKernelVendor];
    const compiled = compileSets(readSets(compat), catalog);
    assert.deepEqual(compiled.warnings, []);
    const rival = () =>
      entry("linux/amd64", {
        compat: sets({ "oci.cpu.vendor": "GenuineIntel", "oci.os.glibc": ">=2.17" }),
      });
    const withStrict = run([rival(), entry("linux/amd64", { compat: sets(...compat) })]);
    const withoutStrict = run([rival(), entry("linux/amd64", { compat: sets(compat[0] ?? {}) })]);
    assert.equal(withStrict.chosen?.index, 1);
    assert.equal(withoutStrict.chosen?.index, 0);
  });

  test("the entry with more matching os.features ranks first, as in containerd", () => {
    const win = profile({
      os: "windows",
      architecture: "amd64",
      "os.features": ["win32k"],
    });
    const r = run(
      [
        entry("windows/amd64"),
        entry({ os: "windows", architecture: "amd64", "os.features": ["win32k"] }),
      ],
      win,
    );
    assert.deepEqual(r.ranking, [1, 0]);
    assert.equal(r.entries[1]?.specificity?.osFeatures, 1);
  });

  // [node, entries in index order, ranking (by variant), excluded]
  const ladders: [string, string[], string[], string[]][] = [
    // containerd's order on a v9.2 node: v9.2, v9.1, v9, then v8.7 down to v8.
    [
      "linux/arm64/v9.2",
      ["linux/arm64", "linux/arm64/v8.7", "linux/arm64/v9", "linux/arm64/v9.2", "linux/arm64/v8.8"],
      ["v9.2", "v9", "v8.7", "-"],
      ["v8.8"],
    ],
    [
      "linux/ppc64le/power10",
      ["linux/ppc64le", "linux/ppc64le/power9", "linux/ppc64le/power10"],
      ["power10", "power9", "-"],
      [],
    ],
    [
      "linux/ppc64le/power9",
      ["linux/ppc64le/power8", "linux/ppc64le/power10", "linux/ppc64le/power9"],
      ["power9", "power8"],
      ["power10"],
    ],
    [
      "linux/riscv64/rva22u64",
      ["linux/riscv64/rva20u64", "linux/riscv64/rva23u64", "linux/riscv64/rva22u64"],
      ["rva22u64", "rva20u64"],
      ["rva23u64"],
    ],
    [
      "linux/amd64/v4",
      ["linux/amd64", "linux/amd64/v2", "linux/amd64/v4", "linux/amd64/v3"],
      ["v4", "v3", "v2", "-"],
      [],
    ],
  ];
  for (const [nodeSpec, entries, ranking, excluded] of ladders) {
    test(`on ${nodeSpec}: ${ranking.join(" > ")}${excluded.length ? `; ${excluded.join(", ")} excluded` : ""}`, () => {
      const [os, architecture, variant] = nodeSpec.split("/") as [string, string, string];
      const r = run(
        entries.map((e) => entry(e)),
        profile({ os, architecture, variant }),
      );
      const variantOf = (i: number) => entries[i]?.split("/")[2] ?? "-";
      assert.deepEqual(r.ranking.map(variantOf), ranking);
      assert.deepEqual(
        r.entries.filter((e) => e.status === "excluded").map((e) => variantOf(e.index)),
        excluded,
      );
    });
  }

  test("a profile claiming v4 whose CPU flags show v2 gets the v2 build, and the report warns", () => {
    const liar = profile(
      { os: "linux", architecture: "amd64", variant: "v4" },
      {
        "oci.cpu.features": [
          "SSE2",
          "CX16",
          "LAHF_LM",
          "POPCNT",
          "PNI",
          "SSE4_1",
          "SSE4_2",
          "SSSE3",
        ],
      },
    );
    const r = run([entry("linux/amd64/v4"), entry("linux/amd64/v2"), entry("linux/amd64")], liar);
    assert.equal(r.chosen?.index, 1);
    assert.equal(r.nodePlatform, "linux/amd64/v2");
    assert.equal(r.entries[0]?.excludedBy, "platform");
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? "", /says amd64 variant v4.*meet x86-64-v2/);
  });
});

describe("Windows os.version (as containerd/platforms)", () => {
  const LTSC2019 = "10.0.17763";
  const LTSC2022 = "10.0.20348";
  const LTSC2025 = "10.0.26100";
  const windows = (osVersion?: string): NodeProfile =>
    profile({
      os: "windows",
      architecture: "amd64",
      ...(osVersion === undefined ? {} : { "os.version": osVersion }),
    });
  const win = (osVersion?: string): SelectionEntryInput =>
    entry({
      os: "windows",
      architecture: "amd64",
      ...(osVersion === undefined ? {} : { "os.version": osVersion }),
    });

  test("an ltsc2019 node gets the ltsc2019 entry; the ltsc2022 one does not run there", () => {
    const r = run([win(`${LTSC2022}.2340`), win(`${LTSC2019}.5830`)], windows(`${LTSC2019}.5830`));
    assert.equal(r.chosen?.index, 1);
    assert.equal(r.entries[0]?.excludedBy, "platform");
    assert.match(
      r.entries[0]?.reasons[0]?.message ?? "",
      /os\.version 10\.0\.20348\.2340 does not run on the node's 10\.0\.17763\.5830: build 20348 is not the node's build 17763/,
    );
    assert.equal(r.entries[1]?.specificity?.osVersion, `${LTSC2019}.5830`);
  });

  // [node os.version, entries' os.version in index order, ranking as os.version ("-": none)]
  const cases: [string | undefined, (string | undefined)[], string[]][] = [
    // The same build: the closest revision first; at equal distance the higher.
    [
      `${LTSC2019}.5830`,
      [undefined, `${LTSC2019}.4000`, `${LTSC2019}.6000`, `${LTSC2019}.5830`, `${LTSC2019}.5660`],
      ["5830", "6000", "5660", "4000", "-"],
    ],
    // containerd's host spec has no revision: the highest revision first.
    [LTSC2019, [`${LTSC2019}.4000`, `${LTSC2019}.6000`, LTSC2019], ["6000", "4000", "17763"]],
    // From Windows Server 2022 on, the previous LTSC up to the host's build runs; the host's own
    // build first. ltsc2019 never runs there, and a newer build never runs on an older host.
    [
      `${LTSC2025}.2894`,
      [`${LTSC2022}.3091`, `${LTSC2019}.5830`, `${LTSC2025}.3000`, "10.0.25398.1"],
      ["3000", "1", "3091"],
    ],
    [`${LTSC2022}.3091`, [`${LTSC2025}.3000`, `${LTSC2022}.1`], ["1"]],
    // A node whose os.version is unknown runs them all (as containerd), the highest first.
    [undefined, [`${LTSC2019}.1`, `${LTSC2022}.1`, undefined], ["1", "1", "-"]],
  ];
  for (const [host, versions, ranking] of cases) {
    test(`on ${host ?? "a node without os.version"}: ${ranking.join(" > ")}`, () => {
      const r = run(
        versions.map((v) => win(v)),
        windows(host),
      );
      const revision = (i: number) => versions[i]?.split(".").at(-1) ?? "-";
      assert.deepEqual(r.ranking.map(revision), ranking);
      if (host === undefined) assert.deepEqual(r.ranking, [1, 0, 2]);
    });
  }

  test("Windows 10.0 does not run 6.3 images; an os.version that is not a Windows version does not match", () => {
    const r = run([win("6.3.9600.1"), win("ltsc2019")], windows(`${LTSC2019}.1`));
    assert.equal(r.compatible, false);
    assert.match(r.entries[0]?.reasons[0]?.message ?? "", /Windows 6\.3 is not the node's 10\.0/);
    assert.match(r.entries[1]?.reasons[0]?.message ?? "", /"ltsc2019" is not a Windows version/);
  });

  test("a node os.version that is not a Windows version warns, and is not compared", () => {
    const r = run([win(`${LTSC2019}.1`)], windows("2019"));
    assert.equal(r.chosen?.index, 0);
    assert.match(r.warnings[0] ?? "", /os\.version "2019" is not a Windows version/);
  });

  test("os.version is not compared on Linux", () => {
    const r = run([entry({ os: "linux", architecture: "amd64", "os.version": "5.15" })]);
    assert.equal(r.chosen?.index, 0);
    assert.equal(r.entries[0]?.specificity?.osVersion, undefined);
  });
});
