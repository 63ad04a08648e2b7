// Platform matching: fallbacks, variant ladders, amd64 levels, os.features, Proposal E features,
// and Windows os.version (as containerd/platforms).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import {
  featureKey,
  matchPlatform,
  missingFeatures,
  nodePlatformOf,
  parsePlatformOverride,
} from "../../src/compat/platform-match.js";
import type { SelectionEntryInput } from "../../src/compat/select/input.js";
import { catalog, entry, entryPlatform, profile, run } from "./select-support.js";

function node(spec: string, labels: NodeProfile["labels"] = {}, extra: object = {}) {
  const [os, architecture, variant] = spec.split("/") as [string, string, string | undefined];
  return nodePlatformOf(
    profile({ os, architecture, ...(variant ? { variant } : {}), ...extra }, labels),
    catalog,
  );
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
