// oci.os.glibc: the GNU C library on the root, found by name or banner, never by running it (so
// it works on a mounted root of another architecture). musl hosts have no glibc: unknown.
import { posix } from "node:path";
import { ELF_HEADER_BYTES, elfSectionNamed, elfSections, elfSectionTable } from "../parse/elf.js";
import { glibcVersionFromBytes, glibcVersionFromFileName } from "../parse/glibc.js";
import type { HostRoot } from "../host-root.js";
import type { Probe } from "../probe.js";

const MULTIARCH = [
  "x86_64-linux-gnu",
  "aarch64-linux-gnu",
  "powerpc64le-linux-gnu",
  "s390x-linux-gnu",
  "riscv64-linux-gnu",
  "arm-linux-gnueabihf",
  "i386-linux-gnu",
];

/** Where distributions keep libc.so.6, 64-bit directories before 32-bit ones. */
export const LIBC_DIRECTORIES: readonly string[] = [
  ...MULTIARCH.flatMap((triplet) => [`/lib/${triplet}`, `/usr/lib/${triplet}`]),
  "/lib64",
  "/usr/lib64",
  "/lib",
  "/usr/lib",
];

/** libc is about 2 MiB; anything far larger is not the library we are looking for. */
const LIBC_MAX_BYTES = 32 * 1024 * 1024;

export async function findGlibcVersion(
  root: HostRoot,
  note: (message: string) => void,
): Promise<string | undefined> {
  const seen = new Set<string>();
  for (const dir of LIBC_DIRECTORIES) {
    const canonical = await root.canonical(`${dir}/libc.so.6`);
    // Merged-/usr systems reach one file through several directories; read it once.
    if (seen.has(canonical)) continue;
    seen.add(canonical);
    if (!(await root.info(canonical))?.isFile) continue;
    const fromName = glibcVersionFromFileName(posix.basename(canonical));
    if (fromName !== undefined) return fromName;
    const fromBanner =
      (await versionFromRodata(root, canonical)) ??
      (await root
        .readBytes(canonical, LIBC_MAX_BYTES)
        .then((bytes) => (bytes === undefined ? undefined : glibcVersionFromBytes(bytes))));
    if (fromBanner !== undefined) return fromBanner;
    note(`${dir}/libc.so.6 has no GNU C Library version banner`);
  }
  return undefined;
}

/** Section-name tables are a few hundred bytes; past this one is not believed. */
const MAX_SECTION_NAMES = 64 * 1024;

/**
 * The banner from libc's .rodata alone (~150 KiB of a ~2 MiB file), found through the ELF
 * section headers; undefined when the file is not an ELF file this can read, or the banner is
 * not there (the caller then reads the whole file).
 */
async function versionFromRodata(root: HostRoot, path: string): Promise<string | undefined> {
  const head = await root.readHead(path, ELF_HEADER_BYTES);
  const table = head === undefined ? undefined : elfSectionTable(head);
  if (table === undefined) return undefined;
  const tableBytes = await root.readRange(path, table.offset, table.count * table.entrySize);
  const sections = tableBytes === undefined ? undefined : elfSections(tableBytes, table);
  const namesSection = sections?.[table.namesIndex];
  if (sections === undefined || namesSection === undefined) return undefined;
  if (namesSection.size > MAX_SECTION_NAMES) return undefined;
  const names = await root.readRange(path, namesSection.offset, namesSection.size);
  const rodata = names === undefined ? undefined : elfSectionNamed(sections, names, ".rodata");
  if (rodata === undefined || rodata.size > LIBC_MAX_BYTES) return undefined;
  const bytes = await root.readRange(path, rodata.offset, rodata.size);
  return bytes === undefined ? undefined : glibcVersionFromBytes(bytes);
}

export const glibcProbe: Probe = {
  name: "glibc",
  provides: ["oci.os.glibc"],
  async run({ root, note }) {
    const version = await findGlibcVersion(root, note);
    return { facts: version === undefined ? {} : { "oci.os.glibc": version } };
  },
};
