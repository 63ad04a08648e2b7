// ELF facts that decide whether a binary can run on a node, read from the first bytes of a file:
// the ELF header (class, byte order, type, machine), the program headers, PT_INTERP, and the notes
// of PT_NOTE segments (NT_GNU_ABI_TAG: the minimum kernel; NT_GNU_PROPERTY_TYPE_0 with
// GNU_PROPERTY_X86_ISA_1_NEEDED: the x86-64 level). Pure: bytes in, facts out. Whatever lies
// beyond the bytes given is reported as not read, never guessed, so a caller can bound how much
// of each file it reads (the ELF gABI puts program headers and notes near the start in practice).

export type ElfType = "relocatable" | "executable" | "shared" | "core" | "other";

export interface ElfHeader {
  bits: 32 | 64;
  littleEndian: boolean;
  type: ElfType;
  /** e_machine, e.g. 62 (x86-64), 183 (AArch64). */
  machine: number;
  phoff: number;
  phentsize: number;
  phnum: number;
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Uint8Array;
}

export interface ElfFacts {
  header: ElfHeader;
  /** The OCI architecture of e_machine (`amd64`, `arm64`, ...), or undefined when unknown. */
  architecture: string | undefined;
  /** PT_INTERP: the program interpreter (dynamic loader) path, when it lies in the bytes read. */
  interpreter?: string;
  /** NT_GNU_ABI_TAG: the OS and minimum kernel version, e.g. `{ os: "Linux", version: "3.2.0" }`. */
  abiTag?: { os: string; version: string };
  /** GNU_PROPERTY_X86_ISA_1_NEEDED as a level: 1 (baseline) to 4. */
  x86IsaNeeded?: 1 | 2 | 3 | 4;
  /** PT_NOTE segments (or PT_INTERP) that lie beyond the bytes read: their facts are unknown. */
  unread: number;
}

const PT_INTERP = 3;
const PT_NOTE = 4;
const NT_GNU_ABI_TAG = 1;
const NT_GNU_PROPERTY_TYPE_0 = 5;
const GNU_PROPERTY_X86_ISA_1_NEEDED = 0xc0008002;
/** Bits of GNU_PROPERTY_X86_ISA_1_NEEDED (binutils 2.35+): baseline, v2, v3, v4. */
const ISA_BITS: readonly [number, 1 | 2 | 3 | 4][] = [
  [8, 4],
  [4, 3],
  [2, 2],
  [1, 1],
];
const ABI_OS = ["Linux", "Hurd", "Solaris", "FreeBSD", "NetBSD", "Syllable"];

/** e_machine → OCI architecture. PowerPC 64 and MIPS are told apart by byte order. */
export function ociArchitecture(
  machine: number,
  littleEndian: boolean,
  bits: 32 | 64,
): string | undefined {
  switch (machine) {
    case 3:
      return "386";
    case 62:
      return "amd64";
    case 40:
      return "arm";
    case 183:
      return "arm64";
    case 21:
      return littleEndian ? "ppc64le" : "ppc64";
    case 22:
      return "s390x";
    case 243:
      return bits === 64 ? "riscv64" : "riscv";
    case 258:
      return "loong64";
    case 8:
      return bits === 64
        ? littleEndian
          ? "mips64le"
          : "mips64"
        : littleEndian
          ? "mipsle"
          : "mips";
    default:
      return undefined;
  }
}

/** Whether `bytes` start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x7f &&
    bytes[1] === 0x45 &&
    bytes[2] === 0x4c &&
    bytes[3] === 0x46
  );
}

function typeOf(value: number): ElfType {
  switch (value) {
    case 1:
      return "relocatable";
    case 2:
      return "executable";
    case 3:
      return "shared";
    case 4:
      return "core";
    default:
      return "other";
  }
}

/** The ELF header, or undefined when the bytes are not a well-formed ELF header. */
export function parseElfHeader(bytes: Uint8Array): ElfHeader | undefined {
  if (!isElf(bytes) || bytes.length < 52) return undefined;
  const cls = bytes[4];
  const data = bytes[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  const bits = cls === 2 ? 64 : 32;
  if (bits === 64 && bytes.length < 64) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = data === 1;
  const type = typeOf(view.getUint16(16, le));
  const machine = view.getUint16(18, le);
  const phoff = bits === 64 ? Number(view.getBigUint64(32, le)) : view.getUint32(28, le);
  const phentsize = view.getUint16(bits === 64 ? 54 : 42, le);
  const phnum = view.getUint16(bits === 64 ? 56 : 44, le);
  return { bits, littleEndian: le, type, machine, phoff, phentsize, phnum };
}

interface Segment {
  type: number;
  offset: number;
  size: number;
  align: number;
}

function programHeaders(bytes: Uint8Array, h: ElfHeader): Segment[] | undefined {
  const min = h.bits === 64 ? 56 : 32;
  if (h.phnum === 0) return [];
  if (h.phentsize < min) return undefined;
  const end = h.phoff + h.phnum * h.phentsize;
  if (end > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = h.littleEndian;
  const out: Segment[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const at = h.phoff + i * h.phentsize;
    if (h.bits === 64) {
      out.push({
        type: view.getUint32(at, le),
        offset: Number(view.getBigUint64(at + 8, le)),
        size: Number(view.getBigUint64(at + 32, le)),
        align: Number(view.getBigUint64(at + 48, le)),
      });
    } else {
      out.push({
        type: view.getUint32(at, le),
        offset: view.getUint32(at + 4, le),
        size: view.getUint32(at + 16, le),
        align: view.getUint32(at + 28, le),
      });
    }
  }
  return out;
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

/**
 * The notes of one PT_NOTE segment. Name and descriptor are padded to 4-byte boundaries, or to
 * 8-byte ones in a segment aligned to 8 (where .note.gnu.property lives in 64-bit files).
 */
export function parseNotes(segment: Uint8Array, littleEndian: boolean, alignment = 4): ElfNote[] {
  const to = alignment === 8 ? 8 : 4;
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const notes: ElfNote[] = [];
  let at = 0;
  while (at + 12 <= segment.length) {
    const namesz = view.getUint32(at, littleEndian);
    const descsz = view.getUint32(at + 4, littleEndian);
    const type = view.getUint32(at + 8, littleEndian);
    const nameAt = at + 12;
    // Offsets are aligned from the segment's start: in an 8-aligned segment the 12-byte header
    // and the 4-byte name "GNU" end on a boundary, so the descriptor follows with no padding.
    const descAt = align(nameAt + namesz, to);
    const next = align(descAt + descsz, to);
    if (descAt + descsz > segment.length) break;
    const nameBytes = segment.subarray(nameAt, nameAt + namesz);
    const nul = nameBytes.indexOf(0);
    const name = new TextDecoder().decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul));
    notes.push({ name, type, desc: segment.subarray(descAt, descAt + descsz) });
    if (next <= at) break;
    at = next;
  }
  return notes;
}

/** NT_GNU_ABI_TAG's descriptor: four words, OS then major, minor, subminor. */
export function parseAbiTag(
  desc: Uint8Array,
  littleEndian: boolean,
): { os: string; version: string } | undefined {
  if (desc.length < 16) return undefined;
  const view = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
  const words = [0, 4, 8, 12].map((o) => view.getUint32(o, littleEndian));
  const os = ABI_OS[words[0] as number] ?? `os ${words[0]}`;
  return { os, version: `${words[1]}.${words[2]}.${words[3]}` };
}

/**
 * GNU_PROPERTY_X86_ISA_1_NEEDED from NT_GNU_PROPERTY_TYPE_0's property array, as the highest level
 * whose bit is set, or undefined when the property is absent. Properties are padded to 8 bytes in
 * 64-bit files and 4 in 32-bit ones.
 */
export function parseX86IsaNeeded(
  desc: Uint8Array,
  littleEndian: boolean,
  bits: 32 | 64,
): 1 | 2 | 3 | 4 | undefined {
  const view = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
  const pad = bits === 64 ? 8 : 4;
  let at = 0;
  while (at + 8 <= desc.length) {
    const type = view.getUint32(at, littleEndian);
    const size = view.getUint32(at + 4, littleEndian);
    if (at + 8 + size > desc.length) return undefined;
    if (type === GNU_PROPERTY_X86_ISA_1_NEEDED && size >= 4) {
      const mask = view.getUint32(at + 8, littleEndian);
      for (const [bit, level] of ISA_BITS) if (mask & bit) return level;
      return 1;
    }
    at += 8 + align(size, pad);
  }
  return undefined;
}

/**
 * What the first bytes of an ELF file say. `bytes` is a prefix of the file (or all of it); a note
 * or interpreter beyond it counts in `unread`. Undefined when the bytes are not ELF.
 */
export function readElfFacts(bytes: Uint8Array): ElfFacts | undefined {
  const header = parseElfHeader(bytes);
  if (header === undefined) return undefined;
  const facts: ElfFacts = {
    header,
    architecture: ociArchitecture(header.machine, header.littleEndian, header.bits),
    unread: 0,
  };
  const segments = programHeaders(bytes, header);
  if (segments === undefined) {
    facts.unread++;
    return facts;
  }
  for (const seg of segments) {
    if (seg.type !== PT_NOTE && seg.type !== PT_INTERP) continue;
    if (seg.offset + seg.size > bytes.length) {
      facts.unread++;
      continue;
    }
    const body = bytes.subarray(seg.offset, seg.offset + seg.size);
    if (seg.type === PT_INTERP) {
      const nul = body.indexOf(0);
      facts.interpreter = new TextDecoder().decode(nul < 0 ? body : body.subarray(0, nul));
      continue;
    }
    for (const note of parseNotes(body, header.littleEndian, seg.align)) {
      if (note.name !== "GNU") continue;
      if (note.type === NT_GNU_ABI_TAG) {
        const tag = parseAbiTag(note.desc, header.littleEndian);
        if (tag) facts.abiTag = tag;
      } else if (note.type === NT_GNU_PROPERTY_TYPE_0) {
        const level = parseX86IsaNeeded(note.desc, header.littleEndian, header.bits);
        if (level !== undefined) facts.x86IsaNeeded = level;
      }
    }
  }
  return facts;
}

/** `GNU C Library (...) stable release version 2.36.`: the glibc release a libc.so.6 is. */
export function glibcReleaseIn(bytes: Uint8Array): string | undefined {
  const marker = Buffer.from("GNU C Library");
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = buf.indexOf(marker);
  while (at >= 0) {
    // Only the 200 bytes after the marker can hold the banner: searching the NUL beyond them made
    // a crafted file with many markers and no NUL quadratic.
    const window = buf.subarray(at, Math.min(buf.length, at + 200));
    const end = window.indexOf(0);
    const text = window.subarray(0, end < 0 ? window.length : end).toString("latin1");
    const m = /release version (\d+\.\d+(?:\.\d+)?)/.exec(text);
    if (m) return m[1];
    at = buf.indexOf(marker, at + 1);
  }
  return undefined;
}
