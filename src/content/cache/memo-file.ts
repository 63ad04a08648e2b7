// The small JSON files kept beside the content cache (the referrers memo, the blob location
// memory): replaced with a temp file and a rename, so a reader sees the old file or the new one.
// They only save requests, so a file that cannot be written is no error: the caller learns it
// from the answer. No fsync: losing the newest memory in a crash costs a request later, nothing
// more, and every command that learnt something would otherwise pay for one. Read and written at
// once, not through fs/promises: each of its calls takes one or more turns of libuv's thread pool
// (a read four, open, fstat, read, close), and a command ends by writing its memos while it
// closes its connections, so each turn waited behind that work: ~2 ms at the end of a small copy,
// against ~0.3 ms for the same calls made at once (docs/design.md, "Small local files are read
// at once"). The files are small (a piece of the blob location memory holds at most 40 locations).
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes `text` as `dir/name` with `mode`; false when it could not be written. */
export async function writeMemoFile(
  dir: string,
  name: string,
  text: string,
  mode: number,
): Promise<boolean> {
  const temp = join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temp, text, { mode });
    renameSync(temp, join(dir, name));
    return true;
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // never written, or already gone
    }
    return false;
  }
}
