// The image's file system as the layers leave it, reduced to what inference needs: the ELF files
// read (with their facts) and the symbolic links. Layers are applied in order with the OCI
// image-spec's whiteout rules: `.wh.NAME` removes NAME (and what is below it) from the layers
// beneath; `.wh..wh..opq` in a directory removes everything the layers beneath put there. Entries
// of one layer never hide each other, so a layer's whiteouts apply before its own files. Pure.
import type { ElfFacts } from "./elf.js";

export interface ScannedFile {
  /** Path without a leading slash: `usr/lib/x86_64-linux-gnu/libc.so.6`. */
  path: string;
  /** Digest of the layer the file came from. */
  layer: string;
  facts: ElfFacts;
  /** For a glibc libc.so.6: the release its banner names. */
  glibcRelease?: string;
}

export interface FileView {
  files: Map<string, ScannedFile>;
  /** Symbolic link path → target as written in the tar header. */
  links: Map<string, string>;
}

/** What one layer changes: whiteouts first, then its files, links and plain files. */
export interface LayerChanges {
  /** Paths removed by `.wh.NAME` entries. */
  removed: string[];
  /** Directories made opaque by `.wh..wh..opq`. */
  opaque: string[];
  files: Map<string, ScannedFile>;
  links: Map<string, string>;
  /** Other entries (plain files, directories): they replace whatever the layers beneath had. */
  others: Set<string>;
}

export function emptyView(): FileView {
  return { files: new Map(), links: new Map() };
}

export function emptyChanges(): LayerChanges {
  return { removed: [], opaque: [], files: new Map(), links: new Map(), others: new Set() };
}

/** `./usr//lib/` → `usr/lib`. */
export function normalizePath(path: string): string {
  return path
    .split("/")
    .filter((p) => p !== "" && p !== ".")
    .join("/");
}

function removeUnder<T>(map: Map<string, T>, dir: string, self: boolean): void {
  const prefix = dir === "" ? "" : `${dir}/`;
  for (const key of [...map.keys()]) {
    if ((self && key === dir) || key.startsWith(prefix)) map.delete(key);
  }
}

/** Applies one layer's changes to the view of the layers beneath it (in place). */
export function applyLayer(view: FileView, changes: LayerChanges): void {
  for (const dir of changes.opaque) {
    removeUnder(view.files, dir, false);
    removeUnder(view.links, dir, false);
  }
  for (const path of changes.removed) {
    removeUnder(view.files, path, true);
    removeUnder(view.links, path, true);
  }
  for (const path of changes.others) {
    view.files.delete(path);
    view.links.delete(path);
  }
  for (const [path, file] of changes.files) {
    view.links.delete(path);
    view.files.set(path, file);
  }
  for (const [path, target] of changes.links) {
    view.files.delete(path);
    view.links.set(path, target);
  }
}

/**
 * Follows symbolic links in every component of `path` (absolute targets from the image's root,
 * relative ones from the link's directory), as the kernel would inside the container. Undefined
 * after 40 links (a loop).
 */
export function resolvePath(view: FileView, path: string): string | undefined {
  let parts = normalizePath(path).split("/").filter(Boolean);
  let hops = 0;
  let i = 0;
  while (i < parts.length) {
    const part = parts[i] as string;
    if (part === "..") {
      parts.splice(Math.max(0, i - 1), i > 0 ? 2 : 1);
      i = Math.max(0, i - 1);
      continue;
    }
    const prefix = parts.slice(0, i + 1).join("/");
    const target = view.links.get(prefix);
    if (target === undefined) {
      i++;
      continue;
    }
    if (++hops > 40) return undefined;
    const rest = parts.slice(i + 1);
    const base = target.startsWith("/") ? [] : parts.slice(0, i);
    parts = [...base, ...target.split("/").filter((p) => p !== "" && p !== "."), ...rest];
    i = 0;
  }
  return parts.join("/");
}

/** The ELF file `path` names after following links, if it is one that was read. */
export function fileAt(view: FileView, path: string): ScannedFile | undefined {
  const resolved = resolvePath(view, path);
  return resolved === undefined ? undefined : view.files.get(resolved);
}
