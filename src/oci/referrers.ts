// What the distribution spec's referrers feature says about a manifest, without any I/O: the
// fallback tag name, and the descriptor a referrers list gives for a manifest that names a
// subject. Registries compute the same descriptor for their referrers API; OCI layouts have no
// API, so ocicompat computes it from the manifests themselves.
import { parseDigest } from "./digest.js";
import { isObject } from "./json-value.js";
import type { Descriptor } from "./schema.js";

/** The referrers fallback tag of the distribution spec: `<alg>-<encoded>`, truncated. */
export function referrersTag(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `${algorithm.slice(0, 32)}-${encoded.slice(0, 64)}`;
}

/** The `subject` digest a parsed manifest or index names, if any. */
export function subjectOf(document: unknown): string | undefined {
  if (!isObject(document) || !isObject(document["subject"])) return undefined;
  const digest = document["subject"]["digest"];
  return typeof digest === "string" ? digest : undefined;
}

/**
 * The referrers-list descriptor of a manifest or index (already parsed): `artifactType` is the
 * document's own, or for an image manifest without one its config's media type, as the spec
 * requires; `annotations` are the document's.
 */
export function referrerEntryOf(
  desc: { mediaType: string; digest: string; size: number },
  document: unknown,
): Descriptor {
  const out: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  if (!isObject(document)) return out;
  const own = document["artifactType"];
  const config = document["config"];
  const artifactType =
    typeof own === "string"
      ? own
      : isObject(config) && typeof config["mediaType"] === "string"
        ? config["mediaType"]
        : undefined;
  if (artifactType !== undefined) out.artifactType = artifactType;
  const annotations = document["annotations"];
  if (isObject(annotations)) {
    const strings = Object.entries(annotations).filter(
      (e): e is [string, string] => typeof e[1] === "string",
    );
    if (strings.length > 0) out.annotations = Object.fromEntries(strings);
  }
  return out;
}
