// Reading an entry's compatibilities for selection: the Proposal I manifest and then its config,
// or the Proposal J blob, each fetched once per distinct descriptor (through the caller's store,
// which serves digest-addressed content from the cache), validated strictly and compiled.
//
// Content that is missing, corrupt or invalid does not fail the run: it becomes an "unreadable"
// result, which excludes the entry with a warning naming the digest. Anything else (the registry
// unreachable, auth refused, a 5xx) says nothing about the image and is thrown, and so is an image
// over a budget (compat/budget.ts), counted before anything is fetched or compiled.
//
// The same tag gives the same answer on every node (issue #12.7): the cache may serve the bytes
// (the digest pins them), but whether the content is still there is asked of the source on every
// run, so content the registry lost is dangling on a warm node exactly as on a cold one.
import { BudgetError, type BudgetMeter } from "../../compat/budget.js";
import type { LabelCatalog } from "../../compat/catalog.js";
import { compileSets, type CompiledSet } from "../../compat/compiled-set.js";
import type { PathSegment } from "../../oci/json-path.js";
import { readDocumentLeniently, validateDocument } from "../../compat/document.js";
import type { CompatForm, EntryCompat, EntryDescriptor } from "../../compat/select/input.js";
import { readSets } from "../../compat/sets.js";
import { answersFromCache, fetchBytes, type Store } from "../../content/store.js";
import { isOcicompatError, OcicompatError, type ErrorCode } from "../../oci/errors.js";
import { parseIJson } from "../../oci/ijson.js";
import { followedDescriptorIssues } from "../../oci/followed-descriptor.js";
import { ManifestMediaTypes, MediaType } from "../../oci/media-types.js";
import type { ValidationReport } from "../../oci/validate.js";
import type { ValidationIssue } from "../../oci/errors.js";
import { looksLikeNfdSpec, readNfdSpec } from "../../compat/nfd/spec.js";
import { isObject, type Json } from "../../oci/json-value.js";
import { raceCancellation } from "../../content/cancel.js";
import type { Limit } from "../../content/limit.js";

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

/** A problem of the content itself; never a budget (which fails the run) nor a network failure. */
export function isContentProblem(err: unknown): err is OcicompatError {
  return isOcicompatError(err) && !(err instanceof BudgetError) && CONTENT_PROBLEMS.has(err.code);
}

/** "dangling: ..." for missing content, else the error's message, naming what it came from. */
export function describeProblem(err: OcicompatError): string {
  const named =
    err.subject !== undefined && !err.message.includes(err.subject)
      ? `${err.subject}: ${err.message}`
      : err.message;
  return err.code === "NOT_FOUND" ? `dangling: ${named}` : named;
}

/** What select reads content with: the store, the run's signal, and the bound on reads. */
export interface ReadContext {
  store: Store;
  limit: Limit;
  signal: AbortSignal;
}

/**
 * The bytes of `desc` as JSON. Every error names the digest (issue #12.8: an error line says which
 * document it is about).
 */
export async function readJsonAt(context: ReadContext, desc: EntryDescriptor): Promise<unknown> {
  const { store, limit, signal } = context;
  try {
    const bytes = await limit(() =>
      raceCancellation(fetchBytes(store, desc, undefined, { signal }), signal),
    );
    return parseIJson(bytes).value;
  } catch (err) {
    if (isOcicompatError(err) && err.subject === undefined && CONTENT_PROBLEMS.has(err.code)) {
      throw new OcicompatError(err.code, err.message, { subject: desc.digest, cause: err });
    }
    throw err;
  }
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

/** NFD-shaped content under J's media type, read as NFD rules; invalid rules are VALIDATION. */
function nfdCompat(descriptor: EntryDescriptor, value: unknown): EntryCompat {
  const reading = readNfdSpec(value);
  if (reading.spec === undefined) {
    throw invalid(`NFD-shaped compatibilities blob ${descriptor.digest}`, {
      errors: reading.errors,
      warnings: reading.warnings,
    });
  }
  const warnings: ValidationIssue[] = [
    {
      path: "$",
      message: `is an NFD image-compatibility spec under the media type ${MediaType.Compatibilities} (compspec/ocifit-k8s): read as NFD rules`,
    },
    ...reading.warnings,
  ];
  return { state: "ok", form: "blob", descriptor, sets: [], nfd: reading.spec, warnings };
}

/** Names the kind of compatibilities document for messages. */
const KIND = {
  manifest: "compatibilities manifest",
  config: "compatibilities config",
  blob: "compatibilities blob",
  nfd: "NFD image-compatibility artifact",
} as const;

/** Whether the cache answers a descriptor, and whether the source still serves it. */
interface Confirmation {
  cached: Promise<boolean>;
  present: Promise<boolean>;
}

export class CompatReader {
  private readonly memo = new Map<string, Promise<EntryCompat>>();
  /** Each descriptor's confirmation, so that one started early (`askEarly`) is not repeated. */
  private readonly confirmations = new Map<string, Confirmation>();

  constructor(
    private readonly context: ReadContext,
    private readonly catalog: LabelCatalog,
    private readonly budget: BudgetMeter,
  ) {}

  /** How many distinct descriptors were read. */
  get distinct(): number {
    return this.memo.size;
  }

  /** The compatibilities `descriptor` names; `at` is its JSON path, for budget errors. */
  read(descriptor: EntryDescriptor, at: string): Promise<EntryCompat> {
    const key = `${descriptor.mediaType} ${descriptor.digest} ${descriptor.size}`;
    let pending = this.memo.get(key);
    if (pending === undefined) {
      pending = this.load(descriptor, at);
      this.memo.set(key, pending);
    }
    return pending;
  }

  private async load(descriptor: EntryDescriptor, at: string): Promise<EntryCompat> {
    const form = compatForm(descriptor.mediaType);
    if (form === undefined) {
      return {
        state: "unreadable",
        form: "manifest",
        descriptor,
        problem: `media type ${descriptor.mediaType} is neither a compatibilities manifest nor a compatibilities blob`,
      };
    }
    const where = `${at} (${KIND[form]} ${descriptor.digest})`;
    try {
      const blob = form === "blob" ? await this.document(descriptor, "blob", where) : undefined;
      // compspec/ocifit-k8s stores NFD's spec under J's media type: read it as NFD rules.
      if (form === "blob" && looksLikeNfdSpec(blob)) return nfdCompat(descriptor, blob);
      const { sets, report } =
        form === "blob"
          ? this.blobSets(descriptor, where, blob)
          : await this.manifestSets(descriptor, where);
      return { state: "ok", form, descriptor, sets, warnings: report.warnings };
    } catch (err) {
      if (!isContentProblem(err)) throw err;
      return { state: "unreadable", form, descriptor, problem: describeProblem(err) };
    }
  }

  /**
   * A compatibilities document, counted against the byte budget before it is fetched, and read
   * only if the source still serves it (rule of issue #12.7). A fetch that reaches the source
   * proves that by itself; one the cache answers does not, so only then is the source asked,
   * with a HEAD beside the read. A cold run costs no more than before, a warm one a HEAD per
   * compatibilities document.
   */
  private async document(
    desc: EntryDescriptor,
    kind: keyof typeof KIND,
    where: string,
    onRead?: (value: unknown) => void,
  ): Promise<unknown> {
    this.budget.chargeBytes(desc.size, where);
    const { store } = this.context;
    const missing = new OcicompatError(
      "NOT_FOUND",
      `${KIND[kind]} ${desc.digest} is not in ${store.name}`,
    );
    const { cached, present } = this.confirmation(desc);
    await cached;
    const value = readJsonAt(this.context, desc);
    if (onRead !== undefined) value.then(onRead, () => undefined);
    const [held, read] = await Promise.allSettled([present, value]);
    if (read.status === "rejected") {
      if (isOcicompatError(read.reason) && read.reason.code === "NOT_FOUND") throw missing;
      throw read.reason;
    }
    if (held.status === "rejected") throw held.reason;
    if (!held.value) throw missing;
    return read.value;
  }

  /**
   * Whether the cache answers `desc`, and whether the source still serves it: asked with a HEAD
   * only when the cache answers, since a fetch that reaches the source proves it by itself. Each
   * once per descriptor and run.
   */
  private confirmation(desc: EntryDescriptor): Confirmation {
    const key = `${desc.mediaType} ${desc.digest} ${desc.size}`;
    let confirmation = this.confirmations.get(key);
    if (confirmation === undefined) {
      const { store, limit, signal } = this.context;
      const cached = answersFromCache(store) ? store.isCached(desc) : Promise.resolve(false);
      const present = cached.then((held) =>
        held ? limit(() => raceCancellation(store.exists(desc, { signal }), signal)) : true,
      );
      // One started early may never be awaited (its manifest turned out missing or invalid).
      cached.catch(() => undefined);
      present.catch(() => undefined);
      confirmation = { cached, present };
      this.confirmations.set(key, confirmation);
    }
    return confirmation;
  }

  /**
   * Asks the source for a compatibilities manifest's config as soon as the cache has answered the
   * manifest, while the manifest's own HEAD is still in flight: waiting for it first made every
   * warm select wait one round trip more. What is asked, and what decides, is unchanged: the
   * config is still read only after the manifest is confirmed and valid.
   */
  private askEarly(manifest: unknown): void {
    const config = isObject(manifest) ? manifest["config"] : undefined;
    if (followedDescriptorIssues(config, "$.config").length > 0) return;
    this.confirmation(config as EntryDescriptor);
  }

  private blobSets(descriptor: EntryDescriptor, where: string, value: unknown) {
    const list = isObject(value) ? value["compatibilities"] : undefined;
    if (Array.isArray(list)) this.budget.chargeSets(list, ["compatibilities"], where);
    const read = readDocumentLeniently("compat", value, { catalog: this.catalog });
    const report = read.report;
    if (report.errors.length > 0)
      throw invalid(`compatibilities blob ${descriptor.digest}`, report);
    return { sets: this.compiledOf(read, ["compatibilities"]), report };
  }

  private async manifestSets(descriptor: EntryDescriptor, where: string) {
    const manifest = await this.document(descriptor, "manifest", where, (read) =>
      this.askEarly(read),
    );
    const manifestReport = validateDocument("manifest", manifest, { catalog: this.catalog });
    const configIssues = followedDescriptorIssues(
      isObject(manifest) ? manifest["config"] : undefined,
      "$.config",
    );
    const errors = [...configIssues, ...manifestReport.errors];
    if (errors.length > 0) {
      throw invalid(`compatibilities manifest ${descriptor.digest}`, { ...manifestReport, errors });
    }
    const config = (manifest as Json)["config"] as EntryDescriptor;
    const value = await this.document(config, "config", `${where}, config ${config.digest}`);
    const inner = isObject(value) ? value["config"] : undefined;
    const list = isObject(inner) ? inner["compatibilities"] : undefined;
    if (Array.isArray(list)) {
      this.budget.chargeSets(
        list,
        ["config", "compatibilities"],
        `${where}, config ${config.digest}`,
      );
    }
    const read = readDocumentLeniently("config", value, { catalog: this.catalog });
    const report = read.report;
    if (report.errors.length > 0) throw invalid(`compatibilities config ${config.digest}`, report);
    const readInner = isObject(read.value) ? read.value["config"] : undefined;
    const readList = isObject(readInner) ? readInner["compatibilities"] : undefined;
    if (!Array.isArray(readList)) {
      throw new OcicompatError(
        "VALIDATION",
        `config ${config.digest} of the compatibilities manifest has no config.compatibilities`,
      );
    }
    return { sets: this.compiledOf(read, ["config", "compatibilities"]), report };
  }

  /** The sets validation compiled; compiled here only if it could not (it always can when valid). */
  private compiledOf(
    read: { value: unknown; compiled?: CompiledSet[] },
    at: readonly PathSegment[],
  ): CompiledSet[] {
    if (read.compiled !== undefined) return read.compiled;
    let list: unknown = read.value;
    for (const key of at) list = isObject(list) ? list[key as string] : undefined;
    return compileSets(readSets(list as Json[]), this.catalog, at).compiled;
  }
}
