// index.json of an OCI layout: strict parsing, and edits that keep every byte of the entries and
// fields they do not touch. Other tools (skopeo, oras, buildkit) write index.json in their own
// formatting and may add fields ocicompat does not know; re-serialising the whole document would
// rewrite them, so edits splice new text into the original at the spans of the `manifests` array.
import { OcicompatError, ValidationError } from "../../oci/errors.js";
import { parseIJson } from "../../oci/ijson.js";
import { MediaType } from "../../oci/media-types.js";
import type { ImageIndex, IndexEntry } from "../../oci/schema.js";
import { validateOciDocument } from "../../oci/validate.js";
import { topLevelArray, type ArrayScan } from "../../oci/json-text.js";

/** The annotation an image layout uses to name (tag) an index.json entry. */
export const REF_NAME = "org.opencontainers.image.ref.name";

export const EMPTY_INDEX_JSON = `{"schemaVersion":2,"mediaType":"${MediaType.ImageIndex}","manifests":[]}`;

export interface IndexJson {
  text: string;
  index: ImageIndex;
}

/** Parses index.json bytes strictly (I-JSON, then the image-index schema). */
export function parseIndexJson(bytes: Uint8Array, subject: string, maxBytes: number): IndexJson {
  let value: unknown;
  try {
    value = parseIJson(bytes, { maxBytes }).value;
  } catch (err) {
    if (err instanceof OcicompatError) {
      throw new OcicompatError(err.code, `index.json: ${err.message}`, { subject, cause: err });
    }
    throw err;
  }
  const report = validateOciDocument("index", value);
  if (report.errors.length > 0) throw new ValidationError(subject, report.errors);
  // Validated against ImageIndexSchema just above.
  const index = value as ImageIndex;
  return { text: Buffer.from(bytes).toString("utf8"), index };
}

export function refNameOf(entry: IndexEntry): string | undefined {
  return entry.annotations?.[REF_NAME];
}

/**
 * Locates the top-level `manifests` array and its elements in JSON text already known to be a
 * valid index (parseIndexJson ran first).
 */
function manifestsSpans(text: string): ArrayScan {
  const spans = topLevelArray(text, "manifests");
  if (spans === undefined) throw internal("index.json has no manifests array");
  return spans;
}

function internal(message: string): OcicompatError {
  return new OcicompatError("INTERNAL", `index.json scanner: ${message}`);
}

export type EntryEdit =
  { kind: "replace"; at: number; entry: IndexEntry } | { kind: "append"; entry: IndexEntry };

/** Applies edits to index.json text; everything outside the edited entries stays byte-for-byte. */
export function editIndexJson(text: string, edits: readonly EntryEdit[]): string {
  const spans = manifestsSpans(text);
  const replacements = new Map<number, string>();
  const appended: string[] = [];
  for (const edit of edits) {
    const json = JSON.stringify(edit.entry);
    if (edit.kind === "replace") replacements.set(edit.at, json);
    else appended.push(json);
  }
  let out = "";
  let cursor = 0;
  spans.elements.forEach((span, index) => {
    const replacement = replacements.get(index);
    if (replacement === undefined) return;
    out += text.slice(cursor, span.start) + replacement;
    cursor = span.end;
  });
  if (appended.length > 0) {
    const last = spans.elements.at(-1);
    // Reuse the separator the document already uses between entries (a newline and indentation
    // in pretty-printed files), so appended entries sit like their neighbours.
    const separator = separatorOf(text, spans);
    const insertAt = last === undefined ? spans.close : last.end;
    const lead = last === undefined ? "" : separator;
    out += text.slice(cursor, insertAt) + lead + appended.join(separator);
    cursor = insertAt;
  }
  return out + text.slice(cursor);
}

function separatorOf(text: string, spans: ArrayScan): string {
  const { elements } = spans;
  const last = elements.at(-1);
  const before = elements.at(-2);
  if (last !== undefined && before !== undefined) return text.slice(before.end, last.start);
  if (last !== undefined) return `,${text.slice(spans.open + 1, last.start)}`;
  return ",";
}
