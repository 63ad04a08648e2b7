// `ocicompat check REF` as a user runs it: every entry of a real image in a real registry, chosen or
// excluded, with the reasons and each label's required and observed values; against a saved
// profile or (the default) lazy discovery of a host, here fixture roots through $OCICOMPAT_ROOT.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { demoImage, pushToRegistry, runCliAsync } from "../ops/select-support.js";
import { hasStackTrace } from "./run-cli.js";

const demo = demoImage("cli-check");
const work = tempDir("ocicompat-cli-check-ref-");
let registry: TestRegistry;
let ref: string;

/** Isolated from this machine's ocicompat config and cache. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    OCICOMPAT_CACHE_DIR: `${work.path}/cache`,
    OCICOMPAT_CONFIG_DIR: `${work.path}/config`,
    ...extra,
  };
}

before(async () => {
  registry = await startRegistry();
  await pushToRegistry(registry.host, "demo/app", demo.blobs, demo.index.desc, "v1");
  ref = `${registry.host}/demo/app:v1`;
});

after(async () => {
  await registry.stop();
  work.remove();
});

describe("ocicompat check REF (spawned, real registry)", () => {
  test("lists every entry, chosen or excluded, with each label's required and observed value", async () => {
    const r = await runCliAsync(["check", ref, "--node", "examples/nodes/amd-genoa.json"], env());
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, new RegExp(`index ${demo.index.desc.digest}, 4 entries`));
    assert.match(
      out,
      /^node amd-genoa \(linux\/amd64\/v4\) from profile examples\/nodes\/amd-genoa\.json$/m,
    );
    assert.match(
      out,
      /^entry 0 {2}linux\/amd64 {2}sha256:\w{12} {2}compatible, rank 2 {2}score 0 {2}specificity \[variant 0, features 0, os\.features 0, labels 0\]$/m,
    );
    assert.match(
      out,
      /^entry 1 {2}linux\/amd64\/v3 {2}\[avx2, bmi2\] {2}sha256:\w{12} {2}CHOSEN {2}score 10 {2}specificity \[variant 2, features 2, os\.features 0, labels 3\]$/m,
    );
    assert.match(out, /^entry 2 {2}linux\/amd64\/v4 {2}sha256:\w{12} {2}excluded$/m);
    assert.match(out, /^entry 3 {2}linux\/arm64 {2}sha256:\w{12} {2}excluded$/m);
    assert.match(
      out,
      /platform linux\/arm64 does not run on the node's linux\/amd64\/v4: architecture arm64 does not run on amd64/,
    );
    assert.match(
      out,
      new RegExp(`compatibilities: manifest ${demo.v3Compat.descriptor.digest}, 1 set`),
    );
    assert.match(
      out,
      new RegExp(`compatibilities: blob ${demo.avx512Compat.descriptor.digest}, 2 sets`),
    );
    assert.match(
      out,
      /oci\.os\.glibc\s+>=2\.31, <=2\.37\s+2\.39\s+fail\s+needs >=2\.31, <=2\.37; node has 2\.39/,
    );
    assert.match(
      out,
      /oci\.kernel\.configurations\s+PREEMPT\|PREEMPT_DYNAMIC, INFINIBAND\s+-\s+unknown/,
    );
    assert.match(out, /set 0 {2}"x86-64-v3 build, tuned for AVX2" {2}score 10 {2}PASS {2}← chosen/);
    assert.match(
      out,
      new RegExp(
        `^compatible: entry 1 ${demo.v3.manifest.desc.digest} \\(linux/amd64/v3, score 10, specificity \\[variant 2, features 2, os\\.features 0, labels 3\\]\\)$`,
        "m",
      ),
    );
  });

  test("exit 1 when no entry fits", async () => {
    const r = await runCliAsync(
      ["check", ref, "--node", "examples/nodes/amd-genoa.json", "--platform", "linux/ppc64le"],
      env(),
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^not compatible: no entry fits this node$/m);
  });

  test("by default the node is this host, discovered lazily (fixture roots via $OCICOMPAT_ROOT)", async () => {
    const arm = await runCliAsync(
      ["check", ref, "-o", "json"],
      env({ OCICOMPAT_ROOT: "test/fixtures/hosts/graviton" }),
    );
    assert.equal(arm.status, 0, arm.stderr);
    const out = JSON.parse(arm.stdout) as {
      chosen: { digest: string };
      node: { source: string; platform: string; labelsWanted: string[]; input: string };
    };
    assert.equal(out.chosen.digest, demo.arm64.manifest.desc.digest);
    assert.equal(out.node.source, "discovery");
    assert.equal(out.node.platform, "linux/arm64");
    assert.equal(out.node.input, "test/fixtures/hosts/graviton");
    assert.deepEqual(out.node.labelsWanted, [
      "oci.cpu.features",
      "oci.cpu.vendor",
      "oci.kernel.configurations",
      "oci.kernel.version",
      "oci.os.glibc",
      "oci.pci.devices",
    ]);

    const intel = await runCliAsync(
      ["check", ref],
      env({ OCICOMPAT_ROOT: "test/fixtures/hosts/intel-spr" }),
    );
    assert.match(
      intel.stdout,
      /^node \S+ \(linux\/amd64\/v4\) from this host, discovered \(labels: oci\.cpu\.features, /m,
    );
    assert.equal(intel.status, 0, intel.stderr);
    assert.match(intel.stdout, /^entry 2 .* CHOSEN /m);
  });

  test("-o json has the same shape as select -o json", async () => {
    const check = await runCliAsync(
      ["check", ref, "--node", "examples/nodes/intel-spr.json", "-o", "json"],
      env(),
    );
    const select = await runCliAsync(
      ["select", ref, "--node", "examples/nodes/intel-spr.json", "-o", "json"],
      env(),
    );
    assert.equal(check.status, 0, check.stderr);
    assert.deepEqual(JSON.parse(check.stdout), JSON.parse(select.stdout));
  });

  test("usage errors exit 2 with one line; check --spec still works", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["check"],
        /check needs an image reference \(ocicompat check REF\), or --spec FILE and --node PROFILE/,
      ],
      [
        [
          "check",
          ref,
          "--spec",
          "examples/compat-v3.yaml",
          "--node",
          "examples/nodes/intel-spr.json",
        ],
        /give an image reference or --spec FILE, not both/,
      ],
      [
        [
          "check",
          "--spec",
          "examples/compat-v3.yaml",
          "--node",
          "examples/nodes/intel-spr.json",
          "--platform",
          "linux/amd64",
        ],
        /--platform applies to images/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCliAsync(args, env());
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(hasStackTrace(r.stderr), false);
    }
    const spec = await runCliAsync(
      ["check", "--spec", "examples/compat-v3.yaml", "--node", "examples/nodes/old-xeon.json"],
      env(),
    );
    assert.equal(spec.status, 1);
    assert.match(spec.stdout, /not compatible: no set passes/);
  });
});
