// Small ELF files made in the test: a header, the sections' bytes in the order given, a section
// name table and the section header table at the end, as linkers lay them out. 32- or 64-bit,
// either byte order; only the fields elf.ts reads are filled in.

export interface ElfShape {
  wide: boolean;
  littleEndian: boolean;
  sections: { name: string; bytes: Buffer }[];
}

export function makeElf(shape: ElfShape): Buffer {
  const headerSize = shape.wide ? 64 : 52;
  const entrySize = shape.wide ? 64 : 40;
  const names = Buffer.concat([
    Buffer.from("\0"),
    ...shape.sections.map((s) => Buffer.from(`${s.name}\0`)),
    Buffer.from(".shstrtab\0"),
  ]);
  // Section 0 is the null section; then the given ones; then the name table.
  const laid: { nameOffset: number; offset: number; size: number }[] = [
    { nameOffset: 0, offset: 0, size: 0 },
  ];
  const parts: Buffer[] = [];
  let at = headerSize;
  let nameAt = 1;
  for (const s of shape.sections) {
    laid.push({ nameOffset: nameAt, offset: at, size: s.bytes.length });
    nameAt += s.name.length + 1;
    parts.push(s.bytes);
    at += s.bytes.length;
  }
  laid.push({ nameOffset: nameAt, offset: at, size: names.length });
  parts.push(names);
  at += names.length;
  const tableOffset = at;

  const header = Buffer.alloc(headerSize);
  header.set([0x7f, 0x45, 0x4c, 0x46, shape.wide ? 2 : 1, shape.littleEndian ? 1 : 2, 1]);
  const h = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const le = shape.littleEndian;
  if (shape.wide) {
    h.setBigUint64(0x28, BigInt(tableOffset), le);
    h.setUint16(0x3a, entrySize, le);
    h.setUint16(0x3c, laid.length, le);
    h.setUint16(0x3e, laid.length - 1, le);
  } else {
    h.setUint32(0x20, tableOffset, le);
    h.setUint16(0x2e, entrySize, le);
    h.setUint16(0x30, laid.length, le);
    h.setUint16(0x32, laid.length - 1, le);
  }
  const table = Buffer.alloc(laid.length * entrySize);
  const t = new DataView(table.buffer, table.byteOffset, table.byteLength);
  laid.forEach((s, i) => {
    const base = i * entrySize;
    t.setUint32(base, s.nameOffset, le);
    if (shape.wide) {
      t.setBigUint64(base + 0x18, BigInt(s.offset), le);
      t.setBigUint64(base + 0x20, BigInt(s.size), le);
    } else {
      t.setUint32(base + 0x10, s.offset, le);
      t.setUint32(base + 0x14, s.size, le);
    }
  });
  return Buffer.concat([header, ...parts, table]);
}
