// The fixed frame of an image layout: `oci-layout`, `index.json` and `blobs/`. Made when a layout
// is created, checked when one is opened, removed again when an abandoned layout is still empty.
// readLimited, the size-capped read, serves both oci-layout and index.json: neither is read whole
// before its size is known to be sane.
import { mkdir, readFile, rm, rmdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { OcicompatError } from "../../oci/errors.js";
import { parseIJson } from "../../oci/ijson.js";
import { validateOciDocument } from "../../oci/validate.js";
import type { LayoutStore } from "../layout.js";
import { listDir } from "./blob-files.js";
import { createFileExclusive, errnoOf, ioError } from "./files.js";
import { EMPTY_INDEX_JSON } from "./index-json.js";
import { withLock } from "./lock.js";

export const LAYOUT_FILE = "oci-layout";
export const INDEX_FILE = "index.json";
export const BLOBS_DIR = "blobs";
export const IMAGE_LAYOUT_VERSION = "1.0.0";
const LAYOUT_HEADER = `{"imageLayoutVersion":"${IMAGE_LAYOUT_VERSION}"}`;
/** oci-layout is a one-field JSON object; anything large is not one. */
const MAX_LAYOUT_FILE_BYTES = 64 * 1024;

/**
 * Makes what is missing of the layout of `store` (`oci-layout` at `layoutPath`, an empty
 * index.json, `blobs/`), and records on the store what it made (for abandon).
 */
export async function createSkeleton(
  store: LayoutStore,
  layoutPath: string,
  durable = true,
): Promise<void> {
  const root = store.dir;
  const madeDir = await pathExists(root).then((there) => !there);
  await mkdir(join(root, BLOBS_DIR), { recursive: true }).catch((err: unknown) => {
    throw ioError(err, "create the layout directory", root);
  });
  const madeLayout = await createFileExclusive(layoutPath, Buffer.from(LAYOUT_HEADER), {
    durable,
  }).catch((err: unknown) => {
    throw ioError(err, "create oci-layout", layoutPath);
  });
  if (madeLayout) store.markCreated(madeDir ? "directory" : "files");
  await createFileExclusive(store.indexPath, Buffer.from(EMPTY_INDEX_JSON), { durable }).catch(
    (err: unknown) => {
      throw ioError(err, "create index.json", store.indexPath);
    },
  );
}

export async function checkLayoutFile(store: LayoutStore, path: string): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await readLimited(path, MAX_LAYOUT_FILE_BYTES);
  } catch (err) {
    if (errnoOf(err) === "ENOENT" || errnoOf(err) === "ENOTDIR") {
      const missing = (await pathExists(store.dir))
        ? "it has no oci-layout file"
        : "it does not exist";
      throw new OcicompatError(
        "NOT_FOUND",
        `${store.name} is not an OCI image layout: ${missing}`,
        {
          subject: store.dir,
        },
      );
    }
    throw ioError(err, "read oci-layout", path);
  }
  let value: unknown;
  try {
    value = parseIJson(bytes, { maxBytes: MAX_LAYOUT_FILE_BYTES }).value;
  } catch (err) {
    throw new OcicompatError(
      "INVALID_JSON",
      `oci-layout of ${store.name}: ${(err as Error).message}`,
      { subject: path, cause: err },
    );
  }
  const version =
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)["imageLayoutVersion"]
      : undefined;
  if (typeof version === "string" && version !== IMAGE_LAYOUT_VERSION) {
    throw new OcicompatError(
      "UNSUPPORTED",
      `${store.name} has imageLayoutVersion "${version}"; ocicompat reads ${IMAGE_LAYOUT_VERSION}`,
      { subject: path },
    );
  }
  const report = validateOciDocument("layout", value);
  if (report.errors.length > 0) {
    const first = report.errors[0];
    throw new OcicompatError(
      "VALIDATION",
      `oci-layout of ${store.name} is invalid: ${first?.path}: ${first?.message}`,
      { subject: path },
    );
  }
}

/**
 * Removes index.json, oci-layout and `blobs/` of the layout of `store` if index.json lists nothing
 * and `blobs/` holds no file, under index.json's lock; returns whether it did.
 */
export async function removeEmptySkeleton(store: LayoutStore): Promise<boolean> {
  const blobsDir = join(store.dir, BLOBS_DIR);
  return withLock(
    `${store.indexPath}.lock`,
    async () => {
      if ((await store.readIndex()).index.manifests.length > 0) return false;
      for (const entry of await listDir(blobsDir)) {
        if (entry.isDirectory()) await rmdir(join(blobsDir, entry.name)).catch(() => undefined);
      }
      if (
        !(await rmdir(blobsDir).then(
          () => true,
          () => false,
        ))
      )
        return false;
      await rm(store.indexPath, { force: true });
      await rm(join(store.dir, LAYOUT_FILE), { force: true });
      return true;
    },
    { what: `index.json of ${store.name}` },
  );
}

export async function readLimited(path: string, maxBytes: number): Promise<Uint8Array> {
  const info = await stat(path);
  if (info.size > maxBytes) {
    throw new OcicompatError(
      "TOO_LARGE",
      `file is ${info.size} bytes; the limit is ${maxBytes} bytes`,
      { subject: path },
    );
  }
  return readFile(path);
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
