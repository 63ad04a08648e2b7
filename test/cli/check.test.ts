import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { buildCompatBlob, buildCompatConfig } from "../../src/compat/build.js";
import { hasStackTrace, runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "ocicompat-cli-check-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const AVX512 = "examples/compat-avx512.yaml";
const INTEL = "examples/nodes/intel-spr.json";
const AMD = "examples/nodes/amd-genoa.json";

describe("ocicompat check --spec (spawned)", () => {
  test("a compatible node exits 0 and the table shows every set and label with required and observed values", () => {
    const r = runCli(["check", "--spec", AVX512, "--node", INTEL]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /set 0 .*PASS .*chosen/);
    assert.match(r.stdout, /set 1 .*FAIL/);
    assert.match(
      r.stdout,
      /oci\.cpu\.vendor\s+AuthenticAMD\s+GenuineIntel\s+fail\s+needs AuthenticAMD; node has GenuineIntel/,
    );
    assert.match(r.stdout, /compatible: set 0 passes \(score 20\)/);
  });

  test("an incompatible node exits 1 and names the failing labels and unknown facts", () => {
    const r = runCli(["check", "--spec", AVX512, "--node", AMD]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /oci\.os\.glibc\s+>=2\.31, <=2\.37\s+2\.39\s+fail/);
    assert.match(r.stdout, /unknown\s+node has no fact for oci\.kernel\.configurations/);
    assert.match(r.stdout, /not compatible: no set passes/);
  });

  test("-o json has the documented verdict, best set and per-label results", () => {
    const r = runCli(["check", "--spec", AVX512, "--node", INTEL, "-o", "json"]);
    assert.equal(r.status, 0);
    const out = JSON.parse(r.stdout) as {
      verdict: string;
      compatible: boolean;
      bestSet: number;
      score: number;
      node: { name: string; platform: string };
      sets: {
        index: number;
        status: string;
        labels: { label: string; required: string; status: string }[];
      }[];
    };
    assert.equal(out.verdict, "compatible");
    assert.equal(out.compatible, true);
    assert.equal(out.bestSet, 0);
    assert.equal(out.score, 20);
    assert.deepEqual(out.node, { file: INTEL, name: "intel-spr", platform: "linux/amd64/v4" });
    assert.deepEqual(
      out.sets.map((s) => s.status),
      ["pass", "fail"],
    );
    assert.equal(out.sets[1]?.labels.find((l) => l.label === "oci.cpu.vendor")?.status, "fail");
  });

  test("--tags limits the sets considered", () => {
    const r = runCli(["check", "--spec", AVX512, "--node", INTEL, "--tags", "amd", "-o", "json"]);
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout) as { sets: { status: string }[] };
    assert.deepEqual(
      out.sets.map((s) => s.status),
      ["skipped", "fail"],
    );
  });

  test("a spec that fails validation is an error (exit 2) listing each problem, not 'not compatible'", () => {
    const spec = file(
      "bad.yaml",
      'compatibilities:\n  - oci.os.glibc: ">=2.31, =>2.37"\n    oci.cpu.count: [4]\n',
    );
    const r = runCli(["check", "--spec", spec, "--node", INTEL]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /bad\.yaml: \$\.compatibilities\[0\]\["oci\.os\.glibc"\]: ">=2\.31, =>2\.37" is not a valid version value/,
    );
    assert.match(
      r.stderr,
      /bad\.yaml: \$\.compatibilities\[0\]\["oci\.cpu\.count"\]: must be a string/,
    );
    assert.equal(hasStackTrace(r.stderr), false);
  });

  test("a node profile with wrong fact types is an error (exit 2) naming the label", () => {
    const node = file(
      "node.json",
      JSON.stringify({
        schemaVersion: 1,
        name: "n",
        platform: { os: "linux", architecture: "amd64" },
        labels: { "oci.cpu.features": "AVX2" },
      }),
    );
    const r = runCli(["check", "--spec", AVX512, "--node", node]);
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /node\.json: \$\.labels\["oci\.cpu\.features"\]: must be an array of strings/,
    );
  });

  test("a missing profile, a broken profile and missing flags are errors (exit 2)", () => {
    assert.equal(runCli(["check", "--spec", AVX512, "--node", join(dir, "absent.json")]).status, 2);
    const broken = runCli([
      "check",
      "--spec",
      AVX512,
      "--node",
      file("broken.json", '{"schemaVersion":1,'),
    ]);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /broken\.json: node profile: unexpected end of input/);
    const usage = runCli(["check", "--spec", AVX512]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /needs --spec FILE and --node PROFILE/);
  });

  test("a Proposal I config and a Proposal J blob are accepted as specs", () => {
    const config = buildCompatConfig(
      [{ "oci.cpu.features": "AVX2, BMI2" }],
      { os: "linux", architecture: "amd64" },
      "2026-01-01T00:00:00Z",
    );
    const blob = buildCompatBlob([{ "oci.os.glibc": ">=2.31, <=2.37" }]);
    const configFile = file("compat-config.json", Buffer.from(config.bytes).toString());
    const blobFile = file("compat-blob.json", Buffer.from(blob.bytes).toString());
    assert.equal(runCli(["check", "--spec", configFile, "--node", INTEL]).status, 0);
    assert.equal(runCli(["check", "--spec", blobFile, "--node", INTEL]).status, 0);
    assert.equal(runCli(["check", "--spec", blobFile, "--node", AMD]).status, 1);
  });

  test("a community label declared in a label pack gets its type", () => {
    const pack = file(
      "pack.yaml",
      "apiVersion: ocicompat/v1alpha1\nkind: LabelPack\nlabels:\n  - name: org.openmpi.version\n    type: version\n    summary: Open MPI version\n",
    );
    // A bare version: only a declared type makes it one (">=4.1" would be inferred as a version).
    const spec = file("mpi.yaml", 'compatibilities:\n  - org.openmpi.version: "4.1"\n');
    const node = file(
      "mpi-node.json",
      JSON.stringify({
        schemaVersion: 1,
        name: "n",
        platform: { os: "linux", architecture: "amd64" },
        labels: { "org.openmpi.version": "4.1.6" },
      }),
    );
    const withPack = runCli(["check", "--spec", spec, "--node", node, "--labels", pack]);
    assert.equal(withPack.status, 0, withPack.stdout + withPack.stderr);
    // Without the pack the label is an untyped string, so "4.1" is compared literally.
    const without = runCli(["check", "--spec", spec, "--node", node], {
      env: { OCICOMPAT_CONFIG_DIR: dir },
    });
    assert.equal(without.status, 1);
    // A warning: on stderr, like every diagnostic.
    assert.match(without.stderr, /^ocicompat: warning: .*unknown label "org\.openmpi\.version"/m);
  });
});

describe("ocicompat labels and explain (spawned)", () => {
  test("labels lists the built-in catalog", () => {
    const r = runCli(["labels", "-o", "json"]);
    assert.equal(r.status, 0);
    const names = (JSON.parse(r.stdout) as { labels: { name: string }[] }).labels.map(
      (l) => l.name,
    );
    for (const n of ["oci.cpu.features", "oci.kernel.version", "oci.os.glibc", "oci.pci.devices"])
      assert.ok(names.includes(n), n);
  });

  test("explain shows the meaning, value syntax and NFD equivalent of a label, by alias too", () => {
    const r = runCli(["explain", "oci.kernel.versions"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^oci\.kernel\.version\s+\(version, oci\)/);
    assert.match(r.stdout, /Value syntax \(version\): Comparators/);
    assert.match(r.stdout, /NFD: kernel-version/);
  });

  test("explain of an unknown label is an error (exit 2) with a hint", () => {
    const r = runCli(["explain", "glibc"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown label "glibc"; did you mean oci\.os\.glibc/);
  });
});
