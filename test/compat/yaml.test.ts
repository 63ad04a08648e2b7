// YAML accepts exactly JSON's data model (issue #12.8): what YAML can say beyond it is an
// INVALID_YAML error with the file and the line, never a raw Node warning, never a string.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { validateDocument } from "../../src/compat/document.js";
import { parseYaml } from "../../src/compat/yaml.js";
import { isOcicompatError, type OcicompatError } from "../../src/oci/errors.js";
import { checkSpec } from "../../src/ops/check-spec.js";
import { tempDir } from "../content/layout-support.js";

const work = tempDir("ocicompat-yaml-");
after(() => work.remove());

function yamlError(text: string): OcicompatError {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on("warning", onWarning);
  try {
    const value = parseYaml(text, "compat.yaml");
    assert.fail(`accepted: ${JSON.stringify(value)}`);
  } catch (err) {
    if (!isOcicompatError(err)) throw err;
    assert.equal(err.code, "INVALID_YAML");
    assert.equal(err.subject, "compat.yaml");
    return err;
  } finally {
    process.off("warning", onWarning);
    assert.deepEqual(warnings, [], "no process warning");
  }
}

describe("parseYaml", () => {
  test("complex keys are refused with their line, without a Node warning", () => {
    assert.match(
      yamlError("a: 1\n? [a, b]\n: 1\n").message,
      /^line 2, column 3: a key must be a plain string, not a collection/,
    );
    assert.match(
      yamlError("{a: 1}: 2\n").message,
      /^line 1, column 1: a key must be a plain string/,
    );
    assert.match(
      yamlError("x: &k a\n*k : 2\n").message,
      /^line 2, column 1: a key must be a plain string, not an alias/,
    );
  });

  test("tags beyond JSON's are refused, not read as strings", () => {
    for (const [text, tag] of [
      ["x: !!js/function 'function(){}'\n", "!!js/function"],
      ["x: !custom foo\n", "!custom"],
      ["x: !!binary aGk=\n", "!!binary"],
      ["x: !!set {a}\n", "!!set"],
      ["x: !!timestamp 2001-12-14\n", "!!timestamp"],
    ] as const) {
      const err = yamlError(text);
      assert.match(err.message, /^line 1, column \d+: the tag /, text);
      assert.ok(err.message.includes(`the tag ${tag} is not allowed`), err.message);
    }
    assert.deepEqual(parseYaml("x: !!str 5\ny: !!int 7\n", "f.yaml"), { x: "5", y: 7 });
  });

  test("an alias bomb is refused", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 6; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(", ")}]`,
      );
    }
    assert.match(yamlError(`${levels.join("\n")}\n`).message, /alias/i);
    const many = Array.from({ length: 101 }, (_, i) => `k${i}: *a`).join("\n");
    assert.match(
      yamlError(`a: &a 1\n${many}\n`).message,
      /^line 102, column \d+: more than 100 aliases/,
    );
  });

  test("a number that loses its digits (2.30) says to quote it, and does not suggest 2.3", () => {
    const err = yamlError("compatibilities:\n  - oci.os.glibc: 2.30\n");
    assert.match(err.message, /^line 2, column 19: the unquoted 2\.30 is a YAML number/);
    assert.ok(err.message.includes('quote it ("2.30")'), err.message);
    assert.ok(!/"2\.3"/.test(err.message), err.message);
    for (const text of ["x: 1e3\n", "x: 0x10\n", "x: 1.10\n", "x: .inf\n"]) yamlError(text);
    // Numbers that keep their digits, and quoted text, are read as written.
    assert.deepEqual(parseYaml("a: 4\nb: '2.30'\nc: 2.35\nd: -3\n", "f.yaml"), {
      a: 4,
      b: "2.30",
      c: 2.35,
      d: -3,
    });
  });

  test("a float label value in JSON is an error that says to quote it and suggests no digits", () => {
    const report = validateDocument(
      "compat",
      { compatibilities: [{ "oci.os.glibc": 2.3 }] },
      { catalog: createCatalog() },
    );
    const issue = report.errors.find((e) => e.path === '$.compatibilities[0]["oci.os.glibc"]');
    assert.match(issue?.message ?? "", /must be a string: quote the value exactly as you meant it/);
    assert.ok(!/write "2\.3"/.test(issue?.message ?? ""), issue?.message);
  });

  test("check --spec on an authoring file with glibc 2.30 unquoted fails with the file and the line", async () => {
    const spec = `${work.path}/glibc.yaml`;
    writeFileSync(spec, "compatibilities:\n  - oci.os.glibc: 2.30\n");
    await assert.rejects(
      checkSpec({ spec, node: "examples/nodes/intel-spr.json", catalog: createCatalog() }),
      (err: unknown) =>
        isOcicompatError(err) &&
        err.code === "INVALID_YAML" &&
        err.subject === spec &&
        /^line 2, column 19: .*quote it \("2\.30"\)/.test(err.message),
    );
  });

  test("check --spec counts the spec against the set budgets", async () => {
    const spec = `${work.path}/many.yaml`;
    writeFileSync(
      spec,
      `compatibilities:\n${"  - oci.cpu.vendor: GenuineIntel|AuthenticAMD\n".repeat(3)}`,
    );
    await assert.rejects(
      checkSpec({
        spec,
        node: "examples/nodes/intel-spr.json",
        catalog: createCatalog(),
        budgets: { sets: 2 },
      }),
      (err: unknown) =>
        isOcicompatError(err) && err.code === "TOO_LARGE" && /--max-sets/.test(err.message),
    );
  });
});
