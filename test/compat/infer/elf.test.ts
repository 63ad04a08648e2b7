// ELF facts read from real files: the machine's own glibc and loader (checked against
// `readelf -n`), programs compiled here with gcc for x86-64-v3 with and without the ISA-needed
// note, and an AArch64 program linked with Debian's cross binutils.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  glibcReleaseIn,
  parseNotes,
  readElfFacts,
  parseX86IsaNeeded,
} from "../../../src/compat/infer/elf.js";
import {
  compilePrograms,
  HOST_LIBC,
  HOST_LOADER,
  type Programs,
} from "../../support/infer-images.js";

function readelfNotes(file: string): string {
  return execFileSync("readelf", ["-nW", file], { encoding: "utf8" });
}

function headOf(file: string, bytes = 64 * 1024): Uint8Array {
  return readFileSync(file).subarray(0, bytes);
}

describe("ELF facts of real files", () => {
  let programs: Programs;
  before(() => {
    programs = compilePrograms();
  });
  after(() => programs.remove());

  it("reads the minimum kernel of the machine's libc.so.6 as readelf -n shows it", () => {
    const expected = /OS: Linux, ABI: (\d+\.\d+\.\d+)/.exec(readelfNotes(HOST_LIBC))?.[1];
    assert.ok(expected, "readelf shows an ABI tag for libc.so.6");
    const facts = readElfFacts(headOf(HOST_LIBC));
    assert.deepEqual(facts?.abiTag, { os: "Linux", version: expected });
    assert.equal(facts?.architecture, "amd64");
    assert.equal(facts?.header.type, "shared");
  });

  it("reads the loader's ABI tag exactly when readelf -n shows one", () => {
    const expected = /OS: Linux, ABI: (\d+\.\d+\.\d+)/.exec(readelfNotes(HOST_LOADER))?.[1];
    const facts = readElfFacts(headOf(HOST_LOADER));
    assert.equal(facts?.abiTag?.version, expected);
    assert.equal(facts?.architecture, "amd64");
  });

  it("reads the x86 ISA level the machine's libc.so.6 declares as readelf -n shows it", () => {
    const shown = /x86 ISA needed: ([^\n]+)/.exec(readelfNotes(HOST_LIBC))?.[1] ?? "";
    const highest = Math.max(1, ...[...shown.matchAll(/x86-64-v(\d)/g)].map((m) => Number(m[1])));
    assert.equal(readElfFacts(headOf(HOST_LIBC))?.x86IsaNeeded, shown ? highest : undefined);
  });

  it("finds the glibc release in the banner of libc.so.6", () => {
    const banner = execFileSync("sh", ["-c", `strings ${HOST_LIBC} | grep 'GNU C Library'`], {
      encoding: "utf8",
    });
    const expected = /release version (\d+\.\d+)/.exec(banner)?.[1];
    assert.ok(expected);
    assert.equal(glibcReleaseIn(readFileSync(HOST_LIBC)), expected);
  });

  it("reads x86-64-v3 from a program linked with -z x86-64-v3", () => {
    assert.match(readelfNotes(programs.v3WithNote), /x86 ISA needed: .*x86-64-v3/);
    const facts = readElfFacts(headOf(programs.v3WithNote));
    assert.equal(facts?.x86IsaNeeded, 3);
    assert.equal(facts?.interpreter, "/lib64/ld-linux-x86-64.so.2");
  });

  it("reads no ISA level from a -march=x86-64-v3 program whose note the link dropped", () => {
    assert.doesNotMatch(readelfNotes(programs.v3WithoutNote), /x86-64-v3/);
    const facts = readElfFacts(headOf(programs.v3WithoutNote));
    assert.ok(facts?.x86IsaNeeded === undefined || facts.x86IsaNeeded === 1);
  });

  it("reads the AArch64 machine of a program linked by the cross binutils", () => {
    const facts = readElfFacts(headOf(programs.arm64));
    assert.equal(facts?.header.machine, 183);
    assert.equal(facts?.architecture, "arm64");
    assert.equal(facts?.header.type, "executable");
  });

  it("counts notes beyond the bytes given as unread instead of guessing them", () => {
    const facts = readElfFacts(headOf(programs.v3WithNote, 0x200));
    assert.ok(facts);
    assert.ok(facts.unread > 0);
    assert.equal(facts.x86IsaNeeded, undefined);
  });

  it("answers undefined for bytes that are not ELF", () => {
    assert.equal(readElfFacts(new TextEncoder().encode("#!/bin/sh\necho hi\n")), undefined);
    assert.equal(readElfFacts(new Uint8Array([0x7f, 0x45, 0x4c, 0x46])), undefined);
  });
});

describe("note and property parsing", () => {
  it("reads each ISA-needed bit as its level", () => {
    const cases: [number, number | undefined][] = [
      [1, 1],
      [3, 2],
      [5, 3],
      [15, 4],
      [0, 1],
    ];
    for (const [mask, level] of cases) {
      const desc = new Uint8Array(16);
      const view = new DataView(desc.buffer);
      view.setUint32(0, 0xc0008002, true);
      view.setUint32(4, 4, true);
      view.setUint32(8, mask, true);
      assert.equal(parseX86IsaNeeded(desc, true, 64), level, `mask ${mask}`);
    }
  });

  it("ignores the ISA-used property, which is not a requirement", () => {
    const desc = new Uint8Array(16);
    const view = new DataView(desc.buffer);
    view.setUint32(0, 0xc0010002, true);
    view.setUint32(4, 4, true);
    view.setUint32(8, 4, true);
    assert.equal(parseX86IsaNeeded(desc, true, 64), undefined);
  });

  it("stops at a note whose descriptor runs past the segment", () => {
    const seg = new Uint8Array(16);
    const view = new DataView(seg.buffer);
    view.setUint32(0, 4, true);
    view.setUint32(4, 100, true);
    view.setUint32(8, 1, true);
    assert.deepEqual(parseNotes(seg, true), []);
  });
});
