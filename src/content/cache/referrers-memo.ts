// What ocicompat learnt about registries' referrers API, kept beside the on-disk cache so that a
// warm run does not probe again: on a registry without the API (distribution 2.x), every referrers
// lookup would otherwise cost a 404 before the fallback tag, once per repository per process.
// Entries expire: a registry may be upgraded, and a stale "no API" would miss referrers that
// tools pushed with a subject only. A memo that cannot be read or written is ignored; it only
// saves requests.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeMemoFile } from "./memo-file.js";

/** How long a learnt answer is trusted. */
export const REFERRERS_MEMO_TTL_MS = 60 * 60 * 1000;
const FILE = "referrers-api.json";

interface MemoEntry {
  api: boolean;
  /** When it was learnt, ms since the epoch. */
  at: number;
}

/** `registry/repository` → what was learnt, and when. */
export type ReferrersMemo = Map<string, MemoEntry>;

/** The memo in `dir`, without entries older than the TTL; empty when there is none or it is bad. */
export async function loadReferrersMemo(dir: string, now = Date.now()): Promise<ReferrersMemo> {
  const memo: ReferrersMemo = new Map();
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(join(dir, FILE), "utf8")); // at once, as memo-file.ts writes
  } catch {
    return memo;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return memo;
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== "object" || value === null) continue;
    const { api, at } = value as Record<string, unknown>;
    if (typeof api !== "boolean" || typeof at !== "number") continue;
    if (at > now || now - at > REFERRERS_MEMO_TTL_MS) continue;
    memo.set(key, { api, at });
  }
  return memo;
}

/**
 * The memo after a run: `learnt` holds each repository's answer at the end of the run; an answer
 * equal to the one loaded keeps its age (it was not asked again), a new or changed one is dated
 * `now`.
 */
export function mergeReferrersMemo(
  loaded: ReferrersMemo,
  learnt: ReadonlyMap<string, boolean>,
  now = Date.now(),
): ReferrersMemo {
  const merged: ReferrersMemo = new Map(loaded);
  for (const [key, api] of learnt) {
    const before = loaded.get(key);
    merged.set(key, before !== undefined && before.api === api ? before : { api, at: now });
  }
  return merged;
}

/** Writes the memo atomically (temp file + rename); failures are swallowed. */
export async function saveReferrersMemo(dir: string, memo: ReferrersMemo): Promise<void> {
  await writeMemoFile(dir, FILE, `${JSON.stringify(Object.fromEntries(memo))}\n`, 0o644);
}
