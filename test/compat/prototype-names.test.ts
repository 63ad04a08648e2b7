// Issue #13.5: names that Object.prototype also has (toString, constructor, __proto__,
// hasOwnProperty) are ordinary label, fact and pack names; none of them passes on every node.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { compileSets } from "../../src/compat/compiled-set.js";
import { anySetPasses, evaluateSets, prepareNode } from "../../src/compat/evaluate.js";
import { parseLabelPack } from "../../src/compat/label-pack.js";
import { factOf, type NodeProfile } from "../../src/compat/node-profile.js";
import { readSets } from "../../src/compat/sets.js";
import { parseIJsonText } from "../../src/oci/ijson.js";
import { FactAccumulator } from "../../src/node/fact-accumulator.js";
import { importKubernetesNode } from "../../src/node/import-k8s.js";
import { importNfdFeatures } from "../../src/node/import-nfd.js";
import { kubernetesQuantity } from "../../src/node/import-k8s.js";
import { profileLabels } from "../../src/node/profile-labels.js";

const NAMES = ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"];
const catalog = createCatalog();

const emptyNode: NodeProfile = {
  schemaVersion: 1,
  name: "n",
  platform: { os: "linux", architecture: "amd64" },
  labels: { "oci.cpu.vendor": "GenuineIntel" },
};

/** Sets parsed from JSON text, as documents arrive (JSON.parse makes `__proto__` an own key). */
function setsFromJson(text: string) {
  return readSets(parseIJsonText(text) as never);
}

describe("labels named like Object.prototype members", () => {
  for (const name of NAMES) {
    test(`a set requiring label ${name} is unknown on a node without that fact, not passing`, () => {
      const sets = setsFromJson(`[{${JSON.stringify(name)}: "*"}]`);
      assert.deepEqual(Object.keys(sets[0]?.labels ?? {}), [name], "the label is kept");
      const compiled = compileSets(sets, catalog);
      assert.deepEqual(compiled.errors, []);
      const node = prepareNode(emptyNode, catalog);
      assert.equal(anySetPasses(compiled.compiled, node), false);
      const result = evaluateSets(compiled.compiled, node);
      assert.equal(result.compatible, false);
      assert.equal(result.sets[0]?.labels[0]?.status, "unknown");
    });

    test(`a node fact named ${name} is found, and only as the node's own fact`, () => {
      assert.equal(factOf(emptyNode, name, catalog), undefined);
      const profile = JSON.parse(
        `{"schemaVersion":1,"name":"n","platform":{"os":"linux","architecture":"amd64"},"labels":{${JSON.stringify(name)}:"yes"}}`,
      ) as NodeProfile;
      assert.equal(factOf(profile, name, catalog), "yes");
      const compiled = compileSets(setsFromJson(`[{${JSON.stringify(name)}: "yes"}]`), catalog);
      assert.equal(anySetPasses(compiled.compiled, prepareNode(profile, catalog)), true);
    });
  }

  test("facts named like prototype members survive the accumulator and the profile's labels", () => {
    const acc = new FactAccumulator();
    for (const name of NAMES) acc.add(name, `v-${name}`, "test");
    const record = acc.toRecord();
    for (const name of NAMES)
      assert.equal(Object.getOwnPropertyDescriptor(record, name)?.value, `v-${name}`);
    assert.equal(Object.getPrototypeOf(record), Object.prototype, "no prototype was replaced");
    const labels = profileLabels(new Map(Object.entries(record)), catalog);
    assert.deepEqual(Object.keys(labels).sort(), [...NAMES].sort());
  });

  test("a label pack may not declare them (not reverse-DNS names), and says so", () => {
    for (const name of NAMES) {
      const text = `apiVersion: ocicompat/v1alpha1\nkind: LabelPack\nlabels:\n  - {name: "${name}", type: string, summary: S}\n`;
      assert.throws(() => parseLabelPack(text, "pack.yaml"), /labels\[0\]\.name/);
    }
  });

  test("a pack label whose last segment is a prototype name is an ordinary label", () => {
    const [def] = parseLabelPack(
      `apiVersion: ocicompat/v1alpha1\nkind: LabelPack\nlabels:\n  - {name: org.example.constructor, type: bool, summary: S}\n`,
      "pack.yaml",
    );
    const packs = createCatalog(def ? [def] : []);
    assert.equal(packs.get("org.example.constructor")?.type, "bool");
    assert.equal(packs.get("constructor"), undefined);
    assert.equal(packs.get("toString"), undefined);
  });
});

describe("imports with names like prototype members", () => {
  test("Kubernetes quantities with a unit named constructor are not numbers", () => {
    assert.equal(kubernetesQuantity("1constructor"), undefined);
    assert.equal(kubernetesQuantity("2Gi"), 2 * 2 ** 30);
  });

  test("a Kubernetes node label named __proto__ or toString maps to nothing and is listed", () => {
    const result = importKubernetesNode(
      JSON.parse(
        '{"kind":"Node","metadata":{"name":"n","labels":{"__proto__":"x","toString":"y","kubernetes.io/arch":"amd64"}}}',
      ),
      "node.json",
    );
    assert.deepEqual(result.unmapped, ["__proto__", "toString"]);
    assert.equal(result.profile.platform.architecture, "amd64");
  });

  test("an NFD attribute feature named constructor is listed as unmapped, not read", () => {
    const result = importNfdFeatures(
      JSON.parse('{"attributes":{"constructor":{"elements":{"a":"b"}}},"flags":{}}'),
      "nfd.json",
      { platform: "linux/amd64" },
    );
    assert.deepEqual(result.unmapped, ["constructor"]);
  });
});
