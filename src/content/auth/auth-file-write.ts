// Writing the containers auth file as `podman login` / `podman logout` do: the same JSON shape
// (`{"auths":{"KEY":{"auth":"base64(user:password)"}}}`, tab-indented), the file mode 0600 in a
// directory created 0700, and an atomic replace (a temporary file in the same directory, renamed
// over the old one), so a reader never sees half a file and a crash never loses the old one.
// Every other key of the file (credHelpers, credsStore, other hosts) is kept as it was.
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { OcicompatError } from "../../oci/errors.js";
import { isObject } from "../../oci/json-value.js";
import { writeFileAtomic } from "../layout/files.js";
import { readConfigText } from "./docker-config.js";

type JsonObject = Record<string, unknown>;

async function readAuthFile(path: string): Promise<JsonObject | undefined> {
  const text = await readConfigText(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch (err) {
    // Never overwrite a file we cannot read: it may hold credentials for other registries.
    throw new OcicompatError(
      "INVALID_JSON",
      `${path} is not valid JSON (${(err as Error).message}); it was left unchanged`,
      { subject: path },
    );
  }
  if (!isObject(value)) {
    throw new OcicompatError(
      "INVALID_JSON",
      `${path} must hold a JSON object; it was left unchanged`,
      {
        subject: path,
      },
    );
  }
  return value;
}

async function writeAtomically(path: string, content: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, Buffer.from(content, "utf8"), { mode: 0o600 });
  } catch (err) {
    throw new OcicompatError("IO", `cannot write ${path}: ${(err as Error).message}`, {
      subject: path,
      cause: err,
    });
  }
}

function authsOf(file: JsonObject): JsonObject {
  return isObject(file.auths) ? file.auths : {};
}

function serialise(file: JsonObject): string {
  return JSON.stringify(file, null, "\t");
}

/** Stores `user:password` under `key` (`host` or `host/namespace`), replacing its old entry. */
export async function storeAuthEntry(
  path: string,
  key: string,
  credential: { username: string; password: string },
): Promise<void> {
  const file = (await readAuthFile(path)) ?? {};
  const auth = Buffer.from(`${credential.username}:${credential.password}`, "utf8").toString(
    "base64",
  );
  const auths = { ...authsOf(file), [key]: { auth } };
  await writeAtomically(path, serialise({ ...file, auths }));
}

/**
 * Removes the entry for `key`, and URL-shaped keys of the same host that docker once wrote
 * (`https://host/v1/`). Returns whether there was one; the file is not written when not.
 */
export async function removeAuthEntry(path: string, key: string): Promise<boolean> {
  const file = await readAuthFile(path);
  if (file === undefined) return false;
  const auths = authsOf(file);
  const matches = (k: string) =>
    k === key ||
    (/^https?:\/\//i.test(k) && k.replace(/^https?:\/\//i, "").replace(/\/.*$/, "") === key);
  const kept = Object.fromEntries(Object.entries(auths).filter(([k]) => !matches(k)));
  if (Object.keys(kept).length === Object.keys(auths).length) return false;
  await writeAtomically(path, serialise({ ...file, auths: kept }));
  return true;
}

/** Empties `auths` (what `podman logout --all` does); other keys stay. Returns how many went. */
export async function removeAllAuthEntries(path: string): Promise<number> {
  const file = await readAuthFile(path);
  if (file === undefined) return 0;
  const removed = Object.keys(authsOf(file)).length;
  await writeAtomically(path, serialise({ ...file, auths: {} }));
  return removed;
}

/** The keys of `auths` in the file (for `logout` messages); none when there is no file. */
export async function authEntryKeys(path: string): Promise<string[]> {
  const file = await readAuthFile(path);
  return file === undefined ? [] : Object.keys(authsOf(file));
}
