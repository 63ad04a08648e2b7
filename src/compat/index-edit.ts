// Edits of an image index that keep every byte they do not need to change. Attaching
// compatibilities must not disturb what other tools wrote: other entries, unknown fields, key
// order, whitespace. So the index is never re-serialised: a small position-tracking scan finds the
// targeted entries' `platform` objects, and only their `compatibilities` member (and a stale
// Proposal J `compat` member) is replaced, inserted or removed in the original text. The result is
// parsed and validated again, and compared with the intended document, before it is returned.
import { computeDigest } from "../oci/digest.js";
import { OcicompatError, ValidationError } from "../oci/errors.js";
import { parseIJson } from "../oci/ijson.js";
import { IndexMediaTypes, MediaType } from "../oci/media-types.js";
import type { Descriptor, IndexEntry } from "../oci/schema.js";
import { validateOciDocument } from "../oci/validate.js";
import { scanObject, topLevelArray, type ObjectMember, type TextSpan } from "../oci/json-text.js";
import { isObject, type Json } from "../oci/json-value.js";

/** A platform as written into an index entry (without compatibilities). */
export interface EntryPlatform {
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
  features?: string[];
}

export const CompatFields = ["compatibilities", "compat"] as const;
export type CompatField = (typeof CompatFields)[number];

export interface CompatibilitiesEdit {
  /** Position of the entry in `manifests[]`. */
  entry: number;
  /** The descriptor to set as `platform.compatibilities`, or null to remove it. */
  compatibilities: Descriptor | null;
  /**
   * The member the descriptor is written to: `compatibilities` (the seed Proposal I, default)
   * or `compat` (Proposal J and the final Proposal I). The other one is removed.
   */
  field?: CompatField;
  /**
   * The platform to give an entry that has none. Required when setting compatibilities on such
   * an entry; ignored when the entry has a platform.
   */
  platform?: EntryPlatform;
}

/** Where an edit happened: the changed region, as byte offsets, before and after. */
export interface EditedSpan {
  entry: number;
  /** `[start, end)` in the input bytes. */
  before: { start: number; end: number };
  /** `[start, end)` in the output bytes. */
  after: { start: number; end: number };
}

export interface IndexEditResult {
  bytes: Uint8Array;
  descriptor: { mediaType: string; digest: string; size: number };
  /** False when the edits changed nothing (for example removing what is not there). */
  changed: boolean;
  spans: EditedSpan[];
  /** The descriptors each edited entry had before (`compatibilities`, then `compat`). */
  previous: Map<number, Descriptor[]>;
}

/** Parses and validates an index strictly; the value edits are planned on. */
export function parseIndexDocument(bytes: Uint8Array, subject = "index"): Json {
  const { value } = parseIJson(bytes);
  const report = validateOciDocument("index", value);
  if (report.errors.length > 0) throw new ValidationError(subject, report.errors);
  return value as Json;
}

/**
 * Sets or removes `platform.compatibilities` on the given entries of an index, changing nothing
 * else: every byte outside the edited `platform` objects (or, for an entry that had no platform,
 * the inserted `platform` member) is kept. Setting also removes a stale Proposal J `compat`
 * member of that entry; removing removes both.
 */
export function editCompatibilities(
  bytes: Uint8Array,
  edits: readonly CompatibilitiesEdit[],
  subject = "index",
): IndexEditResult {
  const input = parseIndexDocument(bytes, subject);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  const entries = locateEntries(text);
  const manifests = input["manifests"] as Json[];
  const byEntry = new Map<number, CompatibilitiesEdit>();
  for (const edit of edits) {
    if (!Number.isInteger(edit.entry) || edit.entry < 0 || edit.entry >= manifests.length) {
      throw new OcicompatError(
        "USAGE",
        `the index has no entry ${edit.entry} (it has ${manifests.length})`,
        { subject },
      );
    }
    if (byEntry.has(edit.entry)) {
      throw new OcicompatError("USAGE", `entry ${edit.entry} is edited twice`, { subject });
    }
    byEntry.set(edit.entry, edit);
  }

  const previous = new Map<number, Descriptor[]>();
  const splices: { start: number; end: number; text: string; entry: number }[] = [];
  for (const [position, edit] of [...byEntry].sort((a, b) => a[0] - b[0])) {
    const entry = manifests[position] as Json;
    const span = entries[position] as TextSpan;
    const platform = entry["platform"];
    if (isObject(platform)) {
      const old = [platform["compatibilities"], platform["compat"]].filter(isObject);
      if (old.length > 0) previous.set(position, old as Descriptor[]);
      const platformSpan = memberOf(text, span.start, "platform");
      if (platformSpan === undefined) throw internal("platform member not found");
      const field = edit.field ?? "compatibilities";
      let objectText = text.slice(platformSpan.valueStart, platformSpan.valueEnd);
      objectText = removeMember(objectText, otherField(field));
      objectText =
        edit.compatibilities === null
          ? removeMember(objectText, field)
          : setMember(objectText, field, JSON.stringify(edit.compatibilities));
      if (objectText !== text.slice(platformSpan.valueStart, platformSpan.valueEnd)) {
        splices.push({
          start: platformSpan.valueStart,
          end: platformSpan.valueEnd,
          text: objectText,
          entry: position,
        });
      }
    } else if (edit.compatibilities !== null) {
      if (edit.platform === undefined) {
        throw new OcicompatError(
          "USAGE",
          `entry ${position} has no platform; give the platform to write with its compatibilities`,
          { subject },
        );
      }
      const objectText = text.slice(span.start, span.end);
      const platformJson = JSON.stringify({
        ...edit.platform,
        [edit.field ?? "compatibilities"]: edit.compatibilities,
      });
      splices.push({
        start: span.start,
        end: span.end,
        text: setMember(objectText, "platform", platformJson),
        entry: position,
      });
    }
  }

  let out = "";
  let cursor = 0;
  let byteShift = 0;
  const spans: EditedSpan[] = [];
  for (const s of splices) {
    out += text.slice(cursor, s.start) + s.text;
    cursor = s.end;
    const start = Buffer.byteLength(text.slice(0, s.start), "utf8");
    const oldLength = Buffer.byteLength(text.slice(s.start, s.end), "utf8");
    const newLength = Buffer.byteLength(s.text, "utf8");
    spans.push({
      entry: s.entry,
      before: { start, end: start + oldLength },
      after: { start: start + byteShift, end: start + byteShift + newLength },
    });
    byteShift += newLength - oldLength;
  }
  out += text.slice(cursor);

  const outBytes = new Uint8Array(Buffer.from(out, "utf8"));
  const output = parseIndexDocument(outBytes, `${subject} (edited)`);
  const expected = applyToValue(input, byEntry);
  if (!jsonEqual(output, expected)) throw internal("the edited index is not the intended one");
  return {
    bytes: outBytes,
    descriptor: {
      mediaType: indexMediaType(output),
      digest: computeDigest(outBytes),
      size: outBytes.byteLength,
    },
    changed: out !== text,
    spans,
    previous,
  };
}

/** The same edits on the parsed value: what the edited bytes must parse to. */
function applyToValue(input: Json, edits: ReadonlyMap<number, CompatibilitiesEdit>): Json {
  const copy = structuredClone(input);
  const manifests = copy["manifests"] as Json[];
  for (const [position, edit] of edits) {
    const entry = manifests[position] as Json;
    const platform = entry["platform"];
    const field = edit.field ?? "compatibilities";
    if (isObject(platform)) {
      delete platform[otherField(field)];
      if (edit.compatibilities === null) delete platform[field];
      else platform[field] = structuredClone(edit.compatibilities);
    } else if (edit.compatibilities !== null && edit.platform !== undefined) {
      entry["platform"] = {
        ...structuredClone(edit.platform),
        [field]: edit.compatibilities,
      };
    }
  }
  return copy;
}

function otherField(field: CompatField): CompatField {
  return field === "compat" ? "compatibilities" : "compat";
}

function indexMediaType(index: Json): string {
  const mt = index["mediaType"];
  return typeof mt === "string" && IndexMediaTypes.has(mt) ? mt : MediaType.ImageIndex;
}

/**
 * A one-entry index around a single image manifest, its platform taken from the image config:
 * how an existing single-manifest tag gets compatibilities.
 */
export function wrapInIndex(
  manifest: { mediaType: string; digest: string; size: number },
  platform: EntryPlatform,
): { bytes: Uint8Array; descriptor: { mediaType: string; digest: string; size: number } } {
  const entry: IndexEntry = {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    platform: { ...platform },
  };
  const index = { schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: [entry] };
  const bytes = new TextEncoder().encode(JSON.stringify(index));
  return {
    bytes,
    descriptor: {
      mediaType: MediaType.ImageIndex,
      digest: computeDigest(bytes),
      size: bytes.byteLength,
    },
  };
}

/** The platform of an index entry, read from an image config (os, architecture, variant, ...). */
export function platformFromConfig(config: unknown): EntryPlatform | undefined {
  if (!isObject(config)) return undefined;
  const { architecture, os, variant } = config;
  if (typeof architecture !== "string" || typeof os !== "string") return undefined;
  const platform: EntryPlatform = { architecture, os };
  const version = config["os.version"];
  if (typeof version === "string" && version !== "") platform["os.version"] = version;
  const features = config["os.features"];
  if (
    Array.isArray(features) &&
    features.length > 0 &&
    features.every((f) => typeof f === "string")
  )
    platform["os.features"] = [...(features as string[])];
  if (typeof variant === "string" && variant !== "") platform.variant = variant;
  return platform;
}

// ---- edits on the text ------------------------------------------------------------------------
// Work on text already proven to be valid JSON (parseIndexDocument ran first), with the scanner
// of oci/json-text.ts.

/** The spans of the elements of the top-level `manifests` array. */
function locateEntries(text: string): TextSpan[] {
  const manifests = topLevelArray(text, "manifests");
  if (manifests === undefined) throw internal("no manifests array");
  return manifests.elements;
}

function memberOf(text: string, objectStart: number, key: string): ObjectMember | undefined {
  return scanObject(text, objectStart).members.find((m) => m.key === key);
}

/** Removes `key` and one comma next to it from an object's text; unchanged if absent. */
function removeMember(objectText: string, key: string): string {
  const { members } = scanObject(objectText, 0);
  const at = members.findIndex((m) => m.key === key);
  if (at < 0) return objectText;
  const m = members[at] as ObjectMember;
  let start: number;
  let end: number;
  if (at > 0) {
    start = (members[at - 1] as ObjectMember).valueEnd;
    end = m.valueEnd;
  } else if (members.length > 1) {
    start = m.keyStart;
    end = (members[1] as ObjectMember).keyStart;
  } else {
    start = m.keyStart;
    end = m.valueEnd;
  }
  return objectText.slice(0, start) + objectText.slice(end);
}

/**
 * Replaces the value of `key` in an object's text, or appends the member after the last one,
 * spaced like the members already there.
 */
function setMember(objectText: string, key: string, valueJson: string): string {
  const { members, open } = scanObject(objectText, 0);
  const existing = members.find((m) => m.key === key);
  if (existing !== undefined) {
    return (
      objectText.slice(0, existing.valueStart) + valueJson + objectText.slice(existing.valueEnd)
    );
  }
  const keyJson = JSON.stringify(key);
  const last = members.at(-1);
  if (last === undefined) {
    return `${objectText.slice(0, open + 1)}${keyJson}:${valueJson}${objectText.slice(open + 1)}`;
  }
  const before = members.at(-2);
  const separator =
    before !== undefined
      ? objectText.slice(before.valueEnd, last.keyStart)
      : `,${objectText.slice(open + 1, last.keyStart)}`;
  const colon = objectText.slice(last.keyEnd, last.valueStart);
  return (
    objectText.slice(0, last.valueEnd) +
    separator +
    keyJson +
    colon +
    valueJson +
    objectText.slice(last.valueEnd)
  );
}

/** Deep equality of parsed JSON values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function internal(message: string): OcicompatError {
  return new OcicompatError("INTERNAL", `index edit: ${message}`);
}
