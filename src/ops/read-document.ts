// Reading one local document: size-capped before reading, I-JSON or YAML by file name. Every
// failure is an OcicompatError naming the file.
import { open, stat } from "node:fs/promises";
import { isOcicompatError, OcicompatError } from "../oci/errors.js";
import { DEFAULT_MAX_BYTES, parseIJson } from "../oci/ijson.js";

export interface LocalDocument {
  value: unknown;
  format: "json" | "yaml";
}

export function isYamlFile(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

/** Reads and parses `file`; codes: IO (unreadable), TOO_LARGE, INVALID_JSON, INVALID_YAML. */
export async function readDocument(
  file: string,
  maxBytes = DEFAULT_MAX_BYTES,
): Promise<LocalDocument> {
  const bytes = await readCapped(file, maxBytes);
  try {
    if (isYamlFile(file)) {
      // Loaded for YAML files only: most commands read JSON (a node profile) or nothing local.
      const { parseYaml } = await import("../compat/yaml.js");
      return { value: parseYaml(decodeUtf8(bytes), file), format: "yaml" };
    }
    return { value: parseIJson(bytes, { maxBytes }).value, format: "json" };
  } catch (err) {
    if (isOcicompatError(err) && err.subject === undefined) {
      throw new OcicompatError(err.code, err.message, { subject: file, cause: err });
    }
    throw err;
  }
}

/** Reads at most maxBytes + 1 bytes, so a 100 MB file costs nothing before it is refused. */
export async function readCapped(file: string, maxBytes: number): Promise<Uint8Array> {
  let handle;
  try {
    const info = await stat(file);
    if (info.isDirectory())
      throw new OcicompatError("IO", "is a directory, not a file", { subject: file });
    if (info.size > maxBytes) throw tooLarge(info.size, maxBytes, file);
    handle = await open(file, "r");
    const buffer = Buffer.alloc(Math.min(maxBytes, info.size) + 1);
    let length = 0;
    // Special files report size 0 or lie; read until EOF, up to one byte past the cap.
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw tooLarge(length, maxBytes, file);
    return buffer.subarray(0, length);
  } catch (err) {
    throw asIoError(err, file);
  } finally {
    await handle?.close();
  }
}

function tooLarge(size: number, maxBytes: number, file: string): OcicompatError {
  const limit = maxBytes % 1048576 === 0 ? ` (${maxBytes / 1048576} MiB)` : "";
  return new OcicompatError(
    "TOO_LARGE",
    `is ${size} bytes; the limit is ${maxBytes} bytes${limit}`,
    {
      subject: file,
    },
  );
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new OcicompatError("INVALID_YAML", "is not valid UTF-8");
  }
}

function asIoError(err: unknown, file: string): OcicompatError {
  if (isOcicompatError(err)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
        ? "permission denied"
        : code === "EISDIR"
          ? "is a directory, not a file"
          : (err as Error).message;
  return new OcicompatError("IO", reason, { subject: file, cause: err });
}
