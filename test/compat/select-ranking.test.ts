// Ranking (issue #13: items 4, 6 and 8): platform before labels, the best passing set, os.features
// as in containerd, variant ladders, and a claimed amd64 level that the CPU flags contradict.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileSets } from "../../src/compat/compiled-set.js";
import { readSets } from "../../src/compat/sets.js";
import { catalog, entry, profile, run, sets } from "./select-support.js";

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
