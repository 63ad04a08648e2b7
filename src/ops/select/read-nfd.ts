// An entry's NFD image-compatibility artifact, found the way `nfd compat validate-node` finds it:
// the referrers of the entry's image manifest with artifactType
// application/vnd.nfd.image-compatibility.v1alpha1 (the referrers API, or the fallback tag where
// the registry has none; content/registry/store.ts), the newest by
// `org.opencontainers.image.created` (NFD's sort; a missing or unparsable time sorts first), then
// its first layer, the YAML spec.
//
// Requests: the referrers listing (always live: it is what says the artifact is still there),
// the artifact manifest and its layer by digest, which the cache serves once seen. A layer
// descriptor that embeds its bytes (`data`, as `attach --format nfd` writes) costs no request.
// So a cold read costs 3 requests, or 2 for artifacts ocicompat wrote, and a warm one 1.
import { readNfdSpec, NFD_ARTIFACT_TYPE } from "../../compat/nfd/spec.js";
import type { EntryCompat, EntryDescriptor } from "../../compat/select/input.js";
import { raceCancellation } from "../../content/cancel.js";
import { fetchBytes, hasReferrers } from "../../content/store.js";
import { followableDescriptor } from "../../oci/followed-descriptor.js";
import { isObject } from "../../oci/json-value.js";
import { CREATED_ANNOTATION, CREATED_TYPO } from "../../compat/lenient.js";
import { OcicompatError } from "../../oci/errors.js";
import { computeDigest } from "../../oci/digest.js";
import type { Descriptor } from "../../oci/schema.js";
import { describeProblem, isContentProblem, readJsonAt, type ReadContext } from "./read-compat.js";

function createdOf(d: Descriptor): number {
  const a = d.annotations ?? {};
  const text = a[CREATED_ANNOTATION] ?? a[CREATED_TYPO];
  const t = text === undefined ? Number.NaN : Date.parse(text);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/** The newest artifact; on a tie, the later one listed (NFD takes the last after a stable sort). */
export function newestArtifact(list: readonly Descriptor[]): Descriptor | undefined {
  let best: Descriptor | undefined;
  for (const d of list) if (best === undefined || createdOf(d) >= createdOf(best)) best = d;
  return best;
}

export class NfdReader {
  private readonly memo = new Map<string, Promise<EntryCompat | undefined>>();

  constructor(private readonly context: ReadContext) {}

  /** The NFD compatibilities of an image manifest, or undefined when it has none. */
  read(subject: EntryDescriptor): Promise<EntryCompat | undefined> {
    let pending = this.memo.get(subject.digest);
    if (pending === undefined) {
      pending = this.load(subject);
      this.memo.set(subject.digest, pending);
    }
    return pending;
  }

  private async load(subject: EntryDescriptor): Promise<EntryCompat | undefined> {
    const { store, limit, signal } = this.context;
    if (!hasReferrers(store)) return undefined;
    const listed = await limit(() =>
      raceCancellation(
        store.referrers(
          { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
          NFD_ARTIFACT_TYPE,
          { signal },
        ),
        signal,
      ),
    );
    const chosen = newestArtifact(listed.filter((d) => d.artifactType === NFD_ARTIFACT_TYPE));
    if (chosen === undefined) return undefined;
    const descriptor: EntryDescriptor = {
      mediaType: chosen.mediaType,
      digest: chosen.digest,
      size: chosen.size,
    };
    try {
      const manifest = await readJsonAt(this.context, descriptor);
      const layers = isObject(manifest) ? manifest["layers"] : undefined;
      if (!Array.isArray(layers) || layers.length === 0)
        throw new OcicompatError("VALIDATION", "the NFD artifact has no layer (its spec)");
      const layer = followableDescriptor(
        layers[0],
        "$.layers[0]",
        `NFD artifact ${descriptor.digest}`,
      );
      const bytes = await this.layerBytes(layer, layers[0]);
      const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      // The YAML parser loads only for an image that has an NFD artifact (docs/design.md, "Start-up").
      const { parseYaml } = await import("../../compat/yaml.js");
      const reading = readNfdSpec(parseYaml(text, `NFD spec ${layer.digest}`));
      if (reading.spec === undefined) {
        const first = reading.errors[0];
        throw new OcicompatError(
          "VALIDATION",
          `invalid NFD spec ${layer.digest}: ${first ? `${first.path}: ${first.message}` : "invalid"}`,
        );
      }
      return {
        state: "ok",
        form: "nfd",
        descriptor,
        sets: [],
        nfd: reading.spec,
        ...(reading.warnings.length > 0 ? { warnings: reading.warnings } : {}),
      };
    } catch (err) {
      if (err instanceof TypeError) {
        return { state: "unreadable", form: "nfd", descriptor, problem: "the spec is not UTF-8" };
      }
      if (!isContentProblem(err) && !isYamlProblem(err)) throw err;
      return { state: "unreadable", form: "nfd", descriptor, problem: describeProblem(err) };
    }
  }

  /** The layer's embedded `data` when its digest checks out, else a read by digest. */
  private async layerBytes(layer: Descriptor, raw: unknown): Promise<Uint8Array> {
    const data = isObject(raw) ? raw["data"] : undefined;
    if (typeof data === "string") {
      const bytes = Buffer.from(data, "base64");
      if (bytes.byteLength === layer.size && computeDigest(bytes) === layer.digest) return bytes;
    }
    const { store, limit, signal } = this.context;
    return limit(() => raceCancellation(fetchBytes(store, layer, undefined, { signal }), signal));
  }
}

function isYamlProblem(err: unknown): err is OcicompatError {
  return err instanceof OcicompatError && err.code === "INVALID_YAML";
}
