import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LABEL_PACK_API_VERSION, parseLabelPack } from "../../src/compat/label-pack.js";
import { childPath } from "../../src/oci/json-path.js";
import { createCatalog } from "../../src/compat/catalog.js";
import type { LabelDefinition } from "../../src/compat/label-definition.js";
import { OcicompatError, ValidationError, type ValidationIssue } from "../../src/oci/errors.js";

const GOOD = `apiVersion: ocicompat/v1alpha1
kind: LabelPack
description: Labels of the Open MPI community
labels:
  - name: org.openmpi.version
    type: version
    summary: Open MPI version on the node
    explanation: |
      The version of the Open MPI installation that containers bind-mount from the host.
    docs: https://www.open-mpi.org/doc/
    aliases: [org.open-mpi.version]
    examples:
      - { value: ">=4.1", meaning: "Open MPI 4.1 or later" }
    discovery: { command: ["ompi_info", "--version"], timeoutMs: 5000 }
  - name: org.openmpi.transports
    type: set
    summary: Point-to-point transports Open MPI can use
`;

/** A pack with one label whose fields are replaced by `fields` (YAML flow mapping entries). */
function packWith(fields: string): string {
  return `apiVersion: ${LABEL_PACK_API_VERSION}\nkind: LabelPack\nlabels:\n  - { ${fields} }\n`;
}

const BASE = "name: org.example.tool.version, type: version, summary: Tool version";

function issuesOf(text: string): readonly ValidationIssue[] {
  try {
    parseLabelPack(text, "pack.yaml");
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    assert.equal(err.code, "VALIDATION");
    assert.equal(err.subject, "pack.yaml");
    return err.issues;
  }
  assert.fail("expected a ValidationError");
}

function assertIssue(text: string, path: string, message: RegExp): void {
  const issues = issuesOf(text);
  const hit = issues.find((i) => i.path === path);
  assert.ok(hit, `no issue at ${path}; got ${JSON.stringify(issues)}`);
  assert.match(hit.message, message);
}

describe("parseLabelPack: valid packs", () => {
  test("reads every field of a YAML pack into pack-sourced label definitions", () => {
    const [mpi, transports] = parseLabelPack(GOOD, "mpi.yaml");
    assert.deepEqual(mpi, {
      name: "org.openmpi.version",
      type: "version",
      aliases: ["org.open-mpi.version"],
      summary: "Open MPI version on the node",
      explanation:
        "The version of the Open MPI installation that containers bind-mount from the host.",
      examples: [{ value: ">=4.1", meaning: "Open MPI 4.1 or later" }],
      source: "pack",
      discovery: { command: ["ompi_info", "--version"], timeoutMs: 5000 },
      docs: "https://www.open-mpi.org/doc/",
    });
    assert.equal(transports?.type, "set");
  });

  test("reads a pack written for the project's former name (apiVersion ocifit/v1alpha1) as the same pack", () => {
    const former = GOOD.replace("apiVersion: ocicompat/v1alpha1", "apiVersion: ocifit/v1alpha1");
    assert.notEqual(former, GOOD);
    assert.deepEqual(parseLabelPack(former, "mpi.yaml"), parseLabelPack(GOOD, "mpi.yaml"));
  });

  test("uses the summary as the explanation when a label has none", () => {
    const [, transports] = parseLabelPack(GOOD, "mpi.yaml");
    assert.equal(transports?.explanation, "Point-to-point transports Open MPI can use");
    assert.deepEqual(transports?.examples, []);
  });

  test("reads the same pack written as JSON", () => {
    const json = JSON.stringify({
      apiVersion: LABEL_PACK_API_VERSION,
      kind: "LabelPack",
      labels: [
        {
          name: "com.example.fabric.driver",
          type: "string",
          summary: "Fabric driver",
          nfd: { feature: "kernel.loadedmodule.cxi_core", note: "a rule feature" },
        },
      ],
    });
    const [label] = parseLabelPack(json, "fabric.json");
    assert.deepEqual(label?.nfd, {
      feature: "kernel.loadedmodule.cxi_core",
      note: "a rule feature",
    });
  });

  test("gives labels that createCatalog accepts and resolves by alias", () => {
    const catalog = createCatalog(parseLabelPack(GOOD, "mpi.yaml"));
    assert.equal(catalog.canonicalName("org.open-mpi.version"), "org.openmpi.version");
  });
});

describe("parseLabelPack: syntax errors", () => {
  test("reports a YAML syntax error as INVALID_YAML with the file and line", () => {
    assert.throws(
      () => parseLabelPack("apiVersion: ocicompat/v1alpha1\nlabels: [\n", "bad.yaml"),
      (err: unknown) => {
        assert.ok(err instanceof OcicompatError);
        assert.equal(err.code, "INVALID_YAML");
        assert.equal(err.subject, "bad.yaml");
        assert.match(err.message, /^line \d+, column \d+: /);
        return true;
      },
    );
  });

  test("rejects duplicate keys as INVALID_YAML naming the line of the second one", () => {
    const text = `apiVersion: ${LABEL_PACK_API_VERSION}\nkind: LabelPack\nkind: LabelPack\n`;
    assert.throws(
      () => parseLabelPack(text, "dup.yaml"),
      (err: unknown) => {
        assert.ok(err instanceof OcicompatError);
        assert.equal(err.code, "INVALID_YAML");
        assert.match(err.message, /^line 3, column 1: .*unique/);
        return true;
      },
    );
  });

  test("rejects duplicate keys in JSON too", () => {
    assert.throws(
      () => parseLabelPack('{"kind": "LabelPack", "kind": "LabelPack"}', "dup.json"),
      (err: unknown) => err instanceof OcicompatError && err.code === "INVALID_YAML",
    );
  });

  test("rejects a file holding several YAML documents", () => {
    assert.throws(
      () => parseLabelPack(`${GOOD}---\n${GOOD}`, "two.yaml"),
      (err: unknown) => err instanceof OcicompatError && err.code === "INVALID_YAML",
    );
  });
});

describe("parseLabelPack: validation", () => {
  test("rejects an empty file because the root must be a mapping", () => {
    assertIssue("", "$", /must be a mapping/);
  });

  test("requires apiVersion, kind and labels", () => {
    const paths = issuesOf("description: nothing else\n").map((i) => i.path);
    assert.deepEqual(paths, ["$.apiVersion", "$.kind", "$.labels"]);
  });

  test("rejects another apiVersion or kind", () => {
    const text = "apiVersion: ocicompat/v1\nkind: Labels\nlabels: []\n";
    assertIssue(text, "$.apiVersion", /must be ocicompat\/v1alpha1/);
    assertIssue(text, "$.kind", /must be LabelPack/);
    assertIssue(text, "$.labels", /at least one label/);
  });

  test("names an unknown field by its JSONPath, quoting keys that are not identifiers", () => {
    const text = packWith(`${BASE}, "x.y": 1, colour: red`);
    assertIssue(text, '$.labels[0]["x.y"]', /not a known field/);
    assertIssue(text, "$.labels[0].colour", /not a known field \(expected name, type/);
  });

  test("lists the allowed types when a type is wrong", () => {
    const text = packWith("name: org.example.a.b, type: integer, summary: S");
    assertIssue(text, "$.labels[0].type", /^must be one of version, set, string, bool, quantity$/);
  });

  test("reports the third label's problem at $.labels[2]", () => {
    const text = `apiVersion: ${LABEL_PACK_API_VERSION}
kind: LabelPack
labels:
  - { name: org.example.a.one, type: string, summary: One }
  - { name: org.example.a.two, type: string, summary: Two }
  - { name: org.example.a.three, type: number, summary: Three }
`;
    const issues = issuesOf(text);
    assert.deepEqual(issues, [
      {
        path: "$.labels[2].type",
        message: "must be one of version, set, string, bool, quantity",
      },
    ]);
  });

  test("declares oci.* labels the built-in catalog lacks (Proposal H's oci.os.openmpi)", () => {
    const [label] = parseLabelPack(
      packWith("name: oci.os.openmpi, type: version, summary: S"),
      "pack.yaml",
    );
    assert.equal(label?.name, "oci.os.openmpi");
    assert.equal(createCatalog([label as LabelDefinition]).get("oci.os.openmpi")?.type, "version");
  });

  test("refuses to redefine a built-in oci.* label or alias, even with the same type", () => {
    assertIssue(
      packWith("name: oci.kernel.version, type: version, summary: S"),
      "$.labels[0].name",
      /is the built-in label oci\.kernel\.version; a label pack can add oci\.\* labels but not redefine built-in ones/,
    );
    assertIssue(
      packWith("name: oci.kernel.versions, type: string, summary: S"),
      "$.labels[0].name",
      /is the built-in label oci\.kernel\.version/,
    );
  });

  test("refuses reserved set keys as label names", () => {
    assertIssue(
      packWith("name: score, type: quantity, summary: S"),
      "$.labels[0].name",
      /reserved compatibility-set key/,
    );
    assertIssue(
      packWith("name: oci.compatibility-score, type: quantity, summary: S"),
      "$.labels[0].name",
      /reserved compatibility-set key/,
    );
  });

  test("requires lower-case reverse-DNS names with at least three segments", () => {
    for (const bad of [
      "Org.Example.Tool",
      "example.tool",
      "org..example.tool",
      "org.example.-x",
      "org.example.my_tool",
    ]) {
      assertIssue(
        packWith(`name: "${bad}", type: string, summary: S`),
        "$.labels[0].name",
        /lower-case dot-separated/,
      );
    }
    assert.equal(parseLabelPack(packWith(BASE), "ok.yaml").length, 1);
  });

  test("checks aliases with the same name rules", () => {
    assertIssue(
      packWith(`${BASE}, aliases: [org.example.fine.alias, Bad]`),
      "$.labels[0].aliases[1]",
      /lower-case/,
    );
  });

  test("rejects a name or alias declared twice in one pack, pointing at the first", () => {
    const text = `apiVersion: ${LABEL_PACK_API_VERSION}
kind: LabelPack
labels:
  - { name: org.example.a.one, type: string, summary: One, aliases: [org.example.a.old] }
  - { name: org.example.a.old, type: string, summary: Two }
`;
    assertIssue(text, "$.labels[1].name", /already declared at \$\.labels\[0\]\.aliases\[0\]/);
  });

  test("points a duplicate alias at its own index even after an invalid alias", () => {
    const text = packWith(`${BASE}, aliases: [Bad, org.example.tool.version]`);
    assertIssue(text, "$.labels[0].aliases[1]", /already declared at \$\.labels\[0\]\.name/);
  });

  test("requires a one-line summary", () => {
    assertIssue(packWith("name: org.example.a.b, type: string"), "$.labels[0].summary", /required/);
    assertIssue(
      packWith('name: org.example.a.b, type: string, summary: "two\\nlines"'),
      "$.labels[0].summary",
      /single line/,
    );
    assertIssue(packWith(`${BASE.replace("Tool version", '""')}`), "$.labels[0].summary", /empty/);
  });

  test("asks to quote example values that YAML read as numbers", () => {
    assertIssue(
      packWith(`${BASE}, examples: [{ value: 4.1, meaning: four one }]`),
      "$.labels[0].examples[0].value",
      /must be a string \(quote it\)/,
    );
  });

  test("requires an absolute http or https docs URL", () => {
    for (const bad of ["docs/openmpi.md", "ftp://example.org/x", "javascript:alert(1)"]) {
      assertIssue(packWith(`${BASE}, docs: "${bad}"`), "$.labels[0].docs", /http or https URL/);
    }
  });

  test("requires a discovery command as a list, never a shell string", () => {
    assertIssue(
      packWith(`${BASE}, discovery: { command: "ompi_info --version" }`),
      "$.labels[0].discovery.command",
      /must be a list/,
    );
    assertIssue(
      packWith(`${BASE}, discovery: { command: [] }`),
      "$.labels[0].discovery.command",
      /must name a program/,
    );
    assertIssue(
      packWith(`${BASE}, discovery: { command: [tool, 3] }`),
      "$.labels[0].discovery.command[1]",
      /must be a string/,
    );
    assertIssue(packWith(`${BASE}, discovery: {}`), "$.labels[0].discovery.command", /required/);
  });

  test("bounds the discovery timeout to whole milliseconds up to five minutes", () => {
    for (const bad of ["0", "1.5", "300001", '"5000"']) {
      assertIssue(
        packWith(`${BASE}, discovery: { command: [tool], timeoutMs: ${bad} }`),
        "$.labels[0].discovery.timeoutMs",
        /whole number of milliseconds from 1 to 300000/,
      );
    }
  });

  test("reports every problem of a pack at once", () => {
    const text = `apiVersion: ${LABEL_PACK_API_VERSION}
kind: LabelPack
labels:
  - { name: Bad, type: nope }
  - just a string
`;
    assert.deepEqual(
      issuesOf(text).map((i) => i.path),
      ["$.labels[0].name", "$.labels[0].type", "$.labels[0].summary", "$.labels[1]"],
    );
  });

  test("summarises the first issue and the count in the error message", () => {
    assert.throws(
      () => parseLabelPack(packWith("name: Bad, type: nope, summary: S"), "p.yaml"),
      /^ValidationError: \$\.labels\[0\]\.name: .* \(and 1 more\)$/,
    );
  });
});

describe("childPath", () => {
  test("writes identifier keys with a dot, other keys quoted in brackets, indexes in brackets", () => {
    assert.equal(childPath("$", "labels"), "$.labels");
    assert.equal(childPath("$.labels", 2), "$.labels[2]");
    assert.equal(childPath("$", "odd.key"), '$["odd.key"]');
    assert.equal(childPath("$", "with space"), '$["with space"]');
    assert.equal(childPath("$", '"q"'), '$["\\"q\\""]');
  });
});
