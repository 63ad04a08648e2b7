// `ocicompat verify REF [--gc]`: is everything a reference names really there?
//
// Manifests and indexes are read with GETs (verified against digest and size). Blobs are hashed
// (streamed and verified against digest and size) in layouts and archives, where that is a local
// read, and in registries only when asked (`blobs`, the CLI's --blobs); otherwise a registry's
// blobs are checked for presence only (a HEAD), and the result says so (`blobCheck`). The walk
// includes each index entry's `platform.compatibilities`/`compat` descriptor and what it names,
// which no registry checks. A Proposal J blob is small metadata and is read (verified) like a
// manifest. A descriptor that cannot be followed (oci/followed-descriptor.ts: a digest ocicompat
// cannot verify, a size that is not a non-negative integer) is an `invalid` problem.
//
// With `gc`, each compat manifest (or Proposal J blob) is also checked for what keeps it alive in a
// registry that knows nothing of compatibilities (see verify/anchors.ts); content that nothing
// keeps alive is a problem.
import { withSignal } from "../content/cancel.js";
import { createLimit } from "../content/limit.js";
import {
  fetchBytes,
  isManifestType,
  knowsReferrersApi,
  type ContentDescriptor,
  type Store,
} from "../content/store.js";
import { isOcicompatError } from "../oci/errors.js";
import { followedDescriptorIssues } from "../oci/followed-descriptor.js";
import { parseIJson } from "../oci/ijson.js";
import { IndexMediaTypes, ManifestMediaTypes, MediaType } from "../oci/media-types.js";
import { AnchorFinder, isStrong, type Anchor } from "./verify/anchors.js";
import { asDescriptor } from "../content/graph.js";
import { childPath } from "../oci/json-path.js";
import { isObject } from "../oci/json-value.js";

export type { Anchor, AnchorKind } from "./verify/anchors.js";

export type ProblemKind = "missing" | "mismatch" | "invalid" | "unanchored";

export interface VerifyProblem {
  kind: ProblemKind;
  /** Where the descriptor sits: `index → manifests[2].platform.compatibilities → config`. */
  location: string;
  digest: string;
  mediaType: string;
  message: string;
}

export interface CompatAnchors {
  location: string;
  /** The entry's image manifest: the subject whose tags and referrers anchor the content. */
  subject: string;
  form: "manifest" | "blob";
  /** The compat manifest, or the Proposal J blob. */
  digest: string;
  /** For a Proposal J blob: the manifest that keeps it (undefined: none). */
  keeper?: string;
  anchors: Anchor[];
  /** Something that survives `garbage-collect --delete-untagged` keeps it. */
  protected: boolean;
}

export interface VerifyResult {
  store: string;
  reference: string;
  root: ContentDescriptor;
  checked: { manifests: number; blobs: number };
  /**
   * How blobs were checked: "hashed" (read and verified against digest and size) or "presence"
   * (only that the store has them: a registry without `blobs`).
   */
  blobCheck: BlobCheck;
  problems: VerifyProblem[];
  /** With `gc`: one row per compat descriptor whose content is present. */
  anchors?: CompatAnchors[];
  warnings: string[];
  ok: boolean;
}

export type BlobCheck = "hashed" | "presence";

export interface VerifyOptions {
  gc?: boolean;
  /**
   * Hash every blob (stream it and verify digest and size). Default: yes for layouts, archives and
   * memory stores (a local read), no for registries (each layer would be downloaded).
   */
  blobs?: boolean;
  /** Cancels the walk (every store call gets it). */
  signal?: AbortSignal;
}

/** Blobs hashed at once: enough to keep a disk or a connection busy, few enough for memory. */
const HASH_CONCURRENCY = 4;

type Read = { bytes: Uint8Array } | { kind: ProblemKind; message: string };

const MAX_DEPTH = 8;

interface CompatSite {
  location: string;
  subject: ContentDescriptor;
  compat: ContentDescriptor;
}

/** One walk over a graph; each digest is read or checked once, problems are reported per place. */
class Walker {
  readonly problems: VerifyProblem[] = [];
  readonly compat: CompatSite[] = [];
  /** The image manifests the root index lists, with where. */
  readonly entries: { location: string; desc: ContentDescriptor }[] = [];
  readonly #reads = new Map<string, Promise<Read>>();
  readonly #blobs = new Map<string, Promise<Read>>();
  readonly #walked = new Set<string>();
  readonly #hashing = createLimit(HASH_CONCURRENCY);

  constructor(
    readonly store: Store,
    readonly hashBlobs: boolean,
  ) {}

  get counts(): { manifests: number; blobs: number } {
    return { manifests: this.#reads.size, blobs: this.#blobs.size };
  }

  read(desc: ContentDescriptor): Promise<Read> {
    const key = `${desc.digest}/${desc.size}`;
    let read = this.#reads.get(key);
    if (read === undefined) {
      read = this.#read(desc);
      this.#reads.set(key, read);
    }
    return read;
  }

  async #read(desc: ContentDescriptor): Promise<Read> {
    try {
      return { bytes: await fetchBytes(this.store, desc) };
    } catch (err) {
      return this.#failedRead(err);
    }
  }

  /** A read that failed as a finding (missing, mismatch, invalid); other errors stop verify. */
  #failedRead(err: unknown): Read {
    if (!isOcicompatError(err)) throw err;
    switch (err.code) {
      case "NOT_FOUND":
        return { kind: "missing", message: `not found in ${this.store.name}` };
      case "DIGEST_MISMATCH":
      case "SIZE_MISMATCH":
        return { kind: "mismatch", message: err.message };
      case "TOO_LARGE":
      case "INVALID_DIGEST":
        return { kind: "invalid", message: err.message };
      default:
        throw err;
    }
  }

  #problem(kind: ProblemKind, location: string, desc: ContentDescriptor, message: string): void {
    this.problems.push({
      kind,
      location,
      digest: desc.digest,
      mediaType: desc.mediaType,
      message,
    });
  }

  async blob(desc: ContentDescriptor, location: string): Promise<void> {
    const key = `${desc.digest}/${desc.size}`;
    let found = this.#blobs.get(key);
    if (found === undefined) {
      found = this.hashBlobs ? this.#hashing(() => this.#hash(desc)) : this.#present(desc);
      this.#blobs.set(key, found);
    }
    const read = await found;
    if ("kind" in read) this.#problem(read.kind, location, desc, read.message);
  }

  async #present(desc: ContentDescriptor): Promise<Read> {
    try {
      if (await this.store.exists(desc)) return { bytes: new Uint8Array() };
    } catch (err) {
      if (!isOcicompatError(err) || err.code !== "INVALID_DIGEST") throw err;
    }
    return { kind: "missing", message: `blob not found in ${this.store.name}` };
  }

  /** Reads the whole blob through the store's verifying stream; keeps nothing. */
  async #hash(desc: ContentDescriptor): Promise<Read> {
    try {
      for await (const chunk of await this.store.fetch(desc)) void chunk;
      return { bytes: new Uint8Array() };
    } catch (err) {
      return this.#failedRead(err);
    }
  }

  /** A manifest, an index or a Proposal J blob: read, verified, and walked. */
  async document(desc: ContentDescriptor, location: string, depth: number): Promise<void> {
    const read = await this.read(desc);
    if ("kind" in read) {
      this.#problem(read.kind, location, desc, read.message);
      return;
    }
    let doc: unknown;
    try {
      doc = parseIJson(read.bytes).value;
    } catch (err) {
      this.#problem("invalid", location, desc, isOcicompatError(err) ? err.message : String(err));
      return;
    }
    if (!isObject(doc)) {
      this.#problem("invalid", location, desc, "is not a JSON object");
      return;
    }
    const declared = doc["mediaType"];
    if (typeof declared === "string" && declared !== desc.mediaType) {
      this.#problem(
        "mismatch",
        location,
        desc,
        `the descriptor says ${desc.mediaType}, the content says ${declared}`,
      );
    }
    // Walk each document once; the problems of its children are reported at the first place.
    if (this.#walked.has(desc.digest)) return;
    this.#walked.add(desc.digest);
    if (desc.mediaType === MediaType.Compatibilities) return;
    if (depth > MAX_DEPTH) {
      this.#problem("invalid", location, desc, `nested more than ${MAX_DEPTH} levels deep`);
      return;
    }
    const jobs: Promise<void>[] = [];
    const child = (v: unknown, where: string, path: string): void => {
      const issues = followedDescriptorIssues(v, path);
      const d = asDescriptor(v);
      if (issues.length > 0 || d === undefined) {
        const raw = isObject(v) ? v : {};
        this.problems.push({
          kind: "invalid",
          location: where,
          digest: typeof raw["digest"] === "string" ? raw["digest"].slice(0, 200) : "",
          mediaType: typeof raw["mediaType"] === "string" ? raw["mediaType"].slice(0, 200) : "",
          message: `cannot be followed: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")} (in ${desc.digest})`,
        });
        return;
      }
      jobs.push(this.child(d, where, depth + 1));
    };
    if (Array.isArray(doc["manifests"])) {
      doc["manifests"].forEach((entry: unknown, i: number) => {
        const at = `${location} → manifests[${i}]`;
        if (isObject(entry) && isObject(entry["platform"])) {
          const platform = entry["platform"];
          for (const field of ["compatibilities", "compat"] as const) {
            if (platform[field] === undefined) continue;
            const where = `${at}.platform.${field}`;
            const path = childPath(childPath(childPath("$.manifests", i), "platform"), field);
            const compat = asDescriptor(platform[field]);
            const subject = asDescriptor(entry);
            if (compat !== undefined && subject !== undefined)
              this.compat.push({ location: where, subject, compat });
            child(platform[field], where, path);
          }
        }
        const listed = asDescriptor(entry);
        if (depth === 0 && listed !== undefined && ManifestMediaTypes.has(listed.mediaType))
          this.entries.push({ location: at, desc: listed });
        child(entry, at, childPath("$.manifests", i));
      });
    }
    if (doc["config"] !== undefined) child(doc["config"], `${location} → config`, "$.config");
    if (Array.isArray(doc["layers"])) {
      doc["layers"].forEach((layer: unknown, i: number) =>
        child(layer, `${location} → layers[${i}]`, childPath("$.layers", i)),
      );
    }
    await Promise.all(jobs);
  }

  child(desc: ContentDescriptor, location: string, depth: number): Promise<void> {
    if (isManifestType(desc.mediaType) || desc.mediaType === MediaType.Compatibilities)
      return this.document(desc, location, depth);
    return this.blob(desc, location);
  }
}

function kindOf(mediaType: string): string {
  if (IndexMediaTypes.has(mediaType)) return "index";
  return "manifest";
}

/** Verifies everything `reference` (a tag or digest in `store`) names. */
export async function verify(
  given: Store,
  reference: string,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const store = withSignal(given, options.signal);
  const root = await store.resolve(reference);
  // A registry repository is the one store that learns about a referrers API: the remote one.
  const hashBlobs = options.blobs ?? !knowsReferrersApi(given);
  const walker = new Walker(store, hashBlobs);
  await walker.document(root, kindOf(root.mediaType), 0);
  const result: VerifyResult = {
    store: store.name,
    reference,
    root,
    checked: walker.counts,
    blobCheck: hashBlobs ? "hashed" : "presence",
    problems: walker.problems,
    warnings: [],
    ok: false,
  };
  if (options.gc) result.anchors = await gcReport(store, walker, result);
  result.ok = result.problems.length === 0;
  return result;
}

async function gcReport(
  store: Store,
  walker: Walker,
  result: VerifyResult,
): Promise<CompatAnchors[]> {
  const finder = new AnchorFinder(store);
  const rows: CompatAnchors[] = [];
  const missing = new Set(result.problems.map((p) => p.location));
  for (const site of walker.compat) {
    if (missing.has(site.location)) continue;
    const form = isManifestType(site.compat.mediaType) ? "manifest" : "blob";
    const row: CompatAnchors = {
      location: site.location,
      subject: site.subject.digest,
      form,
      digest: site.compat.digest,
      anchors: [],
      protected: false,
    };
    if (form === "manifest") {
      row.anchors = await finder.anchorsOf(site.compat.digest, site.subject);
    } else {
      const keeper = await finder.keeperOf(site.compat.digest, site.subject);
      if (keeper !== undefined) {
        row.keeper = keeper.digest;
        row.anchors = await finder.anchorsOf(keeper.digest, site.subject, site.compat.digest);
      }
    }
    row.protected = isStrong(row.anchors);
    rows.push(row);
    const what = form === "manifest" ? "compat manifest" : "Proposal J blob";
    if (form === "blob" && row.keeper === undefined) {
      result.problems.push({
        kind: "unanchored",
        location: site.location,
        digest: site.compat.digest,
        mediaType: site.compat.mediaType,
        message: `no keeper manifest lists this ${what}: even a plain garbage-collect deletes it (run ocicompat protect)`,
      });
    } else if (row.anchors.length === 0) {
      result.problems.push({
        kind: "unanchored",
        location: site.location,
        digest: site.compat.digest,
        mediaType: site.compat.mediaType,
        message: `nothing keeps this ${what} alive: no ${form === "blob" ? "anchor on its keeper" : "tag or referrer"} (run ocicompat protect)`,
      });
    } else if (!row.protected) {
      result.warnings.push(
        `${site.location} (${site.compat.digest}): only the referrers fallback index lists it; distribution 2.8 deletes it under garbage-collect --delete-untagged`,
      );
    }
  }
  // A registry repository (a layout's index.json keeps its index's children itself).
  if (knowsReferrersApi(store)) await warnUntaggedEntries(store, walker, result);
  return rows;
}

/** Past this many tags, resolving each one costs more than a verify should. */
const MAX_TAGS_RESOLVED = 500;

/**
 * distribution 2.x's `garbage-collect --delete-untagged` deletes manifests no tag names even when
 * a tagged index lists them (DESIGN §1): the image itself, not only its compat content, is at
 * risk. Each image manifest of the index that no tag names gets a warning. Costs one tag list and
 * a HEAD per tag.
 */
async function warnUntaggedEntries(
  store: Store,
  walker: Walker,
  result: VerifyResult,
): Promise<void> {
  const present = walker.entries.filter(
    (e) => !result.problems.some((p) => p.location === e.location),
  );
  if (present.length === 0) return;
  const tags = await store.listTags();
  if (tags.length > MAX_TAGS_RESOLVED) {
    result.warnings.push(
      `${tags.length} tags: not resolving each to see which image manifests are tagged (limit ${MAX_TAGS_RESOLVED})`,
    );
    return;
  }
  const tagged = new Set<string>();
  for (let i = 0; i < tags.length; i += 8) {
    const batch = await Promise.all(
      tags.slice(i, i + 8).map((t) =>
        store.resolve(t).then(
          (d) => d.digest,
          (err: unknown) => {
            // A tag deleted since the list was read names nothing.
            if (isOcicompatError(err) && err.code === "NOT_FOUND") return undefined;
            throw err;
          },
        ),
      ),
    );
    for (const digest of batch) if (digest !== undefined) tagged.add(digest);
  }
  for (const entry of present) {
    if (tagged.has(entry.desc.digest)) continue;
    result.warnings.push(
      `${entry.location} (${entry.desc.digest}): no tag names this image manifest, only the index lists it; distribution 2.x deletes it under garbage-collect --delete-untagged (tag each platform image, as docker manifest workflows do)`,
    );
  }
}
