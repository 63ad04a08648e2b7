// Reading an entry's compatibilities for selection: the Proposal I manifest and then its config,
// or the Proposal J blob, each fetched once per distinct descriptor (through the caller's store,
// which serves digest-addressed content from the cache), validated strictly and compiled.
//
// Content that is missing, corrupt or invalid does not fail the run: it becomes an "unreadable"
// result, which excludes the entry with a warning naming the digest. Anything else (the registry
// unreachable, auth refused, a 5xx) says nothing about the image and is thrown.
import type { LabelCatalog } from "../../compat/catalog.js";
import { compileSets } from "../../compat/compiled-set.js";
import { validateDocument } from "../../compat/document.js";
import type { CompatForm, EntryCompat, EntryDescriptor } from "../../compat/select.js";
import { readSets } from "../../compat/sets.js";
import { fetchBytes, type Store } from "../../content/store.js";
import { isOcicompatError, OcicompatError, type ErrorCode } from "../../oci/errors.js";
import { parseIJson } from "../../oci/ijson.js";
import { ManifestMediaTypes, MediaType } from "../../oci/media-types.js";
import type { ValidationReport } from "../../oci/validate.js";
import { isObject, type Json } from "../../oci/json-value.js";

/** Failures that describe the content itself: dangling, corrupt or invalid. */
const CONTENT_PROBLEMS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "NOT_FOUND",
  "DIGEST_MISMATCH",
  "SIZE_MISMATCH",
  "TOO_LARGE",
  "INVALID_JSON",
  "INVALID_DIGEST",
  "VALIDATION",
  "UNSUPPORTED",
]);

export function isContentProblem(err: unknown): err is OcicompatError {
  return isOcicompatError(err) && CONTENT_PROBLEMS.has(err.code);
}

/** "dangling: ..." for missing content, else the error's message. */
export function describeProblem(err: OcicompatError): string {
  return err.code === "NOT_FOUND" ? `dangling: ${err.message}` : err.message;
}

/** The form a descriptor's media type selects (DESIGN §1: the mediaType decides the path). */
export function compatForm(mediaType: string): CompatForm | undefined {
  if (mediaType === MediaType.Compatibilities) return "blob";
  if (ManifestMediaTypes.has(mediaType)) return "manifest";
  return undefined;
}

function invalid(what: string, report: ValidationReport): OcicompatError {
  const first = report.errors[0];
  const more = report.errors.length > 1 ? ` (and ${report.errors.length - 1} more)` : "";
  return new OcicompatError(
    "VALIDATION",
    `invalid ${what}: ${first ? `${first.path}: ${first.message}` : "invalid"}${more}`,
  );
}

async function readJson(store: Store, desc: EntryDescriptor): Promise<unknown> {
  return parseIJson(await fetchBytes(store, desc)).value;
}

export class CompatReader {
  private readonly memo = new Map<string, Promise<EntryCompat>>();

  constructor(
    private readonly store: Store,
    private readonly catalog: LabelCatalog,
    private readonly limit: <T>(job: () => Promise<T>) => Promise<T>,
  ) {}

  /** How many distinct descriptors were read. */
  get distinct(): number {
    return this.memo.size;
  }

  read(descriptor: EntryDescriptor): Promise<EntryCompat> {
    const key = `${descriptor.mediaType} ${descriptor.digest} ${descriptor.size}`;
    let pending = this.memo.get(key);
    if (pending === undefined) {
      pending = this.load(descriptor);
      this.memo.set(key, pending);
    }
    return pending;
  }

  private async load(descriptor: EntryDescriptor): Promise<EntryCompat> {
    const form = compatForm(descriptor.mediaType);
    if (form === undefined) {
      return {
        state: "unreadable",
        form: "manifest",
        descriptor,
        problem: `media type ${descriptor.mediaType} is neither a compatibilities manifest nor a compatibilities blob`,
      };
    }
    try {
      const { list, at, report } =
        form === "blob" ? await this.blobSets(descriptor) : await this.manifestSets(descriptor);
      const compiled = compileSets(readSets(list), this.catalog, at);
      return { state: "ok", form, descriptor, sets: compiled.compiled, warnings: report.warnings };
    } catch (err) {
      if (!isContentProblem(err)) throw err;
      return { state: "unreadable", form, descriptor, problem: describeProblem(err) };
    }
  }

  private async blobSets(descriptor: EntryDescriptor) {
    const value = await this.limit(() => readJson(this.store, descriptor));
    const report = validateDocument("compat", value, { catalog: this.catalog });
    if (report.errors.length > 0) throw invalid("compatibilities blob", report);
    return { list: (value as Json)["compatibilities"] as Json[], at: ["compatibilities"], report };
  }

  private async manifestSets(descriptor: EntryDescriptor) {
    const manifest = await this.limit(() => readJson(this.store, descriptor));
    const manifestReport = validateDocument("manifest", manifest, { catalog: this.catalog });
    if (manifestReport.errors.length > 0) throw invalid("compatibilities manifest", manifestReport);
    const config = (manifest as Json)["config"] as EntryDescriptor;
    const value = await this.limit(() => readJson(this.store, config));
    const report = validateDocument("config", value, { catalog: this.catalog });
    if (report.errors.length > 0) throw invalid(`compatibilities config ${config.digest}`, report);
    const inner = isObject(value) ? value["config"] : undefined;
    const list = isObject(inner) ? inner["compatibilities"] : undefined;
    if (!Array.isArray(list)) {
      throw new OcicompatError(
        "VALIDATION",
        `config ${config.digest} of the compatibilities manifest has no config.compatibilities`,
      );
    }
    return { list: list as Json[], at: ["config", "compatibilities"], report };
  }
}
