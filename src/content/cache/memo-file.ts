// The small JSON files kept beside the content cache (the referrers memo, the blob location
// memory): replaced with a temp file and a rename, so a reader sees the old file or the new one.
// They only save requests, so a file that cannot be written is no error: the caller learns it
// from the answer. No fsync: losing the newest memory in a crash costs a request later, nothing
// more, and every command that learnt something would otherwise pay for one.
import { randomBytes } from "node:crypto";
import { mkdir, rename, unlink, writeFile } from "node:fs/promises";
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
    await mkdir(dir, { recursive: true });
    await writeFile(temp, text, { mode });
    await rename(temp, join(dir, name));
    return true;
  } catch {
    await unlink(temp).catch(() => undefined);
    return false;
  }
}
