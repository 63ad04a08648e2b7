// Reading a host's files under a root prefix ("/" for this machine, or a mounted root file
// system). Paths are written as the host sees them ("/proc/cpuinfo"); symbolic links are followed
// *inside* the root, as a chroot would, so an absolute link in a mounted image never escapes to
// the machine ocicompat runs on. Missing files are `undefined`, never errors: a missing source makes
// a fact unknown. Other failures (permission denied, I/O errors) are thrown for the probe's
// caller to record.
import type { Stats } from "node:fs";
import { lstat, open, readdir, readFile, readlink, realpath, stat } from "node:fs/promises";
import { posix, resolve as resolveHostPath } from "node:path";
import { OcicompatError } from "../oci/errors.js";

/** Linux gives up after 40 links in one lookup; so do we. */
const MAX_LINK_HOPS = 40;

export interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  /** Permission bits, e.g. 0o755. */
  mode: number;
  size: number;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function ioError(path: string, err: unknown): OcicompatError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === "EACCES" || code === "EPERM"
      ? "permission denied"
      : code === "ELOOP"
        ? "too many levels of symbolic links"
        : (err as Error).message;
  return new OcicompatError("IO", `cannot read ${path}: ${reason}`, { subject: path, cause: err });
}

function components(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

export class HostRoot {
  /** The root on this machine, absolute. */
  readonly path: string;
  /** True when the root is this machine's own "/", where the kernel resolves links for us. */
  readonly isHostRoot: boolean;
  private readonly texts = new Map<string, Promise<string | undefined>>();
  /**
   * (canonical directory, name) → canonical path of finished lookups, so each link is followed
   * once per run. Only finished results are kept: sharing a pending lookup would make a link
   * loop wait on itself instead of running into the hop limit.
   */
  private readonly steps = new Map<string, string>();

  constructor(root = "/") {
    this.path = resolveHostPath(root);
    this.isHostRoot = this.path === "/";
  }

  /** The path on this machine of a path inside the root, links followed inside the root. */
  async hostPath(path: string): Promise<string> {
    if (this.isHostRoot) return path;
    const canonical = await this.canonical(path);
    return canonical === "/" ? this.path : this.path + canonical;
  }

  /**
   * The path inside the root after following every link inside the root. A path that does not
   * exist comes back with its missing tail as written.
   */
  async canonical(path: string): Promise<string> {
    if (this.isHostRoot) {
      try {
        return await realpath(path);
      } catch (err) {
        if (isMissing(err)) return posix.normalize(path);
        throw ioError(path, err);
      }
    }
    try {
      return await this.walk("/", components(path), { hops: 0 });
    } catch (err) {
      if (err instanceof OcicompatError) throw err;
      throw ioError(path, err);
    }
  }

  private async walk(start: string, parts: string[], budget: { hops: number }): Promise<string> {
    let current = start;
    for (const part of parts) {
      if (part === "..") {
        // ".." of the root is the root, as in a chroot.
        current = posix.dirname(current);
        continue;
      }
      current = await this.step(current, part, budget);
    }
    return current;
  }

  private async step(dir: string, name: string, budget: { hops: number }): Promise<string> {
    const key = `${dir}\u0000${name}`;
    const known = this.steps.get(key);
    if (known !== undefined) return known;
    const result = await this.resolveStep(dir, name, budget);
    this.steps.set(key, result);
    return result;
  }

  private async resolveStep(dir: string, name: string, budget: { hops: number }): Promise<string> {
    const candidate = dir === "/" ? `/${name}` : `${dir}/${name}`;
    let info: Stats;
    try {
      info = await lstat(this.path + candidate);
    } catch (err) {
      if (isMissing(err)) return candidate;
      throw err;
    }
    if (!info.isSymbolicLink()) return candidate;
    budget.hops += 1;
    if (budget.hops > MAX_LINK_HOPS) {
      throw new OcicompatError(
        "IO",
        `cannot read ${candidate}: too many levels of symbolic links`,
        {
          subject: candidate,
        },
      );
    }
    const target = await readlink(this.path + candidate);
    return this.walk(target.startsWith("/") ? "/" : dir, components(target), budget);
  }

  /** A text file's content (UTF-8), read once per HostRoot; undefined when it does not exist. */
  readText(path: string): Promise<string | undefined> {
    let text = this.texts.get(path);
    if (text === undefined) {
      text = this.readTextOnce(path);
      this.texts.set(path, text);
    }
    return text;
  }

  private async readTextOnce(path: string): Promise<string | undefined> {
    const bytes = await this.readBytes(path);
    return bytes?.toString("utf8");
  }

  /** A file's bytes; undefined when it does not exist. Refuses files over `maxBytes`. */
  async readBytes(path: string, maxBytes = 64 * 1024 * 1024): Promise<Buffer | undefined> {
    const host = await this.hostPath(path);
    try {
      const info = await stat(host);
      if (info.isDirectory()) return undefined;
      if (info.size > maxBytes) {
        throw new OcicompatError("TOO_LARGE", `${path} is ${info.size} bytes, over ${maxBytes}`, {
          subject: path,
        });
      }
      // Files in /proc and /sys report size 0; readFile reads them to the end regardless.
      return await readFile(host);
    } catch (err) {
      if (err instanceof OcicompatError) throw err;
      if (isMissing(err)) return undefined;
      throw ioError(path, err);
    }
  }

  /** The first `length` bytes of a file (fewer if it is shorter); undefined when missing. */
  async readHead(path: string, length: number): Promise<Buffer | undefined> {
    return this.readRange(path, 0, length);
  }

  /**
   * `length` bytes of a file from `offset` (fewer where the file ends first); undefined when
   * missing.
   */
  async readRange(path: string, offset: number, length: number): Promise<Buffer | undefined> {
    const host = await this.hostPath(path);
    let handle;
    try {
      handle = await open(host, "r");
      const buffer = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === "EISDIR") return undefined;
      throw ioError(path, err);
    } finally {
      await handle?.close();
    }
  }

  /** Entry names of a directory, sorted; undefined when it does not exist. */
  async list(path: string): Promise<string[] | undefined> {
    const host = await this.hostPath(path);
    try {
      return (await readdir(host)).sort();
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw ioError(path, err);
    }
  }

  /** What a path is, links followed inside the root; undefined when it does not exist. */
  async info(path: string): Promise<FileInfo | undefined> {
    const host = await this.hostPath(path);
    try {
      const s = await stat(host);
      return {
        isFile: s.isFile(),
        isDirectory: s.isDirectory(),
        mode: s.mode & 0o7777,
        size: s.size,
      };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw ioError(path, err);
    }
  }

  async isDirectory(path: string): Promise<boolean> {
    return (await this.info(path))?.isDirectory ?? false;
  }
}
