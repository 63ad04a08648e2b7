// Where a named section lies in an ELF file, from its header and section header table: enough to
// read libc's .rodata (its version banner, ~150 KiB) instead of the whole ~2 MiB library. The
// bytes come from a root being discovered, perhaps another machine's: every offset and count is
// checked, and anything unexpected is `undefined`, for the caller to read the whole file instead.

/** What the ELF header says about the section header table. */
export interface ElfSectionTable {
  littleEndian: boolean;
  /** File offset of the section header table. */
  offset: number;
  entrySize: number;
  count: number;
  /** Index of the section that holds the section names. */
  namesIndex: number;
}

/** A section's place in the file. */
export interface ElfSection {
  nameOffset: number;
  offset: number;
  size: number;
}

/** Bytes of the ELF header to read: the 64-bit header's length (the 32-bit one is shorter). */
export const ELF_HEADER_BYTES = 64;

/** More sections than any shared library has; a larger count is not believed. */
const MAX_SECTIONS = 4096;

function reader(bytes: Uint8Array, littleEndian: boolean) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    u16: (at: number) => view.getUint16(at, littleEndian),
    u32: (at: number) => view.getUint32(at, littleEndian),
    /** A 64-bit field, or undefined past 2^53 (no real file is that large). */
    u64: (at: number) => {
      const value = view.getBigUint64(at, littleEndian);
      return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
    },
  };
}

/** The section header table the ELF header at the start of `bytes` describes. */
export function elfSectionTable(bytes: Uint8Array): ElfSectionTable | undefined {
  if (bytes.byteLength < 52) return undefined;
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    return undefined;
  }
  const elfClass = bytes[4];
  const data = bytes[5];
  if ((elfClass !== 1 && elfClass !== 2) || (data !== 1 && data !== 2)) return undefined;
  const littleEndian = data === 1;
  const wide = elfClass === 2;
  if (wide && bytes.byteLength < ELF_HEADER_BYTES) return undefined;
  const r = reader(bytes, littleEndian);
  const offset = wide ? r.u64(0x28) : r.u32(0x20);
  const [entrySize, count, namesIndex] = wide
    ? [r.u16(0x3a), r.u16(0x3c), r.u16(0x3e)]
    : [r.u16(0x2e), r.u16(0x30), r.u16(0x32)];
  if (offset === undefined || offset === 0) return undefined;
  if (entrySize !== (wide ? 64 : 40) || count === 0 || count > MAX_SECTIONS) return undefined;
  if (namesIndex >= count) return undefined;
  return { littleEndian, offset, entrySize, count, namesIndex };
}

/** The sections of a section header `table` (read from `info.offset`, `count * entrySize` bytes). */
export function elfSections(table: Uint8Array, info: ElfSectionTable): ElfSection[] | undefined {
  if (table.byteLength < info.count * info.entrySize) return undefined;
  const r = reader(table, info.littleEndian);
  const wide = info.entrySize === 64;
  const sections: ElfSection[] = [];
  for (let i = 0; i < info.count; i++) {
    const at = i * info.entrySize;
    const offset = wide ? r.u64(at + 0x18) : r.u32(at + 0x10);
    const size = wide ? r.u64(at + 0x20) : r.u32(at + 0x14);
    if (offset === undefined || size === undefined) return undefined;
    sections.push({ nameOffset: r.u32(at), offset, size });
  }
  return sections;
}

/** The section called `name`, given the bytes of the section-name table. */
export function elfSectionNamed(
  sections: readonly ElfSection[],
  names: Uint8Array,
  name: string,
): ElfSection | undefined {
  const wanted = Buffer.from(`${name}\0`, "latin1");
  const all = Buffer.from(names.buffer, names.byteOffset, names.byteLength);
  return sections.find((s) => {
    const end = s.nameOffset + wanted.length;
    return end <= all.length && all.subarray(s.nameOffset, end).equals(wanted);
  });
}
