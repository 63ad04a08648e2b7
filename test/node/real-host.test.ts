// Discovery on the machine running the tests, cross-checked against what the system's own tools
// and files say. The tests run on Linux (the registry tests need Debian packages too).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { readNodeProfile } from "../../src/compat/node-profile.js";
import { discover } from "../../src/node/discover.js";
import { normalizeCpuFlag } from "../../src/node/parse/cpuinfo.js";

function run(command: string, args: string[]): string | undefined {
  const r = spawnSync(command, args, { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

test("this machine: kernel, glibc, CPU vendor and flags agree with the system", async () => {
  assert.ok(
    existsSync("/proc/cpuinfo") && existsSync("/proc/sys/kernel/osrelease"),
    "needs a Linux /proc",
  );
  const { profile, diagnostics } = await discover({ root: "/" });
  assert.deepEqual(
    diagnostics.filter((d) => d.probe !== "features.d"),
    [],
  );
  readNodeProfile(profile, "this machine", createCatalog());

  const uname = run("uname", ["-r"]);
  assert.ok(uname, "uname -r ran");
  assert.equal(profile.labels["oci.kernel.version"], uname);

  const getconf = run("getconf", ["GNU_LIBC_VERSION"]);
  const glibc = profile.labels["oci.os.glibc"];
  assert.ok(
    getconf !== undefined && getconf.startsWith("glibc "),
    `getconf GNU_LIBC_VERSION says ${getconf}`,
  );
  assert.equal(glibc, getconf.slice("glibc ".length));

  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const vendor = /^(?:vendor_id|CPU implementer)\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim();
  assert.ok(vendor, "/proc/cpuinfo names a vendor");
  assert.equal(profile.labels["oci.cpu.vendor"], vendor);
  // Flags every processor lists, in NFD spelling, are exactly the non-level features.
  const perCpu = [...cpuinfo.matchAll(/^(?:flags|Features)\s*:\s*(.*)$/gm)].map(
    (m) => new Set((m[1] ?? "").split(/\s+/).filter(Boolean).map(normalizeCpuFlag)),
  );
  assert.ok(perCpu.length > 0, "/proc/cpuinfo lists flags");
  {
    const common = [...(perCpu[0] ?? [])].filter((f) => perCpu.every((s) => s.has(f)));
    const features = profile.labels["oci.cpu.features"] as string[];
    assert.deepEqual(features.filter((f) => !f.startsWith("X86_64_V")).sort(), common.sort());
    assert.ok(features.length > 0);
  }
  assert.equal(profile.platform.os, "linux");
  assert.notEqual(profile.platform.architecture, "unknown");
});
