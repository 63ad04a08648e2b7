// elf.ts: where a named section lies, in 32- and 64-bit files of either byte order, and
// `undefined` (read the whole file instead) for anything it cannot vouch for.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ELF_HEADER_BYTES,
  elfSectionNamed,
  elfSections,
  elfSectionTable,
} from "../../src/node/parse/elf.js";
import { makeElf } from "./elf-support.js";

const RODATA = Buffer.from("constants\0GNU C Library (test) stable release version 2.39.\0");

/** Finds `.rodata` the way the glibc probe does, from slices of the whole file. */
function findRodata(file: Buffer): Buffer | undefined {
  const table = elfSectionTable(file.subarray(0, ELF_HEADER_BYTES));
  if (table === undefined) return undefined;
  const sections = elfSections(
    file.subarray(table.offset, table.offset + table.count * table.entrySize),
    table,
  );
  const names = sections?.[table.namesIndex];
  if (sections === undefined || names === undefined) return undefined;
  const found = elfSectionNamed(
    sections,
    file.subarray(names.offset, names.offset + names.size),
    ".rodata",
  );
  return found && file.subarray(found.offset, found.offset + found.size);
}

for (const [wide, littleEndian] of [
  [true, true],
  [true, false],
  [false, true],
  [false, false],
] as const) {
  test(`the .rodata of a ${wide ? 64 : 32}-bit ${littleEndian ? "little" : "big"}-endian file is found among other sections`, () => {
    const file = makeElf({
      wide,
      littleEndian,
      sections: [
        { name: ".text", bytes: Buffer.alloc(300, 0x90) },
        { name: ".rodata", bytes: RODATA },
        { name: ".rodata.cst16", bytes: Buffer.alloc(16, 1) },
      ],
    });
    assert.deepEqual(findRodata(file), RODATA);
  });
}

test("a file without .rodata has none, and other names do not match it by prefix", () => {
  const file = makeElf({
    wide: true,
    littleEndian: true,
    sections: [{ name: ".rodata.cst16", bytes: Buffer.alloc(16, 1) }],
  });
  assert.equal(findRodata(file), undefined);
});

test("what is not an ELF header this can vouch for is undefined", () => {
  const good = makeElf({ wide: true, littleEndian: true, sections: [] });
  const broken = (at: number, value: number): Buffer => {
    const copy = Buffer.from(good);
    copy[at] = value;
    return copy.subarray(0, ELF_HEADER_BYTES);
  };
  assert.ok(elfSectionTable(good.subarray(0, ELF_HEADER_BYTES)));
  assert.equal(elfSectionTable(Buffer.from("#!/bin/sh\nexit 0\n")), undefined, "not ELF");
  assert.equal(elfSectionTable(good.subarray(0, 40)), undefined, "cut short");
  assert.equal(elfSectionTable(broken(4, 3)), undefined, "class neither 32 nor 64-bit");
  assert.equal(elfSectionTable(broken(5, 0)), undefined, "no byte order");
  assert.equal(elfSectionTable(broken(0x3a, 48)), undefined, "a section header of the wrong size");
  assert.equal(elfSectionTable(broken(0x3d, 0xff)), undefined, "too many sections");
  assert.equal(elfSectionTable(broken(0x3e, 0xff)), undefined, "names section past the table");
});

test("a section header table shorter than its count says is undefined", () => {
  const file = makeElf({ wide: false, littleEndian: true, sections: [] });
  const table = elfSectionTable(file.subarray(0, ELF_HEADER_BYTES));
  assert.ok(table);
  assert.equal(elfSections(file.subarray(table.offset, file.length - 1), table), undefined);
});
