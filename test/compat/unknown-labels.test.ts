// Issue #13.9: labels the proposals use but the catalog lacks, and typos of the ones it has.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { createCatalog, suggestLabel } from "../../src/compat/catalog.js";
import { compileSets, INFERRED_VERSION_NOTE } from "../../src/compat/compiled-set.js";
import { validateDocument } from "../../src/compat/document.js";
import { anySetPasses, evaluateSets, prepareNode } from "../../src/compat/evaluate.js";
import { parseLabelPack } from "../../src/compat/label-pack.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { readSets } from "../../src/compat/sets.js";

const catalog = createCatalog();

function nodeWith(labels: NodeProfile["labels"]): NodeProfile {
  return { schemaVersion: 1, name: "n", platform: { os: "linux", architecture: "amd64" }, labels };
}

describe("an unknown label whose value is a version range is compared as a version", () => {
  const table: [value: string, fact: string, pass: boolean][] = [
    ["[4.1.6, 4.1.6]", "4.1.6", true],
    ["[4.1.6, 4.1.6]", "4.1.5", false],
    [">=4.1", "4.1.6", true],
    [">=4.1", "4.0.3", false],
    ["<5, >=4.1", "4.1.6", true],
    ["(4.0, 5.0)", "4.1.6", true],
    ["!=4.1.6", "4.1.6", false],
  ];
  for (const [value, fact, pass] of table) {
    test(`oci.os.openmpi ${JSON.stringify(value)} on a node with ${fact}: ${pass ? "passes" : "fails"}, with a note`, () => {
      const compiled = compileSets(readSets([{ "oci.os.openmpi": value }]), catalog);
      assert.deepEqual(compiled.errors, []);
      assert.equal(compiled.compiled[0]?.labels[0]?.type, "version");
      const node = prepareNode(nodeWith({ "oci.os.openmpi": fact }), catalog);
      const result = evaluateSets(compiled.compiled, node);
      assert.equal(result.compatible, pass);
      assert.equal(anySetPasses(compiled.compiled, node), pass);
      assert.ok(result.sets[0]?.labels[0]?.reason.endsWith(`; ${INFERRED_VERSION_NOTE}`));
    });
  }

  test("validate says so in its warning", () => {
    const report = validateDocument(
      "compat",
      { compatibilities: [{ "oci.os.openmpi": "[4.1.6, 4.1.6]" }] },
      { catalog },
    );
    assert.deepEqual(report.errors, []);
    assert.deepEqual(
      report.warnings.map((w) => w.message),
      [
        'unknown label "oci.os.openmpi": its value is a version range, so it is compared as a version (a label pack can declare its type)',
      ],
    );
  });

  const strings = ["4.1.6", "openmpi-4.1*", "GenuineIntel|AuthenticAMD", "(not a version)", "[x]"];
  for (const value of strings) {
    test(`${JSON.stringify(value)} is not unambiguously a version, so it stays a string`, () => {
      const compiled = compileSets(readSets([{ "org.example.thing": value }]), catalog);
      assert.deepEqual(compiled.errors, []);
      assert.equal(compiled.compiled[0]?.labels[0]?.type, "string");
      assert.equal(compiled.compiled[0]?.labels[0]?.note, undefined);
    });
  }

  test("a label pack's declared type wins over the inference", () => {
    const [def] = parseLabelPack(
      "apiVersion: ocicompat/v1alpha1\nkind: LabelPack\nlabels:\n  - {name: oci.os.openmpi, type: string, summary: S}\n",
      "pack.yaml",
    );
    const packs = createCatalog(def ? [def] : []);
    const compiled = compileSets(readSets([{ "oci.os.openmpi": ">=4.1" }]), packs);
    assert.equal(compiled.compiled[0]?.labels[0]?.type, "string");
    assert.deepEqual(compiled.warnings, []);
  });
});

describe("a typo of a known oci.* label is an error with a suggestion", () => {
  const typos: [written: string, meant: string][] = [
    ["oci.cpu.featurs", "oci.cpu.features"],
    ["oci.cpu.feature", "oci.cpu.features"],
    ["oci.kernel.verison", "oci.kernel.version"],
    ["oci.os.glibc2", "oci.os.glibc"],
    ["OCI.CPU.VENDOR", "oci.cpu.vendor"],
    ["oci.pci.device", "oci.pci.devices"],
  ];
  for (const [written, meant] of typos) {
    test(`${written}: did you mean ${meant}?`, () => {
      const report = validateDocument(
        "compat",
        { compatibilities: [{ [written]: "x" }] },
        { catalog },
      );
      assert.deepEqual(
        report.errors.map((e) => e.message),
        [
          `unknown label "${written}"; did you mean ${meant}? (an oci.* label that is not in the catalog needs a label pack)`,
        ],
      );
    });
  }

  const notTypos = [
    "oci.os.openmpi",
    "oci.gpu.amd.driver",
    "org.example.cpu.featurs",
    "cpu.features",
  ];
  for (const name of notTypos) {
    test(`${name} is far from every known label (or not oci.*): a warning, not an error`, () => {
      const report = validateDocument(
        "compat",
        { compatibilities: [{ [name]: "x" }] },
        { catalog },
      );
      assert.deepEqual(report.errors, []);
      assert.equal(report.warnings.length, 1);
    });
  }

  test("an oci.* label a pack declares is known, so never taken for a typo", () => {
    const [def] = parseLabelPack(
      "apiVersion: ocicompat/v1alpha1\nkind: LabelPack\nlabels:\n  - {name: oci.cpu.featurez, type: set, summary: S}\n",
      "pack.yaml",
    );
    const packs = createCatalog(def ? [def] : []);
    const report = validateDocument(
      "compat",
      { compatibilities: [{ "oci.cpu.featurez": "A" }] },
      { catalog: packs },
    );
    assert.deepEqual(report.errors, []);
  });

  test("suggestLabel answers nothing when two labels are equally close", () => {
    // oci.pci.devices and oci.usb.devices are both three edits from oci.xyz.devices.
    assert.equal(suggestLabel(catalog, "oci.xyz.devices"), undefined);
    assert.equal(suggestLabel(catalog, "oci.kernel.verison"), "oci.kernel.version");
  });

  test("every known name is its own suggestion, and a single edit of one finds it back", () => {
    const names = catalog.list().map((d) => d.name);
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.nat(),
        fc.constantFrom("delete", "swap", "double"),
        (name, at, edit) => {
          const i = 4 + (at % (name.length - 5));
          const typo =
            edit === "delete"
              ? name.slice(0, i) + name.slice(i + 1)
              : edit === "swap"
                ? name.slice(0, i) + name.charAt(i + 1) + name.charAt(i) + name.slice(i + 2)
                : name.slice(0, i) + name.charAt(i) + name.slice(i);
          if (catalog.get(typo) !== undefined) return;
          const suggested = suggestLabel(catalog, typo);
          // Another label may be as close (oci.cpu.model vs oci.cpu.model-id); never a wrong one.
          if (suggested !== undefined) assert.equal(suggested, name, typo);
        },
      ),
    );
  });
});
