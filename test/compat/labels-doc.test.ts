import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BUILTIN_LABELS } from "../../src/compat/catalog.js";
import type { LabelDefinition } from "../../src/compat/label-definition.js";
import { renderLabelsDoc } from "../../src/compat/labels-doc.js";

const committed = new URL("../../docs/labels.md", import.meta.url);

describe("docs/labels.md", () => {
  test("matches what scripts/gen-labels-doc.ts generates from the catalog", () => {
    const onDisk = readFileSync(committed, "utf8");
    assert.ok(
      onDisk === renderLabelsDoc(BUILTIN_LABELS),
      "docs/labels.md is stale: run `npx tsx scripts/gen-labels-doc.ts`",
    );
  });
});

describe("renderLabelsDoc", () => {
  const doc = renderLabelsDoc(BUILTIN_LABELS);

  test("lists every label in the summary table with a link to its section", () => {
    for (const def of BUILTIN_LABELS) {
      const anchor = def.name.replace(/\./g, "");
      assert.ok(doc.includes(`| [\`${def.name}\`](#${anchor}) | ${def.type} |`), def.name);
      assert.ok(doc.includes(`\n## \`${def.name}\`\n`), def.name);
    }
  });

  test("shows aliases, the NFD equivalent and every example of a label", () => {
    assert.match(doc, /\*\*Aliases:\*\* `oci\.kernel\.versions`/);
    assert.match(doc, /\*\*NFD equivalent:\*\* `cpu-cpuid\.<FLAG>`: one NFD label per flag/);
    for (const def of BUILTIN_LABELS) {
      for (const ex of def.examples) {
        assert.ok(doc.includes(`\`${ex.value.replace(/\|/g, "\\|")}\``), ex.value);
      }
    }
  });

  test("escapes | in table cells so alternatives do not split the row", () => {
    assert.ok(doc.includes("| `GenuineIntel\\|AuthenticAMD` | Intel or AMD x86 CPUs |"));
  });

  test("escapes Markdown syntax in prose outside code spans", () => {
    assert.ok(doc.includes("/boot/config-\\<release\\>"));
    assert.ok(doc.includes("/sys/bus/pci/devices/\\*/vendor"));
  });

  test("shows a pack label's discovery command and documentation link", () => {
    const packLabel: LabelDefinition = {
      name: "org.openmpi.version",
      type: "version",
      aliases: [],
      summary: "Open MPI version",
      explanation: "The host's Open MPI.",
      examples: [{ value: ">=4.1", meaning: "4.1 or later" }],
      source: "pack",
      discovery: { command: ["ompi_info", "--version"], timeoutMs: 5000 },
      docs: "https://www.open-mpi.org/doc/",
    };
    const out = renderLabelsDoc([packLabel]);
    assert.match(out, /\*\*Origin:\*\* label pack/);
    assert.match(out, /\*\*Discovery:\*\* `ompi_info --version` \(timeout 5000 ms\)/);
    assert.match(out, /\*\*Documentation:\*\* <https:\/\/www\.open-mpi\.org\/doc\/>/);
    assert.match(out, /\*\*NFD equivalent:\*\* none\./);
  });

  test("ends with exactly one newline", () => {
    assert.ok(doc.endsWith("\n") && !doc.endsWith("\n\n"));
  });
});
