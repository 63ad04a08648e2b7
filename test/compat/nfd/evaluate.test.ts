// NFD rules as NFD evaluates them (matchFeatures AND, matchAny OR, flags/attributes/instances,
// exact names, one device for a pci.device term), on NFD's documented example spec and on
// compspec/ocifit-k8s's file (test/fixtures/interop).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { evaluateNfdSpec } from "../../../src/compat/nfd/evaluate.js";
import type { NfdFeatures } from "../../../src/compat/nfd/features.js";
import { nfdFeaturesOf } from "../../../src/compat/nfd/features.js";
import { looksLikeNfdSpec, readNfdSpec, type NfdSpec } from "../../../src/compat/nfd/spec.js";
import { parseYaml } from "../../../src/compat/yaml.js";
import { parseIJsonText } from "../../../src/oci/ijson.js";

const FIXTURES = new URL("../../fixtures/interop/", import.meta.url);
const text = (name: string): string => readFileSync(new URL(name, FIXTURES), "utf8");

function nfdDocExample(): NfdSpec {
  const reading = readNfdSpec(parseYaml(text("nfd-image-compatibility.yaml"), "nfd.yaml"));
  assert.deepEqual(reading.errors, []);
  assert.ok(reading.spec);
  return reading.spec;
}

/** A node that satisfies NFD's documented example: vfio-pci loaded, Intel, a 0eee NIC. */
function node(
  overrides: { modules?: string[]; vendor?: string; pci?: Record<string, string>[] } = {},
): NfdFeatures {
  return {
    flags: {
      "kernel.loadedmodule": {
        elements: Object.fromEntries(
          (overrides.modules ?? ["vfio-pci", "nvme"]).map((m) => [m, {}]),
        ),
      },
    },
    attributes: {
      "cpu.model": { elements: { vendor_id: overrides.vendor ?? "Intel", family: "6" } },
    },
    instances: {
      "pci.device": {
        elements: (
          overrides.pci ?? [
            { class: "0300", vendor: "8086" },
            { class: "0200", vendor: "0eee" },
          ]
        ).map((attributes) => ({ attributes })),
      },
    },
  };
}

describe("NFD's documented example spec", () => {
  test("is recognised as an NFD spec and read without problems", () => {
    const value = parseYaml(text("nfd-image-compatibility.yaml"), "nfd.yaml");
    assert.equal(looksLikeNfdSpec(value), true);
    assert.equal(nfdDocExample().compatibilities[0]?.rules.length, 2);
  });

  test("passes on a node with vfio-pci, an Intel CPU and a 0eee network device", () => {
    const result = evaluateNfdSpec(nfdDocExample(), node());
    assert.equal(result.compatible, true);
    assert.deepEqual(
      result.compatibilities[0]?.rules.map((r) => r.matched),
      [true, true],
    );
  });

  test("keys are exact: vfio_pci does not satisfy vfio-pci, and the failure names rule, expression and observation", () => {
    const result = evaluateNfdSpec(nfdDocExample(), node({ modules: ["vfio_pci"] }));
    assert.equal(result.compatible, false);
    const rule = result.compatibilities[0]?.rules[0];
    assert.equal(rule?.name, "kernel and cpu");
    assert.equal(rule?.failure, "kernel.loadedmodule: vfio-pci Exists: the node does not have it");
  });

  test("an attribute failure shows the observed value", () => {
    const result = evaluateNfdSpec(nfdDocExample(), node({ vendor: "Ampere" }));
    assert.equal(
      result.compatibilities[0]?.rules[0]?.failure,
      'cpu.model: vendor_id In [Intel, AMD]: the node has "Ampere"',
    );
  });

  test("a pci.device term needs all its attributes on one device", () => {
    // vendor 0eee on one device and class 0200 on another: no single device has both.
    const split = node({
      pci: [
        { class: "0300", vendor: "0eee" },
        { class: "0200", vendor: "8086" },
      ],
    });
    const result = evaluateNfdSpec(nfdDocExample(), split);
    const nics = result.compatibilities[0]?.rules[1];
    assert.equal(nics?.matched, false);
    assert.match(
      nics?.failure ?? "",
      /^matchAny: none matches \(pci\.device: no instance has all of vendor In \[0eee\], class In \[0200\]/,
    );
    assert.match(nics?.failure ?? "", /vendor=0eee class=0300; vendor=8086 class=0200/);
  });

  test("matchAny passes when its second element matches", () => {
    const result = evaluateNfdSpec(
      nfdDocExample(),
      node({ pci: [{ class: "0200", vendor: "0fff" }] }),
    );
    assert.equal(result.compatible, true);
  });

  test("a feature the node lacks entirely fails, even for DoesNotExist (NFD's MatchMulti)", () => {
    const spec = readNfdSpec({
      version: "v1alpha1",
      compatibilities: [
        {
          rules: [
            {
              name: "r",
              matchFeatures: [
                { feature: "usb.device", matchExpressions: { vendor: { op: "DoesNotExist" } } },
              ],
            },
          ],
        },
      ],
    }).spec;
    assert.ok(spec);
    const r = evaluateNfdSpec(spec, node());
    assert.equal(
      r.compatibilities[0]?.rules[0]?.failure,
      "usb.device: the node has no such feature",
    );
  });

  test("matchName matches element names; tags filter; the best passing set is the heaviest", () => {
    const spec = readNfdSpec({
      version: "v1alpha1",
      compatibilities: [
        {
          tag: "a",
          weight: 1,
          rules: [
            {
              name: "m",
              matchFeatures: [
                { feature: "kernel.loadedmodule", matchName: { op: "InRegexp", value: ["^nv"] } },
              ],
            },
          ],
        },
        {
          tag: "b",
          weight: 5,
          rules: [
            {
              name: "n",
              matchFeatures: [
                { feature: "cpu.model", matchExpressions: { family: { op: "Gt", value: ["5"] } } },
              ],
            },
          ],
        },
      ],
    }).spec;
    assert.ok(spec);
    assert.equal(evaluateNfdSpec(spec, node()).best, 1);
    const onlyA = evaluateNfdSpec(spec, node(), { tags: ["a"] });
    assert.equal(onlyA.best, 0);
    assert.equal(onlyA.compatibilities[1]?.status, "skipped");
  });
});

describe("other NFD-shaped documents", () => {
  test("ocifit-k8s's list-form expressions are read against the node's labels (local.label), with a warning", () => {
    const reading = readNfdSpec(parseIJsonText(text("ocifit-k8s-compatibility-test.json")));
    assert.deepEqual(reading.errors, []);
    assert.equal(
      reading.warnings[0]?.path,
      "$.compatibilities[0].rules[0].matchFeatures[0].matchExpressions",
    );
    assert.ok(reading.spec);
    const labelled: NfdFeatures = {
      attributes: {
        "local.label": { elements: { "feature.node.ocifit-k8s.flavor": "chocolate" } },
      },
    };
    const result = evaluateNfdSpec(reading.spec, labelled);
    assert.deepEqual(
      result.compatibilities.map((c) => [c.tag, c.status]),
      [
        ["debian:11", "fail"],
        ["ubuntu:24.04", "pass"],
        ["rockylinux:9", "fail"],
      ],
    );
  });

  test("a rule with a matcher NFD does not have (ocifit-k8s's matchModel) is an error naming it", () => {
    const reading = readNfdSpec({
      version: "v1alpha1",
      compatibilities: [{ tag: "fom", rules: [{ matchModel: { model: { type: "lasso" } } }] }],
    });
    assert.equal(reading.spec, undefined);
    assert.equal(reading.errors[0]?.path, "$.compatibilities[0].rules[0].matchModel");
  });

  test("NodeFeature objects give their spec.features; non-string values are left out", () => {
    const features = nfdFeaturesOf({
      apiVersion: "nfd.k8s-sigs.io/v1alpha1",
      kind: "NodeFeature",
      spec: {
        features: {
          flags: { "cpu.cpuid": { elements: { AVX2: {} } } },
          attributes: { "kernel.version": { elements: { full: "6.1.0", bogus: 3 } } },
          instances: { "pci.device": { elements: [{ attributes: { vendor: "15b3" } }] } },
        },
      },
    });
    assert.deepEqual(features, {
      flags: { "cpu.cpuid": { elements: { AVX2: {} } } },
      attributes: { "kernel.version": { elements: { full: "6.1.0" } } },
      instances: { "pci.device": { elements: [{ attributes: { vendor: "15b3" } }] } },
    });
  });
});
