// The walk verify makes over a graph: every manifest, index and Proposal J blob read and verified,
// every blob hashed or checked for presence, each digest once; what it finds are VerifyProblems.
import { createLimit } from "../../content/limit.js";
import {
  fetchBytes,
  isManifestType,
  type ContentDescriptor,
  type Store,
} from "../../content/store.js";
import { asDescriptor } from "../../content/graph.js";
import { isOcicompatError } from "../../oci/errors.js";
import { followedDescriptorIssues } from "../../oci/followed-descriptor.js";
import { parseIJson } from "../../oci/ijson.js";
import { childPath } from "../../oci/json-path.js";
import { isObject } from "../../oci/json-value.js";
import { ManifestMediaTypes, MediaType } from "../../oci/media-types.js";

export type ProblemKind = "missing" | "mismatch" | "invalid" | "unanchored";

export interface VerifyProblem {
  kind: ProblemKind;
  /** Where the descriptor sits: `index → manifests[2].platform.compatibilities → config`. */
  location: string;
  digest: string;
  mediaType: string;
  message: string;
}

/** Blobs hashed at once: enough to keep a disk or a connection busy, few enough for memory. */
const HASH_CONCURRENCY = 4;

type Read = { bytes: Uint8Array } | { kind: ProblemKind; message: string };

const MAX_DEPTH = 8;

export interface CompatSite {
  location: string;
  subject: ContentDescriptor;
  compat: ContentDescriptor;
}

/** One walk over a graph; each digest is read or checked once, problems are reported per place. */
export class Walker {
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
