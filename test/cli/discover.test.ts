import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { hasStackTrace, runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "ocicompat-cli-discover-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const HOSTS = "test/fixtures/hosts";
const INTEL = `${HOSTS}/intel-spr`;
// An empty config directory, so the tester's own features.d, hooks.d and packs stay out.
const env = { OCICOMPAT_CONFIG_DIR: dir };

function discover(
  args: string[],
  extraEnv: Record<string, string> = {},
): ReturnType<typeof runCli> {
  return runCli(["discover", ...args], { env: { ...env, ...extraEnv } });
}

describe("ocicompat discover (spawned)", () => {
  test("-o json is a node profile that ocicompat check accepts as --node", () => {
    const r = discover(["--root", INTEL, "-o", "json"]);
    assert.equal(r.status, 0, r.stderr);
    const profile = JSON.parse(r.stdout) as {
      schemaVersion: number;
      name: string;
      platform: { architecture: string; variant?: string };
      labels: Record<string, unknown>;
    };
    assert.equal(profile.schemaVersion, 1);
    assert.equal(profile.name, "intel-spr-01");
    assert.deepEqual(profile.platform, { os: "linux", architecture: "amd64", variant: "v4" });
    assert.equal(profile.labels["oci.os.glibc"], "2.34");
    // The site file tries to override a probed fact; the warning goes to stderr.
    assert.match(r.stderr, /warning: features\.d: oci\.cpu\.vendor is already known from cpu/);

    const node = join(dir, "intel.json");
    writeFileSync(node, r.stdout);
    const check = runCli(["check", "--spec", "examples/compat-avx512.yaml", "--node", node]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /compatible: set 0 passes \(score 20\)/);
  });

  test("the table shows each label, its value and the probe it came from; unknowns too", () => {
    const r = discover(["--root", INTEL]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^node intel-spr-01 {2}linux\/amd64\/v4 {2}\(root test\/fixtures\/hosts\/intel-spr\)$/m,
    );
    assert.match(r.stdout, /^oci\.os\.glibc\s+2\.34\s+glibc$/m);
    assert.match(r.stdout, /^oci\.cpu\.features\s+ABM, ADX, .*\(84 items\)\s+cpu$/m);
    assert.match(r.stdout, /^org\.example\.site\.zone\s+lab-a\s+features\.d:site\.conf$/m);
    assert.match(r.stdout, /^oci\.gpu\.amd\.targets\s+unknown$/m);
  });

  test("--save writes the same profile that -o json prints", () => {
    const file = join(dir, "saved.json");
    const r = discover(["--root", `${HOSTS}/graviton`, "-o", "json", "--save", file]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), JSON.parse(r.stdout));
    assert.match(r.stderr, /saved node profile to/);
  });

  test("$OCICOMPAT_ROOT sets the root when --root is not given", () => {
    const r = discover(["-o", "json"], { OCICOMPAT_ROOT: `${HOSTS}/jetson-orin` });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { name: string }).name, "orin-agx-01");
  });

  test("-o nfd prints NFD's label lines", () => {
    const r = discover(["--root", INTEL, "-o", "nfd"]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    for (const line of [
      "feature.node.kubernetes.io/cpu-cpuid.AVX512F=true",
      "feature.node.kubernetes.io/cpu-cpuid.AVX512FP16=true",
      "feature.node.kubernetes.io/cpu-model.vendor_id=Intel",
      "feature.node.kubernetes.io/kernel-version.full=5.14.0-427.13.1.el9_4.x86_64",
      "feature.node.kubernetes.io/kernel-config.NO_HZ_FULL=true",
      "feature.node.kubernetes.io/kernel-selinux.enabled=true",
      "feature.node.kubernetes.io/system-os_release.ID=rhel",
      "feature.node.kubernetes.io/system-os_release.VERSION_ID=9.4",
      "feature.node.kubernetes.io/memory-numa=true",
      "feature.node.kubernetes.io/pci-0302_10de.present=true",
      "vendor.example/rack-power=30kW",
    ]) {
      assert.ok(lines.includes(line), line);
    }
    assert.ok(lines.every((l) => /^[a-z0-9.-]+\/[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]*$/.test(l)));
  });

  test("--from-nfd builds the profile from an NFD export and lists what does not map", () => {
    const r = discover(["--from-nfd", `${HOSTS}/nfd-export-intel.json`, "-o", "json"]);
    assert.equal(r.status, 0, r.stderr);
    const profile = JSON.parse(r.stdout) as { name: string; labels: Record<string, unknown> };
    assert.equal(profile.name, "intel-spr-01");
    assert.equal(profile.labels["oci.cpu.vendor"], "GenuineIntel");
    assert.match(r.stderr, /note: 5 NFD features map to no ocicompat label:\n {2}cpu\.rdt\n/);
  });

  test("--from-node reads a Kubernetes Node in YAML", () => {
    const r = discover(["--from-node", `${HOSTS}/k8s-node-amd.yaml`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^node genoa-gpu-07 {2}linux\/amd64 {2}\(Kubernetes node /m);
    assert.match(
      r.stdout,
      /^oci\.kernel\.version\s+6\.5\.0-35-generic\s+status\.nodeInfo\.kernelVersion$/m,
    );
    assert.match(r.stderr, /topology\.kubernetes\.io\/zone/);
  });

  test("usage mistakes and unreadable input exit 2 with one line, no stack trace", () => {
    const cases: [string[], RegExp][] = [
      [["--from-nfd", "a.json", "--from-node", "b.yaml"], /either --from-nfd or --from-node/],
      [
        ["--root", INTEL, "--from-nfd", `${HOSTS}/nfd-export-intel.json`],
        /--root applies to probing/,
      ],
      [["--platform", "linux/amd64"], /--platform applies to --from-nfd/],
      [["-o", "xml"], /argument 'xml' is invalid/],
      [["--root", join(dir, "missing")], /not a directory/],
      [["--from-node", join(dir, "missing.yaml")], /missing\.yaml/],
    ];
    for (const [args, message] of cases) {
      const r = discover(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.ok(!hasStackTrace(r.stderr), r.stderr);
    }
  });
});
