// Site facts: features.d files, hooks and label packs' discovery commands.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import type { LabelDefinition } from "../../src/compat/label-definition.js";
import { discover } from "../../src/node/discover.js";
import { host, NOW } from "./hosts.js";

const temp = mkdtempSync(join(tmpdir(), "ocicompat-site-"));
after(() => rmSync(temp, { recursive: true, force: true }));

function write(path: string, content: string, mode = 0o644): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe("features.d", () => {
  // A root with nothing but feature files: every fact below comes from them.
  const root = join(temp, "bare");
  const featuresDir = join(root, "etc/kubernetes/node-feature-discovery/features.d");
  write(
    join(featuresDir, "10-devices"),
    [
      "oci.pci.devices=15b3.101d, 10de.2330",
      "oci.memory.total=64Gi",
      "oci.kernel.selinux=perhaps",
      "oci.kernel.versions=6.1.0-18-amd64",
      "feature.node.kubernetes.io/cpu-cpuid.AVX512F=true",
      "feature.node.kubernetes.io/cpu-cpuid.AESNI",
      "feature.node.kubernetes.io/custom-rdma.capable=true",
      "org.example.gpu.ready",
      "org.example.site.rack=r01",
      "",
    ].join("\n"),
  );
  write(join(featuresDir, "20-more"), "oci.pci.devices=8086.0d4e\n");
  write(join(featuresDir, "big"), `# ${"x".repeat(70 * 1024)}\norg.example.big=1\n`);
  const configured = join(temp, "config-features.d");
  write(join(configured, "override"), "org.example.site.rack=r02\n");

  test("lines become typed facts; sets accumulate; later files refine earlier ones", async () => {
    const result = await discover({ root, featureDirs: [configured], now: NOW });
    assert.deepEqual(result.profile.labels, {
      "oci.cpu.features": ["AES", "AESNI", "AVX512F"],
      "oci.kernel.version": "6.1.0-18-amd64",
      "oci.pci.devices": ["10de.2330", "15b3.101d", "8086.0d4e"],
      "oci.memory.total": 64 * 2 ** 30,
      "feature.node.kubernetes.io/custom-rdma.capable": "true",
      "org.example.gpu.ready": "true",
      "org.example.site.rack": "r02",
    });
    assert.equal(result.sources["oci.pci.devices"], "features.d:10-devices, 20-more");
    assert.equal(result.sources["org.example.site.rack"], `features.d:${configured}/override`);
    assert.equal(result.profile.platform.architecture, "unknown");
    const bigSize = statSync(join(featuresDir, "big")).size;
    assert.deepEqual(result.diagnostics, [
      // Nothing in this root says which architecture it is; the profile says "unknown".
      {
        probe: "platform",
        message: "no /proc/cpuinfo or program under the root names the architecture",
      },
      {
        probe: "features.d",
        message: `big is ${bigSize} bytes, over the 65536-byte limit; ignored`,
      },
      {
        probe: "features.d",
        message: '10-devices:3: oci.kernel.selinux: "perhaps" is not true or false (a bool label)',
      },
    ]);
  });

  test("a site file never contradicts a probe", async () => {
    const result = await discover({ root: host("intel-spr"), now: NOW });
    assert.equal(result.profile.labels["oci.cpu.vendor"], "GenuineIntel");
    assert.equal(result.profile.labels["org.example.site.expired"], undefined);
  });
});

describe("hooks", () => {
  const hooks = join(temp, "hooks.d");
  write(
    join(hooks, "rack.sh"),
    "#!/bin/sh\necho '# from the CMDB'\necho org.example.site.rack=r12\n",
    0o755,
  );
  write(join(hooks, "root.sh"), '#!/bin/sh\necho "org.example.site.root=$OCICOMPAT_ROOT"\n', 0o755);
  // Sleeps far past the limit, in a child process the hook leaves behind.
  write(
    join(hooks, "slow.sh"),
    "#!/bin/sh\necho org.example.site.slow=started\nsleep 30\necho org.example.site.late=1\n",
    0o755,
  );
  write(
    join(hooks, "broken.sh"),
    "#!/bin/sh\necho org.example.site.half=1\necho 'no CMDB' >&2\nexit 3\n",
    0o755,
  );
  write(join(hooks, "README"), "hooks print key=value lines\n");

  test("hooks run with a time limit; a slow one is killed and its facts dropped", async () => {
    const started = Date.now();
    const result = await discover({
      root: host("minimal-container"),
      hooksDir: hooks,
      runCommands: true,
      commandTimeoutMs: 400,
      now: NOW,
    });
    assert.ok(Date.now() - started < 5000, "discovery waited for the killed hook");
    assert.equal(result.profile.labels["org.example.site.rack"], "r12");
    assert.equal(result.profile.labels["org.example.site.root"], host("minimal-container"));
    for (const dropped of ["slow", "late", "half"]) {
      assert.equal(result.profile.labels[`org.example.site.${dropped}`], undefined, dropped);
    }
    assert.equal(result.sources["org.example.site.rack"], "hook:rack.sh");
    assert.deepEqual(
      result.probesRun.filter((p) => p.startsWith("hook:")),
      ["hook:broken.sh", "hook:rack.sh", "hook:root.sh", "hook:slow.sh"],
    );
    assert.deepEqual(result.diagnostics, [
      { probe: "hook:broken.sh", message: "broken.sh exited with status 3: no CMDB" },
      { probe: "hook:slow.sh", message: "slow.sh timed out after 400 ms and was killed" },
    ]);
  });

  test("hooks describe this machine, so a mounted root does not run them by default", async () => {
    const result = await discover({ root: host("minimal-container"), hooksDir: hooks, now: NOW });
    assert.equal(result.profile.labels["org.example.site.rack"], undefined);
    assert.ok(!result.probesRun.some((p) => p.startsWith("hook:")));
    assert.equal(result.diagnostics.length, 1);
    assert.match(
      result.diagnostics[0]?.message ?? "",
      /4 hook\(s\) and 0 label pack command\(s\) not run/,
    );
  });
});

describe("label pack discovery commands", () => {
  const pack = (
    name: string,
    type: LabelDefinition["type"],
    command: string[],
    timeoutMs?: number,
  ): LabelDefinition => ({
    name,
    type,
    aliases: [],
    source: "pack",
    summary: name,
    explanation: name,
    examples: [],
    discovery: timeoutMs === undefined ? { command } : { command, timeoutMs },
  });
  const node = (script: string): string[] => [process.execPath, "-e", script];
  const catalog = createCatalog([
    pack("org.openmpi.version", "version", node("console.log('4.1.5')")),
    pack("org.example.fabric.providers", "set", node("console.log('verbs, tcp\\nshm')")),
    pack("org.example.licence.ok", "bool", node("console.log('maybe')")),
    pack("org.example.missing.tool", "string", ["/nonexistent/ocicompat-test-tool"]),
    pack("org.example.slow.tool", "string", node("setTimeout(() => {}, 30000)"), 300),
  ]);

  test("each command's trimmed output is the fact, read as the label's type", async () => {
    const result = await discover({
      root: host("minimal-container"),
      catalog,
      runCommands: true,
      now: NOW,
    });
    assert.equal(result.profile.labels["org.openmpi.version"], "4.1.5");
    assert.deepEqual(result.profile.labels["org.example.fabric.providers"], [
      "shm",
      "tcp",
      "verbs",
    ]);
    assert.equal(result.sources["org.openmpi.version"], "pack:org.openmpi.version");
    for (const label of [
      "org.example.licence.ok",
      "org.example.missing.tool",
      "org.example.slow.tool",
    ]) {
      assert.equal(result.profile.labels[label], undefined, label);
    }
    const byProbe = new Map(result.diagnostics.map((d) => [d.probe, d.message]));
    assert.match(byProbe.get("pack:org.example.licence.ok") ?? "", /"maybe" is not true or false/);
    assert.match(byProbe.get("pack:org.example.missing.tool") ?? "", /could not be started/);
    assert.match(byProbe.get("pack:org.example.slow.tool") ?? "", /timed out after 300 ms/);
  });

  test("lazily, only the wanted pack label's command runs", async () => {
    const result = await discover({
      root: host("minimal-container"),
      catalog,
      runCommands: true,
      labels: new Set(["org.openmpi.version"]),
      now: NOW,
    });
    assert.deepEqual(result.probesRun, ["platform", "features.d", "pack:org.openmpi.version"]);
    assert.deepEqual(result.profile.labels, { "org.openmpi.version": "4.1.5" });
  });
});
