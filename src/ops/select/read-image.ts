// Reading what a reference names for selection: the index (nested indexes expanded) or a single
// manifest, each entry's platform (from its config when the index gives none) and compatibilities.
// Everything addressed by digest goes through the caller's store, which serves it from the cache.
import type {
  EntryCompat,
  EntryDescriptor,
  EntryPlatform,
  SelectionEntryInput,
} from "../../compat/select.js";
import { fetchBytes, type ContentDescriptor, type Store } from "../../content/store.js";
import { OcicompatError } from "../../oci/errors.js";
import { parseIJson } from "../../oci/ijson.js";
import { formatJsonPath, type PathSegment } from "../../oci/json-path.js";
import { IndexMediaTypes, ManifestMediaTypes } from "../../oci/media-types.js";
import { schemaIssues } from "../../oci/schema-check.js";
import { DescriptorSchema, PlatformSchema } from "../../oci/schema.js";
import type { ValidationIssue } from "../../oci/errors.js";
import { describeProblem, isContentProblem, type CompatReader } from "./read-compat.js";
import type { Limit } from "./limit.js";
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

/** The descriptor fields, as far as they can be read (for reporting a malformed entry). */
function looseDescriptor(entry: Json): EntryDescriptor {
  const d: EntryDescriptor = {
    mediaType: typeof entry["mediaType"] === "string" ? entry["mediaType"] : "(none)",
    digest: typeof entry["digest"] === "string" ? entry["digest"] : "(none)",
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

export class ImageReader {
  constructor(
    private readonly store: Store,
    private readonly compat: CompatReader,
    private readonly limit: Limit,
  ) {}

  async read(root: ContentDescriptor, name: string): Promise<ImageRead> {
    const doc = await this.readJson(root);
    if (IndexMediaTypes.has(root.mediaType) || (isObject(doc) && Array.isArray(doc["manifests"]))) {
      return { root, kind: "index", entries: await this.indexEntries(doc, ["manifests"], 0, name) };
    }
    if (ManifestMediaTypes.has(root.mediaType)) {
      const entry = await this.manifestEntry(root, doc);
      return { root, kind: "manifest", entries: [entry] };
    }
    throw new OcicompatError(
      "UNSUPPORTED",
      `names ${root.mediaType}, which is neither an image index nor an image manifest`,
      { subject: name },
    );
  }

  private async readJson(desc: ContentDescriptor): Promise<unknown> {
    return parseIJson(await this.limit(() => fetchBytes(this.store, desc))).value;
  }

  private async indexEntries(
    doc: unknown,
    at: readonly PathSegment[],
    depth: number,
    name: string,
  ): Promise<SelectionEntryInput[]> {
    if (!isObject(doc) || !Array.isArray(doc["manifests"])) {
      throw new OcicompatError("VALIDATION", "is not an image index: it has no manifests list", {
        subject: name,
      });
    }
    return Promise.all(
      doc["manifests"].map((entry: unknown, i) => this.entry(entry, [...at, i], depth)),
    );
  }

  private async entry(
    raw: unknown,
    at: readonly PathSegment[],
    depth: number,
  ): Promise<SelectionEntryInput> {
    if (!isObject(raw)) {
      return {
        descriptor: { mediaType: "(none)", digest: "(none)", size: 0 },
        problem: `malformed index entry at ${formatJsonPath(at)}: not an object`,
      };
    }
    const descriptor = looseDescriptor(raw);
    const descriptorIssues = schemaIssues(DescriptorSchema, raw, at);
    if (descriptorIssues.length > 0) {
      return { descriptor, problem: `malformed index entry: ${issueText(descriptorIssues)}` };
    }
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
      const compat = (p["compatibilities"] ?? p["compat"]) as Json | undefined;
      if (compat !== undefined) {
        const compatIssues = issues.filter((i) => compatPath.test(i.path));
        if (compatIssues.length > 0) {
          input.compat = {
            state: "unreadable",
            form: "manifest",
            descriptor: looseDescriptor(compat),
            problem: `malformed descriptor: ${issueText(compatIssues)}`,
          };
        } else {
          // Started now, awaited last: it runs beside the nested index or config read below.
          compatRead = this.compat.read(compat as unknown as EntryDescriptor);
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
          const doc = await this.readJson(descriptor);
          input.children = await this.indexEntries(
            doc,
            [...at, "manifests"],
            depth + 1,
            descriptor.digest,
          );
        }
      } else if (input.platform === undefined && ManifestMediaTypes.has(descriptor.mediaType)) {
        const fromConfig = await this.configPlatform(descriptor, await this.readJson(descriptor));
        if (fromConfig) {
          input.platform = fromConfig;
          input.platformFrom = "config";
        }
      }
    } catch (err) {
      if (!isContentProblem(err)) throw err;
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
      if (!isContentProblem(err)) throw err;
      input.problem = describeProblem(err);
    }
    return input;
  }

  /** os/architecture/variant/os.features of an image manifest's config, if it is an image. */
  private async configPlatform(
    manifestDesc: EntryDescriptor,
    manifest: unknown,
  ): Promise<EntryPlatform | undefined> {
    const config = isObject(manifest) ? manifest["config"] : undefined;
    if (!isObject(config) || schemaIssues(DescriptorSchema, config).length > 0) {
      throw new OcicompatError("VALIDATION", `manifest ${manifestDesc.digest} has no valid config`);
    }
    const value = await this.readJson(config as unknown as ContentDescriptor);
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
