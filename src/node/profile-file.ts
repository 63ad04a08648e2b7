// Node profiles on disk: read strictly (I-JSON, validated against the catalog's label types),
// written atomically so a reader never sees half a profile.
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import type { LabelCatalog } from "../compat/catalog.js";
import { readNodeProfile, type NodeProfile } from "../compat/node-profile.js";
import { isOcicompatError, OcicompatError } from "../oci/errors.js";
import { parseIJson } from "../oci/ijson.js";

const PROFILE_MAX_BYTES = 4 * 1024 * 1024;

export async function loadNodeProfile(file: string, catalog: LabelCatalog): Promise<NodeProfile> {
  let bytes: Uint8Array;
  try {
    const info = await stat(file);
    if (info.size > PROFILE_MAX_BYTES) {
      throw new OcicompatError(
        "TOO_LARGE",
        `node profile is ${info.size} bytes; the limit is ${PROFILE_MAX_BYTES}`,
        { subject: file },
      );
    }
    bytes = await readFile(file);
  } catch (err) {
    if (isOcicompatError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a directory, not a file"
          : (err as Error).message;
    throw new OcicompatError("IO", `node profile: ${reason}`, { subject: file, cause: err });
  }
  let value: unknown;
  try {
    value = parseIJson(bytes, { maxBytes: PROFILE_MAX_BYTES }).value;
  } catch (err) {
    if (isOcicompatError(err))
      throw new OcicompatError(err.code, `node profile: ${err.message}`, {
        subject: file,
        cause: err,
      });
    throw err;
  }
  return readNodeProfile(value, file, catalog);
}

export async function saveNodeProfile(file: string, profile: NodeProfile): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await writeFile(temp, `${JSON.stringify(profile, null, 2)}\n`);
  await rename(temp, file);
}
