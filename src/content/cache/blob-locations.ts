// Where blobs were seen: for each digest, the registry repositories that held it (fetched, found
// by HEAD, listed in a manifest read from there, pushed or mounted there), and when. A copy into
// one repository asks it for other repositories of the same registry to mount the blob from
// instead of uploading it, as containers/image does with its blob info cache. Knowledge only
// saves bytes: a location that turns out wrong costs one refused mount, after which the blob is
// uploaded and the location forgotten.
//
// This module is the pure part (record, look up, merge, bound, read and write the JSON shape);
// blob-locations-file.ts keeps it beside the on-disk cache.
import { recordOf } from "../../compat/own-record.js";
import { isDigest } from "../../oci/digest.js";

/** Locations kept in all, newest first; at ~130 bytes each, about 1.3 MB of JSON. */
export const BLOB_LOCATIONS_MAX = 10_000;
/** Locations kept per digest: a blob in more repositories than this needs no more candidates. */
export const BLOB_LOCATIONS_PER_DIGEST = 8;

export interface BlobLocations {
  /** digest → `registry/repository` → when it was last seen there (ms since the epoch). */
  readonly seen: Map<string, Map<string, number>>;
  /** `digest registry/repository` → when it was found missing there; wins over older sightings. */
  readonly gone: Map<string, number>;
  /** Whether anything was learnt since the memory was made or loaded (so there is news to save). */
  changed: boolean;
  /**
   * Called before the locations of a digest are looked up or changed, so that a memory kept on
   * disk in pieces reads that digest's piece in first (blob-locations-file.ts).
   */
  readonly before?: (digest: string) => void;
}

export function createBlobLocations(): BlobLocations {
  return { seen: new Map(), gone: new Map(), changed: false };
}

function locationKey(registry: string, repository: string): string {
  return `${registry}/${repository}`;
}

/** The key of `gone`: a digest and a location key. */
function goneKey(digest: string, location: string): string {
  return `${digest} ${location}`;
}

/** The locations of `digest` in `memory`, made empty if there were none. */
function placesOf(memory: BlobLocations, digest: string): Map<string, number> {
  let places = memory.seen.get(digest);
  if (places === undefined) {
    places = new Map();
    memory.seen.set(digest, places);
  }
  return places;
}

/** `digest` is in `repository` of `registry` (as of `at`). */
export function recordBlobLocation(
  memory: BlobLocations,
  digest: string,
  registry: string,
  repository: string,
  at = Date.now(),
): void {
  memory.before?.(digest);
  const key = locationKey(registry, repository);
  const places = placesOf(memory, digest);
  const before = places.get(key);
  if (before !== undefined && before >= at) return;
  places.set(key, at);
  memory.gone.delete(goneKey(digest, key));
  memory.changed = true;
}

/** `digest` is not (or no longer) in `repository` of `registry`. */
export function forgetBlobLocation(
  memory: BlobLocations,
  digest: string,
  registry: string,
  repository: string,
  at = Date.now(),
): void {
  memory.before?.(digest);
  const key = locationKey(registry, repository);
  const places = memory.seen.get(digest);
  if (places?.delete(key) && places.size === 0) memory.seen.delete(digest);
  memory.gone.set(goneKey(digest, key), at);
  memory.changed = true;
}

/**
 * The repositories of `registry` where `digest` was seen, most recent first, at most `limit`,
 * without `except` (the repository asking). Only the same registry: a mount cannot cross hosts.
 */
export function blobLocationsOn(
  memory: BlobLocations,
  digest: string,
  registry: string,
  options: { except?: string; limit?: number } = {},
): string[] {
  memory.before?.(digest);
  const places = memory.seen.get(digest);
  if (places === undefined) return [];
  const prefix = `${registry}/`;
  return [...places]
    .filter(([key]) => key.startsWith(prefix) && key.slice(prefix.length) !== options.except)
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.limit ?? BLOB_LOCATIONS_PER_DIGEST)
    .map(([key]) => key.slice(prefix.length));
}

/** Whether `digest` was seen in `repository` of `registry` (and not found missing since). */
export function isBlobLocation(
  memory: BlobLocations,
  digest: string,
  registry: string,
  repository: string,
): boolean {
  memory.before?.(digest);
  return memory.seen.get(digest)?.has(locationKey(registry, repository)) ?? false;
}

/**
 * What another process saved (`stored`) and what this one learnt (`learnt`), together: the newer
 * sighting of each location wins, and a location this process found missing after it was last
 * seen is dropped. Bounded by {@link boundBlobLocations}.
 */
export function mergeBlobLocations(
  stored: BlobLocations,
  learnt: BlobLocations,
  max = BLOB_LOCATIONS_MAX,
): BlobLocations {
  const merged = createBlobLocations();
  for (const source of [stored, learnt]) {
    for (const [digest, places] of source.seen) {
      for (const [key, at] of places) {
        const gone = learnt.gone.get(goneKey(digest, key));
        if (gone !== undefined && gone >= at) continue;
        const target = placesOf(merged, digest);
        if ((target.get(key) ?? -1) < at) target.set(key, at);
      }
    }
  }
  return boundBlobLocations(merged, max);
}

/**
 * The newest `max` locations, at most {@link BLOB_LOCATIONS_PER_DIGEST} per digest: `memory`
 * itself when it is within both bounds (a run learns a few locations; sorting them all again cost
 * a small copy ~1 ms of its end).
 */
export function boundBlobLocations(memory: BlobLocations, max = BLOB_LOCATIONS_MAX): BlobLocations {
  let total = 0;
  let crowded = false;
  for (const places of memory.seen.values()) {
    total += places.size;
    if (places.size > BLOB_LOCATIONS_PER_DIGEST) crowded = true;
  }
  if (!crowded && total <= max) return memory;
  const all: [string, string, number][] = [];
  for (const [digest, places] of memory.seen) {
    const newest = [...places].sort((a, b) => b[1] - a[1]).slice(0, BLOB_LOCATIONS_PER_DIGEST);
    for (const [key, at] of newest) all.push([digest, key, at]);
  }
  all.sort((a, b) => b[2] - a[2]);
  const bounded = createBlobLocations();
  for (const [digest, key, at] of all.slice(0, max)) placesOf(bounded, digest).set(key, at);
  bounded.changed = memory.changed;
  return bounded;
}

/**
 * `memory` split by `partOf` each digest: each part holds its digests' locations and what was
 * found gone of them, and carries `memory`'s news flag.
 */
export function splitBlobLocations(
  memory: BlobLocations,
  partOf: (digest: string) => string,
): Map<string, BlobLocations> {
  const parts = new Map<string, BlobLocations>();
  const part = (digest: string): BlobLocations => {
    const name = partOf(digest);
    let found = parts.get(name);
    if (found === undefined) {
      found = createBlobLocations();
      found.changed = memory.changed;
      parts.set(name, found);
    }
    return found;
  };
  for (const [digest, places] of memory.seen) part(digest).seen.set(digest, places);
  for (const [key, at] of memory.gone) part(key.slice(0, key.indexOf(" "))).gone.set(key, at);
  return parts;
}

/** The JSON document: `{"version": 1, "blobs": {digest: {"registry/repository": ms}}}`. */
export function blobLocationsToJson(memory: BlobLocations): unknown {
  const blobs = recordOf(
    [...memory.seen].map(([digest, places]) => [digest, Object.fromEntries(places)] as const),
  );
  return { version: 1, blobs };
}

/**
 * The memory a JSON document holds, or a reason it is not one. Entries from the future (a clock
 * set back) are kept: they only sort first.
 */
export function blobLocationsFromJson(data: unknown): BlobLocations | { problem: string } {
  if (!isObject(data) || data["version"] !== 1 || !isObject(data["blobs"])) {
    return { problem: 'not {"version": 1, "blobs": {...}}' };
  }
  const memory = createBlobLocations();
  for (const [digest, places] of Object.entries(data["blobs"])) {
    if (!isDigest(digest) || !isObject(places)) return { problem: `a bad entry for "${digest}"` };
    const map = new Map<string, number>();
    for (const [key, at] of Object.entries(places)) {
      if (!key.includes("/") || typeof at !== "number" || !Number.isFinite(at)) {
        return { problem: `a bad location "${key}" for ${digest}` };
      }
      map.set(key, at);
    }
    if (map.size > 0) memory.seen.set(digest, map);
  }
  return memory;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
