// Validation of OCI documents: the schemas of schema.ts plus the image-spec rules a JSON Schema
// cannot state (the checks the spec's Go validator adds, and the descriptor `data` rules).
import type { TSchema } from "@sinclair/typebox";
import { computeDigest, digestProblem, RegisteredAlgorithms } from "./digest.js";
import type { ValidationIssue } from "./errors.js";
import { formatJsonPath, type PathSegment } from "./json-path.js";
import {
  EmptyDescriptor,
  ImageLayerMediaTypes,
  IndexMediaTypes,
  ManifestMediaTypes,
  MediaType,
} from "./media-types.js";
import {
  ImageConfigSchema,
  ImageIndexSchema,
  ImageManifestSchema,
  LayoutHeaderSchema,
} from "./schema.js";
import { schemaIssues } from "./schema-check.js";
import { formatPlatform, normalizePlatform } from "./platform.js";
import { isObject, type Json } from "./json-value.js";

export type OciKind = "index" | "manifest" | "config" | "layout";

export interface ValidationReport {
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

const SCHEMAS: Record<OciKind, TSchema> = {
  index: ImageIndexSchema,
  manifest: ImageManifestSchema,
  config: ImageConfigSchema,
  layout: LayoutHeaderSchema,
};

/** Collects issues; `at` keeps paths as segments until the end so checks compose. */
export class IssueSink {
  readonly errors: ValidationIssue[] = [];
  readonly warnings: ValidationIssue[] = [];

  error(at: readonly PathSegment[], message: string, column?: number): void {
    this.errors.push(issue(at, message, column));
  }

  warn(at: readonly PathSegment[], message: string): void {
    this.warnings.push(issue(at, message));
  }

  /** Adds schema issues, skipping paths that already carry an error. */
  addErrors(issues: readonly ValidationIssue[]): void {
    const seen = new Set(this.errors.map((i) => i.path));
    for (const i of issues) if (!seen.has(i.path)) this.errors.push(i);
  }

  report(): ValidationReport {
    return { errors: this.errors, warnings: this.warnings };
  }
}

function issue(at: readonly PathSegment[], message: string, column?: number): ValidationIssue {
  return column === undefined
    ? { path: formatJsonPath(at), message }
    : { path: formatJsonPath(at), message, column };
}

/**
 * Validates an OCI document of a known kind. Never throws on bad input: every problem becomes an
 * issue with a JSONPath.
 */
export function validateOciDocument(kind: OciKind, value: unknown): ValidationReport {
  const sink = new IssueSink();
  checkOciDocument(kind, value, sink);
  return sink.report();
}

export function checkOciDocument(kind: OciKind, value: unknown, sink: IssueSink): void {
  let schemaErrors = schemaIssues(SCHEMAS[kind], value);
  if (kind === "config" && isCompatConfig(value)) {
    // The final revision of Proposal I writes compatibilities configs without a platform;
    // checkConfig warns about it instead.
    schemaErrors = schemaErrors.filter(
      (e) =>
        !(PLATFORM_PATHS.has(e.path) && isObject(value) && value[e.path.slice(2)] === undefined),
    );
  }
  if (!isObject(value)) {
    sink.addErrors(schemaErrors);
    return;
  }
  switch (kind) {
    case "index":
      checkIndex(value, sink);
      break;
    case "manifest":
      checkManifest(value, sink);
      break;
    case "config":
      checkConfig(value, sink);
      break;
    case "layout":
      break;
  }
  sink.addErrors(schemaErrors);
}

function checkIndex(index: Json, sink: IssueSink): void {
  const manifests = index["manifests"];
  if (Array.isArray(manifests)) {
    manifests.forEach((entry, i) => {
      const at = ["manifests", i];
      checkDescriptor(entry, at, sink);
      if (!isObject(entry)) return;
      const mediaType = entry["mediaType"];
      if (
        typeof mediaType === "string" &&
        !ManifestMediaTypes.has(mediaType) &&
        !IndexMediaTypes.has(mediaType)
      ) {
        sink.warn(
          [...at, "mediaType"],
          `"${mediaType}" is neither an image manifest nor an index; runtimes skip this entry`,
        );
      }
      const platform = entry["platform"];
      if (isObject(platform)) checkPlatformExtensions(platform, [...at, "platform"], sink);
    });
  }
  checkDescriptor(index["subject"], ["subject"], sink);
}

function checkPlatformSpelling(platform: Json, at: PathSegment[], sink: IssueSink): void {
  const { os, architecture, variant } = platform;
  if (typeof os !== "string" || typeof architecture !== "string") return;
  if (variant !== undefined && typeof variant !== "string") return;
  const given = variant === undefined ? { os, architecture } : { os, architecture, variant };
  const normal = normalizePlatform(given);
  const spelled = [os, architecture, ...(variant === undefined ? [] : [variant])].join("/");
  if (formatPlatform(normal) !== spelled) {
    sink.warn(
      at,
      `platform ${spelled} is spelled ${formatPlatform(normal)} in OCI; runtimes that compare literally will not match it`,
    );
  }
}

function checkPlatformExtensions(platform: Json, at: PathSegment[], sink: IssueSink): void {
  checkPlatformSpelling(platform, at, sink);
  const compatibilities = platform["compatibilities"];
  if (compatibilities !== undefined) {
    checkDescriptor(compatibilities, [...at, "compatibilities"], sink);
    const mt = isObject(compatibilities) ? compatibilities["mediaType"] : undefined;
    if (
      typeof mt === "string" &&
      mt !== MediaType.ImageManifest &&
      mt !== MediaType.Compatibilities
    ) {
      sink.error(
        [...at, "compatibilities", "mediaType"],
        `must be "${MediaType.ImageManifest}" (a compatibilities manifest) or "${MediaType.Compatibilities}", not "${mt}"`,
      );
    }
  }
  const compat = platform["compat"];
  if (compat !== undefined) {
    checkDescriptor(compat, [...at, "compat"], sink);
    // Proposal J points `compat` at a blob, the final revision of Proposal I at a manifest:
    // the media type decides which one it is.
    const mt = isObject(compat) ? compat["mediaType"] : undefined;
    if (
      typeof mt === "string" &&
      mt !== MediaType.ImageManifest &&
      mt !== MediaType.Compatibilities
    ) {
      sink.error(
        [...at, "compat", "mediaType"],
        `must be "${MediaType.ImageManifest}" (a compatibilities manifest, final Proposal I) or "${MediaType.Compatibilities}" (a Proposal J blob), not "${mt}"`,
      );
    }
  }
  if (compatibilities !== undefined && compat !== undefined) {
    sink.warn(
      at,
      "has both compatibilities and compat descriptors; ocicompat reads compatibilities",
    );
  }
}

function checkManifest(manifest: Json, sink: IssueSink): void {
  const config = manifest["config"];
  checkDescriptor(config, ["config"], sink);
  const layers = manifest["layers"];
  const artifactType = manifest["artifactType"];
  if (Array.isArray(layers)) {
    if (layers.length === 0) {
      sink.warn(
        ["layers"],
        "is empty: valid for a Proposal I compatibilities manifest, but the image-spec schema asks for at least one layer and some registries reject an empty list; the empty descriptor is the portable choice",
      );
    }
    layers.forEach((layer, i) => {
      checkDescriptor(layer, ["layers", i], sink);
      const mt = isObject(layer) ? layer["mediaType"] : undefined;
      if (
        artifactType === undefined &&
        typeof mt === "string" &&
        !ImageLayerMediaTypes.has(mt) &&
        mt !== MediaType.Empty
      ) {
        sink.warn(
          ["layers", i, "mediaType"],
          `"${mt}" is not an OCI layer media type, and the manifest has no artifactType`,
        );
      }
    });
  }
  checkDescriptor(manifest["subject"], ["subject"], sink);
  if (isObject(config) && config["mediaType"] === MediaType.Empty && artifactType === undefined) {
    sink.error(["artifactType"], `is required when config.mediaType is "${MediaType.Empty}"`);
  }
  if (
    isObject(config) &&
    typeof config["mediaType"] === "string" &&
    artifactType === undefined &&
    config["mediaType"] !== MediaType.ImageConfig &&
    config["mediaType"] !== MediaType.Empty
  ) {
    sink.warn(
      ["config", "mediaType"],
      `"${config["mediaType"]}" is not the OCI image config media type, and the manifest has no artifactType`,
    );
  }
}

const PLATFORM_PATHS: ReadonlySet<string> = new Set(["$.architecture", "$.os"]);

function isCompatConfig(value: unknown): boolean {
  const inner = isObject(value) ? value["config"] : undefined;
  return isObject(inner) && inner["compatibilities"] !== undefined;
}

function checkConfig(config: Json, sink: IssueSink): void {
  const hasCompatibilities = isCompatConfig(config);
  if (hasCompatibilities) {
    for (const key of ["architecture", "os"]) {
      if (config[key] === undefined)
        sink.warn(
          [key],
          "is missing: read as a compatibilities config (the final revision of Proposal I writes none); the image-spec requires it",
        );
    }
  }
  const rootfs = config["rootfs"];
  if (!hasCompatibilities) {
    if (rootfs === undefined) sink.error(["rootfs"], "required property is missing");
    else if (isObject(rootfs)) {
      if (rootfs["type"] === undefined)
        sink.error(["rootfs", "type"], 'required property is missing (must be "layers")');
      if (rootfs["diff_ids"] === undefined)
        sink.error(["rootfs", "diff_ids"], "required property is missing");
    }
  }
  if (isObject(rootfs) && Array.isArray(rootfs["diff_ids"])) {
    rootfs["diff_ids"].forEach((d, i) => {
      if (typeof d === "string") checkDigestValue(d, ["rootfs", "diff_ids", i], sink);
    });
  }
}

/** Descriptor rules beyond the schema: registered digest lengths, `data`, size precision. */
function checkDescriptor(value: unknown, at: PathSegment[], sink: IssueSink): void {
  if (!isObject(value)) return;
  const { digest, size, data } = value;
  if (typeof digest === "string") checkDigestValue(digest, [...at, "digest"], sink);
  if (typeof size === "number" && Number.isInteger(size) && size > Number.MAX_SAFE_INTEGER) {
    sink.warn(
      [...at, "size"],
      `${size} is beyond 2^53 and cannot be represented exactly by I-JSON readers`,
    );
  }
  if (typeof data === "string") checkEmbeddedData(data, digest, size, [...at, "data"], sink);
  if (
    value["mediaType"] === MediaType.Empty &&
    typeof digest === "string" &&
    digest !== EmptyDescriptor.digest
  ) {
    sink.warn(
      [...at, "digest"],
      `an empty descriptor should have digest ${EmptyDescriptor.digest} (the bytes "{}")`,
    );
  }
}

function checkDigestValue(digest: string, at: PathSegment[], sink: IssueSink): void {
  const problem = digestProblem(digest);
  // Grammar failures are reported by the schema with the same wording; report only the
  // registered-algorithm rules here.
  const algorithm = digest.slice(0, digest.indexOf(":"));
  if (problem !== undefined && Object.hasOwn(RegisteredAlgorithms, algorithm))
    sink.error(at, problem);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function checkEmbeddedData(
  data: string,
  digest: unknown,
  size: unknown,
  at: PathSegment[],
  sink: IssueSink,
): void {
  if (!BASE64.test(data)) {
    sink.error(at, "is not standard base64 with padding (RFC 4648)");
    return;
  }
  const bytes = Buffer.from(data, "base64");
  if (typeof size === "number" && bytes.byteLength !== size) {
    sink.error(at, `decodes to ${bytes.byteLength} bytes, but size is ${size}`);
    return;
  }
  if (typeof digest === "string") {
    const algorithm = digest.slice(0, digest.indexOf(":"));
    if ((algorithm === "sha256" || algorithm === "sha512") && digestProblem(digest) === undefined) {
      const actual = computeDigest(bytes, algorithm);
      if (actual !== digest)
        sink.error(at, `decodes to content with digest ${actual}, but digest is ${digest}`);
    }
  }
}
