import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { factOf, nodeProfileIssues, readNodeProfile } from "../../src/compat/node-profile.js";
import { ValidationError } from "../../src/oci/errors.js";

const catalog = createCatalog();

const design = {
  schemaVersion: 1,
  name: "node-a",
  platform: {
    os: "linux",
    architecture: "amd64",
    variant: "v3",
    "os.features": [],
    features: ["avx2", "bmi2"],
  },
  labels: {
    "oci.cpu.vendor": "GenuineIntel",
    "oci.cpu.features": ["AVX2", "AVX512F", "X86_64_V3"],
    "oci.kernel.version": "5.15.0-91-generic",
    "oci.os.glibc": "2.35",
    "oci.memory.total": 68719476736,
    "oci.kernel.selinux": false,
  },
};

function withLabels(labels: Record<string, unknown>) {
  return { ...design, labels };
}

describe("node profile", () => {
  test("the example of the fixed format is valid", () => {
    assert.deepEqual(nodeProfileIssues(design, catalog), []);
  });

  test("readNodeProfile throws a ValidationError naming the source and each problem", () => {
    const bad = { ...design, schemaVersion: 2, labels: { "oci.cpu.features": "AVX2" } };
    assert.throws(
      () => readNodeProfile(bad, "node.json", catalog),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.subject === "node.json" &&
        e.issues.some((i) => i.path === "$.schemaVersion"),
    );
  });

  const wrong: [string, unknown, RegExp][] = [
    ["oci.cpu.features", "AVX2", /array of strings \(a set label\)/],
    ["oci.kernel.selinux", "false", /true or false \(a bool label\)/],
    ["oci.memory.total", "lots", /number or a quantity/],
    ["oci.os.glibc", 2.35, /must be a string \(a version label\)/],
    ["oci.cpu.vendor", ["GenuineIntel"], /must be a string \(a string label\)/],
  ];
  for (const [label, value, message] of wrong) {
    test(`a ${label} fact of the wrong type is an error at its JSON path`, () => {
      const issues = nodeProfileIssues(withLabels({ [label]: value }), catalog);
      assert.equal(issues.length, 1, JSON.stringify(issues));
      assert.equal(issues[0]?.path, `$.labels["${label}"]`);
      assert.match(issues[0]?.message ?? "", message);
    });
  }

  test("a quantity fact may be written with a unit", () => {
    assert.deepEqual(nodeProfileIssues(withLabels({ "oci.memory.total": "64Gi" }), catalog), []);
  });

  test("facts of unknown labels may have any fact shape", () => {
    assert.deepEqual(
      nodeProfileIssues(withLabels({ "org.example.x": [""], "org.example.y": 3 }), catalog),
      [],
    );
  });

  test("missing name, platform or labels are errors", () => {
    const paths = nodeProfileIssues({ schemaVersion: 1 }, catalog).map((i) => i.path);
    for (const p of ["$.name", "$.platform", "$.labels"])
      assert.ok(paths.includes(p), paths.join(","));
  });

  test("factOf finds a fact stored under a label's alias", () => {
    const profile = readNodeProfile(withLabels({ "oci.kernel.versions": "6.1.0" }), "x", catalog);
    assert.equal(factOf(profile, "oci.kernel.version", catalog), "6.1.0");
    assert.equal(factOf(profile, "oci.pci.devices", catalog), undefined);
  });
});
