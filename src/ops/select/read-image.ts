// Reading what a reference names for selection: the index (nested indexes expanded) or a single
// manifest, each entry's platform (from its config when the index gives none) and compatibilities.
// Everything addressed by digest goes through the caller's store, which serves it from the cache.
//
// Every descriptor is checked before it is followed (oci/followed-descriptor.ts), as `validate`
// checks it. One in the image's own documents (an index entry, a nested index's entry, a manifest's
// config) that cannot be followed makes the image invalid: the whole run fails (exit 2) with its
// JSON path, since a registry refuses such an index and a selection from it would trust a
// document `validate` rejects. A compatibilities descriptor that cannot be followed only excludes
// its entry, loudly, as a dangling one does: registries accept it, and it says nothing about the
// other entries.
import type {
  EntryCompat,
  EntryDescriptor,
  EntryPlatform,
  SelectionEntryInput,
} from "../../compat/select/input.js";
import { REFERENCE_TYPE_ANNOTATION } from "../../compat/select/skip.js";
import { NfdReader } from "./read-nfd.js";
import type { LabelCatalog } from "../../compat/catalog.js";
import type { BudgetMeter } from "../../compat/budget.js";
import type { ContentDescriptor } from "../../content/store.js";
import { OcicompatError, ValidationError } from "../../oci/errors.js";
import { followableDescriptor, followedDescriptorIssues } from "../../oci/followed-descriptor.js";
import { formatJsonPath, type PathSegment } from "../../oci/json-path.js";
import { IndexMediaTypes, ManifestMediaTypes } from "../../oci/media-types.js";
import { schemaIssues } from "../../oci/schema-check.js";
import { DescriptorSchema, PlatformSchema } from "../../oci/schema.js";
import type { ValidationIssue } from "../../oci/errors.js";
import {
  describeProblem,
  isContentProblem,
  readJsonAt,
  CompatReader,
  type ReadContext,
} from "./read-compat.js";
import { isObject, type Json } from "../../oci/json-value.js";

/** Nested indexes deeper than this are not followed. */
const MAX_DEPTH = 4;

export interface ImageRead {
  root: ContentDescriptor;
  kind: "index" | "manifest";
  entries: SelectionEntryInput[];
}

function issueText(issues: readonly ValidationIssue[]): string {
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return first ? `${first.path}: ${first.message}${more}` : "malformed";
}

/** A field of a malformed descriptor, short enough to print (a digest may be a 1 MB string). */
function clipped(value: unknown): string {
  if (typeof value !== "string") return "(none)";
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

/** A problem of the content, as opposed to an image that is invalid or over a budget. */
function excludesEntry(err: unknown): err is OcicompatError {
  return isContentProblem(err) && !(err instanceof ValidationError);
}

/** The descriptor fields, as far as they can be read (for reporting a malformed entry). */
function looseDescriptor(entry: Json): EntryDescriptor {
  const d: EntryDescriptor = {
    mediaType: clipped(entry["mediaType"]),
    digest: clipped(entry["digest"]),
    size: typeof entry["size"] === "number" ? entry["size"] : 0,
  };
  if (isObject(entry["annotations"])) {
    d.annotations = entry["annotations"] as Record<string, string>;
  }
  if (typeof entry["artifactType"] === "string") d.artifactType = entry["artifactType"];
  return d;
}

function platformOf(value: Json): EntryPlatform {
  const p: EntryPlatform = {
    os: value["os"] as string,
    architecture: value["architecture"] as string,
  };
  if (typeof value["variant"] === "string") p.variant = value["variant"];
  if (typeof value["os.version"] === "string") p["os.version"] = value["os.version"];
  if (Array.isArray(value["os.features"])) p["os.features"] = value["os.features"] as string[];
  if (Array.isArray(value["features"])) p.features = value["features"] as string[];
  return p;
}

/**
 * Which compatibilities decide (docs/interop.md): `auto` reads Proposal I/J data and, for entries
 * without any, the NFD artifact; `ij` and `nfd` read only the one source.
 */
export type CompatSource = "auto" | "ij" | "nfd";
export const COMPAT_SOURCES: readonly CompatSource[] = ["auto", "ij", "nfd"];

/**
 * The reader of an image as `select` reads it: Proposal I/J compatibilities and NFD artifacts,
 * as `source` says. `fleet` and `affinity` read with it too, so their answers are select's.
 */
export function imageReaderFor(
  context: ReadContext,
  catalog: LabelCatalog,
  budget: BudgetMeter,
  name: string,
  source: CompatSource = "auto",
): ImageReader {
  return new ImageReader(
    context,
    new CompatReader(context, catalog, budget),
    budget,
    name,
    new NfdReader(context),
    source,
  );
}

export class ImageReader {
  constructor(
    private readonly context: ReadContext,
    private readonly compat: CompatReader,
    private readonly budget: BudgetMeter,
    /** The reference as the user gave it: the subject of an invalid image's error. */
    private readonly name: string,
    private readonly nfd?: NfdReader,
    private readonly source: CompatSource = "auto",
  ) {}

  /**
   * NFD artifacts, when the source policy asks for them: `nfd` always; `auto` only for an image
   * none of whose entries carries Proposal I/J data (an author who wrote I/J data has said what
   * the image needs, and an image without NFD data then costs no extra request). Read for every
   * image manifest entry, in parallel; an entry with an artifact gets it as its compatibilities.
   */
  private async addNfd(entries: readonly SelectionEntryInput[]): Promise<void> {
    if (this.nfd === undefined || this.source === "ij") return;
    const all = flatten(entries);
    if (this.source === "auto" && all.some((e) => e.compat !== undefined)) return;
    const nfd = this.nfd;
    await Promise.all(
      all.map(async (input) => {
        const d = input.descriptor;
        if (input.problem !== undefined || !ManifestMediaTypes.has(d.mediaType)) return;
        if (d.artifactType !== undefined) return;
        if (d.annotations?.[REFERENCE_TYPE_ANNOTATION] !== undefined) return;
        const found = await nfd.read(d);
        if (found !== undefined) input.compat = found;
      }),
    );
  }

  async read(root: ContentDescriptor): Promise<ImageRead> {
    const doc = await readJsonAt(this.context, root);
    if (IndexMediaTypes.has(root.mediaType) || (isObject(doc) && Array.isArray(doc["manifests"]))) {
      const entries = await this.indexEntries(doc, ["manifests"], 0, root);
      await this.addNfd(entries);
      return { root, kind: "index", entries };
    }
    if (ManifestMediaTypes.has(root.mediaType)) {
      const entry = await this.manifestEntry(root, doc);
      await this.addNfd([entry]);
      return { root, kind: "manifest", entries: [entry] };
    }
    throw new OcicompatError(
      "UNSUPPORTED",
      `names ${root.mediaType}, which is neither an image index nor an image manifest`,
      { subject: this.name },
    );
  }

  private async indexEntries(
    doc: unknown,
    at: readonly PathSegment[],
    depth: number,
    index: EntryDescriptor,
  ): Promise<SelectionEntryInput[]> {
    if (!isObject(doc) || !Array.isArray(doc["manifests"])) {
      throw new OcicompatError(
        "VALIDATION",
        `index ${index.digest} is not an image index: it has no manifests list`,
        { subject: this.name },
      );
    }
    const list = doc["manifests"];
    this.budget.chargeEntries(list.length, `${formatJsonPath(at)} (index ${index.digest})`);
    // Every entry is checked before any is followed: an invalid index fails before a request.
    list.forEach((entry: unknown, i) => {
      const path = formatJsonPath([...at, i]);
      const issues = [
        ...followedDescriptorIssues(entry, path),
        ...(isObject(entry) ? schemaIssues(DescriptorSchema, entry, [...at, i]) : []),
      ];
      if (issues.length > 0) throw new ValidationError(this.name, dedupe(issues));
      if (isObject(entry)) {
        this.budget.checkFeatures(
          entry["platform"],
          [...at, i, "platform"],
          `index ${index.digest}`,
        );
      }
    });
    return Promise.all(
      list.map((entry: unknown, i) => this.entry(entry as Json, [...at, i], depth)),
    );
  }

  private async entry(
    raw: Json,
    at: readonly PathSegment[],
    depth: number,
  ): Promise<SelectionEntryInput> {
    const descriptor = looseDescriptor(raw);
    const input: SelectionEntryInput = { descriptor };
    let compatRead: Promise<EntryCompat> | undefined;
    const platform = raw["platform"];
    if (platform !== undefined) {
      const issues = schemaIssues(PlatformSchema, platform, [...at, "platform"]);
      const compatPath = /\.platform\.(compatibilities|compat)\b/;
      const own = issues.filter((i) => !compatPath.test(i.path));
      if (own.length > 0) return { descriptor, problem: `malformed platform: ${issueText(own)}` };
      const p = platform as Json;
      input.platform = platformOf(p);
      input.platformFrom = "index";
      // Both present: Proposal I's field wins (the validator warns about the pair).
      const field = p["compatibilities"] !== undefined ? "compatibilities" : "compat";
      const compat = this.source === "nfd" ? undefined : (p[field] as Json | undefined);
      if (compat !== undefined) {
        const compatAt = formatJsonPath([...at, "platform", field]);
        const compatIssues = dedupe([
          ...followedDescriptorIssues(compat, compatAt),
          ...issues.filter((i) => compatPath.test(i.path)),
        ]);
        if (compatIssues.length > 0) {
          input.compat = {
            state: "unreadable",
            form: "manifest",
            descriptor: looseDescriptor(isObject(compat) ? compat : {}),
            problem: `malformed descriptor: ${issueText(compatIssues)}`,
          };
        } else {
          // Started now, awaited last: it runs beside the nested index or config read below.
          compatRead = this.compat.read(compat as unknown as EntryDescriptor, compatAt);
          // Handled below; this only keeps an early throw from leaving it unobserved.
          compatRead.catch(() => undefined);
        }
      }
    }
    try {
      if (IndexMediaTypes.has(descriptor.mediaType)) {
        if (depth >= MAX_DEPTH) {
          input.problem = `nested index deeper than ${MAX_DEPTH} levels: not followed`;
        } else {
          const doc = await readJsonAt(this.context, descriptor);
          input.children = await this.indexEntries(
            doc,
            [...at, "manifests"],
            depth + 1,
            descriptor,
          );
        }
      } else if (input.platform === undefined && ManifestMediaTypes.has(descriptor.mediaType)) {
        const manifest = await readJsonAt(this.context, descriptor);
        const fromConfig = await this.configPlatform(descriptor, manifest);
        if (fromConfig) {
          input.platform = fromConfig;
          input.platformFrom = "config";
        }
      }
    } catch (err) {
      if (!excludesEntry(err)) throw err;
      input.problem = describeProblem(err);
    }
    if (compatRead !== undefined) input.compat = await compatRead;
    return input;
  }

  /** A single-manifest image: one entry, its platform from the config. */
  private async manifestEntry(root: ContentDescriptor, doc: unknown): Promise<SelectionEntryInput> {
    const descriptor: EntryDescriptor = {
      mediaType: root.mediaType,
      digest: root.digest,
      size: root.size,
    };
    if (isObject(doc) && typeof doc["artifactType"] === "string") {
      descriptor.artifactType = doc["artifactType"];
    }
    const input: SelectionEntryInput = { descriptor };
    try {
      const platform = await this.configPlatform(descriptor, doc);
      if (platform) {
        input.platform = platform;
        input.platformFrom = "config";
      }
    } catch (err) {
      if (!excludesEntry(err)) throw err;
      input.problem = describeProblem(err);
    }
    return input;
  }

  /** os/architecture/variant/os.features of an image manifest's config, if it is an image. */
  private async configPlatform(
    manifestDesc: EntryDescriptor,
    manifest: unknown,
  ): Promise<EntryPlatform | undefined> {
    // The manifest is one of the image's own documents: a config it cannot name fails the run.
    const config = followableDescriptor(
      isObject(manifest) ? manifest["config"] : undefined,
      "$.config",
      `${this.name}: manifest ${manifestDesc.digest}`,
    );
    const value = await readJsonAt(this.context, config);
    if (
      !isObject(value) ||
      typeof value["os"] !== "string" ||
      typeof value["architecture"] !== "string"
    ) {
      return undefined;
    }
    return platformOf(value);
  }
}

/** Every entry, nested indexes' entries included. */
function flatten(entries: readonly SelectionEntryInput[]): SelectionEntryInput[] {
  return entries.flatMap((e) => [e, ...(e.children ? flatten(e.children) : [])]);
}

/** The first issue per path: the follow checks and the schema may both find a bad digest. */
function dedupe(issues: readonly ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    if (seen.has(i.path)) return false;
    seen.add(i.path);
    return true;
  });
}
