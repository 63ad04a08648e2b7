// The glibc probe reads libc's .rodata, where glibc keeps its banner, and only that when the file
// is an ELF file it can read; otherwise, or when .rodata holds no banner, the whole file. A decoy
// banner outside .rodata tells which was read.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { HostRoot } from "../../src/node/host-root.js";
import { findGlibcVersion } from "../../src/node/probes/glibc.js";
import { tempDir } from "../content/layout-support.js";
import { makeElf } from "./elf-support.js";

const work = tempDir("ocicompat-glibc-probe-");
after(() => work.remove());
let roots = 0;

const banner = (version: string): Buffer =>
  Buffer.from(`GNU C Library (test) stable release version ${version}.\n\0`);

/** A root whose only file is /lib/x86_64-linux-gnu/libc.so.6 with these bytes. */
async function versionIn(libc: Buffer): Promise<{ version?: string; notes: string[] }> {
  const root = join(work.path, `root${roots++}`);
  mkdirSync(join(root, "lib/x86_64-linux-gnu"), { recursive: true });
  writeFileSync(join(root, "lib/x86_64-linux-gnu/libc.so.6"), libc);
  const notes: string[] = [];
  const version = await findGlibcVersion(new HostRoot(root), (m) => notes.push(m));
  return { ...(version === undefined ? {} : { version }), notes };
}

test("in an ELF libc, the banner in .rodata is the one read, not a string elsewhere in the file", async () => {
  const libc = makeElf({
    wide: true,
    littleEndian: true,
    sections: [
      { name: ".data", bytes: banner("9.99") },
      { name: ".rodata", bytes: Buffer.concat([Buffer.alloc(4096, 0x20), banner("2.39")]) },
    ],
  });
  assert.deepEqual(await versionIn(libc), { version: "2.39", notes: [] });
});

test("a 32-bit big-endian libc is read through its sections too", async () => {
  const libc = makeElf({
    wide: false,
    littleEndian: false,
    sections: [
      { name: ".data", bytes: banner("9.99") },
      { name: ".rodata", bytes: banner("2.31") },
    ],
  });
  assert.deepEqual(await versionIn(libc), { version: "2.31", notes: [] });
});

test("when .rodata holds no banner, the whole file is read", async () => {
  const libc = makeElf({
    wide: true,
    littleEndian: true,
    sections: [
      { name: ".rodata", bytes: Buffer.alloc(256, 0x20) },
      { name: ".comment", bytes: banner("2.28") },
    ],
  });
  assert.deepEqual(await versionIn(libc), { version: "2.28", notes: [] });
});

test("a libc that is not an ELF file this can read is searched whole", async () => {
  const notElf = Buffer.concat([Buffer.from("\x7fELF"), Buffer.alloc(200), banner("2.35")]);
  assert.deepEqual(await versionIn(notElf), { version: "2.35", notes: [] });
});
