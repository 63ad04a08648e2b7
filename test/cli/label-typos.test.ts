// Misspelt labels and names as a user meets them on the command line (issue #13.1, #13.9).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { hasStackTrace, runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "ocicompat-cli-typos-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("misspelt labels and names (spawned)", () => {
  test("explain oci.kernel.verison suggests oci.kernel.version (exit 2)", () => {
    const r = runCli(["explain", "oci.kernel.verison"]);
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /unknown label "oci\.kernel\.verison"; did you mean oci\.kernel\.version\?/,
    );
    assert.equal(hasStackTrace(r.stderr), false);
  });

  test("validate: a typo of a known oci.* label is an error with did you mean (exit 1)", () => {
    const f = file("typo.yaml", 'compatibilities:\n  - oci.cpu.featurs: "AVX512F"\n');
    const r = runCli(["validate", f]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /unknown label "oci\.cpu\.featurs"; did you mean oci\.cpu\.features\?/);
  });

  test("validate: an unknown CPU feature name is a warning; cpuinfo and lspci spellings are not", () => {
    const f = file(
      "names.yaml",
      'compatibilities:\n  - oci.cpu.features: "sse4_2, avx512_fp16, AVX512FOO"\n    oci.pci.devices: "15B3:101B"\n',
    );
    const r = runCli(["validate", f]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /warning: .*"AVX512FOO": not a CPU feature name known/);
    assert.match(r.stdout, /\(1 warning\)/);
  });

  test("validate: Proposal H's oci.os.openmpi range is compared as a version, with a warning", () => {
    const f = file("openmpi.yaml", 'compatibilities:\n  - oci.os.openmpi: "[4.1.6, 4.1.6]"\n');
    const r = runCli(["validate", f]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /its value is a version range, so it is compared as a version/);
  });
});
