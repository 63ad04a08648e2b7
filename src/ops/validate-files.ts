// `ocifit validate`: read each file, tell its kind, validate it. A file that cannot be read is an
// error (exit 2); a file that reads but is not a valid document is invalid (exit 1).
import { open, stat } from "node:fs/promises";
import { detectKind, validateDocument, type DocumentKind } from "../compat/document.js";
import { parseYaml } from "../compat/yaml.js";
import { isOcifitError, OcifitError, type ErrorCode, type ValidationIssue } from "../oci/errors.js";
import { DEFAULT_MAX_BYTES, parseIJson } from "../oci/ijson.js";

export type FileVerdict = "valid" | "invalid" | "unreadable";

export interface FileValidation {
  file: string;
  verdict: FileVerdict;
  kind?: DocumentKind;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** Set when the file could not be read (unreadable) or parsed (invalid). */
  failure?: { code: ErrorCode; message: string };
}

export interface ValidateOptions {
  kind?: DocumentKind;
  maxBytes?: number;
}

export async function validateFiles(
  files: readonly string[],
  options: ValidateOptions = {},
): Promise<FileValidation[]> {
  return Promise.all(files.map((f) => validateFile(f, options)));
}

export async function validateFile(
  file: string,
  options: ValidateOptions = {},
): Promise<FileValidation> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let bytes: Uint8Array;
  try {
    bytes = await readCapped(file, maxBytes);
  } catch (err) {
    if (isOcifitError(err) && err.code === "TOO_LARGE") return failed(file, "invalid", err);
    return failed(file, "unreadable", asIoError(err, file));
  }
  let value: unknown;
  const yaml = /\.ya?ml$/i.test(file);
  try {
    value = yaml ? parseYaml(decodeUtf8(bytes), file) : parseIJson(bytes, { maxBytes }).value;
  } catch (err) {
    if (isOcifitError(err)) return failed(file, "invalid", err);
    throw err;
  }
  const kind = options.kind ?? detectKind(value);
  if (kind === undefined) {
    return {
      file,
      verdict: "invalid",
      errors: [
        {
          path: "$",
          message:
            "cannot tell what kind of document this is (no known mediaType, and no index, manifest, config, compatibilities or oci-layout shape); pass --kind",
        },
      ],
      warnings: [],
    };
  }
  if (yaml && kind !== "compat") {
    return {
      file,
      verdict: "invalid",
      kind,
      errors: [
        {
          path: "$",
          message: `YAML is accepted only for compatibilities authoring files; a ${kind} must be JSON`,
        },
      ],
      warnings: [],
    };
  }
  const report = validateDocument(kind, value);
  return {
    file,
    verdict: report.errors.length === 0 ? "valid" : "invalid",
    kind,
    errors: report.errors,
    warnings: report.warnings,
  };
}

/** Reads at most maxBytes + 1 bytes, so a 100 MB file costs nothing before it is refused. */
async function readCapped(file: string, maxBytes: number): Promise<Uint8Array> {
  const info = await stat(file);
  if (info.isDirectory())
    throw new OcifitError("IO", "is a directory, not a file", { subject: file });
  if (info.size > maxBytes) throw tooLarge(info.size, maxBytes, file);
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(info.size, 0) + 1));
    let length = 0;
    // Special files report size 0; read until EOF, up to the cap.
    for (;;) {
      if (length === buffer.length) break;
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw tooLarge(length, maxBytes, file);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

function tooLarge(size: number, maxBytes: number, file: string): OcifitError {
  return new OcifitError(
    "TOO_LARGE",
    `is ${size} bytes; the limit is ${maxBytes} bytes (${(maxBytes / 1048576).toFixed(0)} MiB)`,
    { subject: file },
  );
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new OcifitError("INVALID_YAML", "is not valid UTF-8");
  }
}

function asIoError(err: unknown, file: string): OcifitError {
  if (isOcifitError(err)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
        ? "permission denied"
        : code === "EISDIR"
          ? "is a directory, not a file"
          : (err as Error).message;
  return new OcifitError("IO", reason, { subject: file, cause: err });
}

function failed(file: string, verdict: FileVerdict, err: OcifitError): FileValidation {
  return {
    file,
    verdict,
    errors: [],
    warnings: [],
    failure: { code: err.code, message: err.message },
  };
}
