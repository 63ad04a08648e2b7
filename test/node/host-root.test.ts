// Reading under a root prefix: links are followed inside the root, as a chroot would.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { HostRoot } from "../../src/node/host-root.js";
import { isOcicompatError } from "../../src/oci/errors.js";

const dir = mkdtempSync(join(tmpdir(), "ocicompat-root-"));
after(() => rmSync(dir, { recursive: true, force: true }));

mkdirSync(join(dir, "usr/lib64"), { recursive: true });
writeFileSync(join(dir, "usr/lib64/libc.so.6"), "inside");
mkdirSync(join(dir, "etc"));
// Absolute links mean "from the root", never from the machine running the tests.
symlinkSync("/usr/lib64", join(dir, "lib64"));
symlinkSync("/etc/hostname", join(dir, "etc/host-link"));
// ".." cannot climb out of the root.
symlinkSync("../../../../../../usr/lib64/libc.so.6", join(dir, "etc/deep"));
symlinkSync("loop-b", join(dir, "loop-a"));
symlinkSync("loop-a", join(dir, "loop-b"));

describe("HostRoot", () => {
  const root = new HostRoot(dir);

  test("an absolute link resolves inside the root", async () => {
    assert.equal(await root.readText("/lib64/libc.so.6"), "inside");
    assert.equal(await root.canonical("/lib64/libc.so.6"), "/usr/lib64/libc.so.6");
  });

  test("a link to a file the root does not have is missing, not the host's file", async () => {
    assert.equal(await root.readText("/etc/host-link"), undefined);
  });

  test('".." stops at the root', async () => {
    assert.equal(await root.readText("/etc/deep"), "inside");
  });

  test("a link loop is an error naming the path, not a hang", async () => {
    await assert.rejects(
      root.readText("/loop-a"),
      (e: unknown) => isOcicompatError(e) && /symbolic links/.test(e.message),
    );
  });

  test("missing files and directories are undefined", async () => {
    assert.equal(await root.readText("/proc/cpuinfo"), undefined);
    assert.equal(await root.list("/sys/bus/pci/devices"), undefined);
    assert.equal(await root.info("/nope"), undefined);
    assert.equal(await root.readHead("/nope", 20), undefined);
  });

  test("listing is sorted and info reports kind and permissions", async () => {
    assert.deepEqual(await root.list("/"), ["etc", "lib64", "loop-a", "loop-b", "usr"]);
    const info = await root.info("/lib64");
    assert.equal(info?.isDirectory, true);
  });

  test("the host root reads this machine's files directly", async () => {
    const host = new HostRoot("/");
    assert.equal(host.isHostRoot, true);
    assert.equal(await host.hostPath("/proc/cpuinfo"), "/proc/cpuinfo");
  });
});
