// Image references in three forms:
//
//   registry     [docker://]NAME[:TAG][@DIGEST]
//                                         docker's grammar (distribution/reference), normalised the
//                                         way `docker pull` does: "alpine" is
//                                         "docker.io/library/alpine:latest". "docker://" is
//                                         skopeo's transport name for the same thing.
//   oci-layout   oci:DIR[:TAG][@DIGEST]   an image-layout directory, skopeo style.
//   oci-archive  oci-archive:FILE[:TAG]   a tar of an image layout, skopeo style.
//
// Splitting the oci forms: DIR/FILE ends at the first ":" or "@". The first ":" rule is skopeo's
// (containers/image cuts at the first colon on Linux), so paths may contain "/" and "." but not
// ":". ocicompat also reserves "@" for the digest, so it cannot appear in a path or a tag; a TAG may
// still contain ":" ("oci:dir:a:b" is the tag "a:b"), and "/" as the image-spec ref.name allows.
// skopeo's "oci:DIR:@INDEX" (select by position) is not supported. The prefixes win over docker's
// grammar: "oci:5000/app" is a layout directory, never a registry host named "oci".
//
// Other transports (skopeo's docker-archive:, containers-storage:, dir:, ...; regclient's
// ocidir://; any other SCHEME://) are refused by name. Read as docker's grammar they would either
// fail with a baffling "invalid port" ("docker-archive:/tmp/a.tar") or, worse, quietly name a
// Docker Hub image ("dir:v1" is docker.io/library/dir:v1); "docker://dir:v1" still means that.
import { OcicompatError } from "./errors.js";
import {
  clip,
  invalidDigest,
  layoutTagProblem,
  registryProblem,
  repositoryProblem,
  tagProblem,
} from "./reference-parts.js";

export type Reference =
  | { scheme: "registry"; registry: string; repository: string; tag?: string; digest?: string }
  | { scheme: "oci-layout"; path: string; tag?: string; digest?: string }
  | { scheme: "oci-archive"; path: string; tag?: string };

const DEFAULT_REGISTRY = "docker.io";
// Docker Hub's historical name; docker treats it as the same registry.
const LEGACY_DEFAULT_REGISTRY = "index.docker.io";
const OFFICIAL_NAMESPACE = "library";
// docker's default when a reference names neither a tag nor a digest.
const DEFAULT_TAG = "latest";

const NAME_MAX = 255;

// docker refuses bare image IDs as names so that `docker run <id>` cannot mean a repository.
const IMAGE_ID = /^[a-f0-9]{64}$/;

const LAYOUT_PREFIX = "oci:";
const ARCHIVE_PREFIX = "oci-archive:";
const DOCKER_PREFIX = "docker://";

/** The reference forms ocicompat reads, for messages that refuse another form. */
export const SUPPORTED_REFERENCE_FORMS =
  "oci:DIR[:tag|@digest], oci-archive:FILE[:tag], docker://REF or REF (registry/repo[:tag][@digest])";

// skopeo's transports that look like docker's NAME:TAG; what to do instead.
const FOREIGN_TRANSPORTS: Readonly<Record<string, string>> = {
  "docker-archive": "convert it first: skopeo copy docker-archive:FILE oci-archive:FILE",
  "docker-daemon": "push it to a registry, or: skopeo copy docker-daemon:IMAGE oci:DIR",
  "containers-storage": "push it to a registry, or: skopeo copy containers-storage:IMAGE oci:DIR",
  dir: "convert it first: skopeo copy dir:DIR oci:DIR",
  ostree: "convert it first with skopeo copy to oci:DIR",
  sif: "convert it first with skopeo copy to oci:DIR",
  tarball: "convert it first with skopeo copy to oci-archive:FILE",
};
const SCHEME_HINTS: Readonly<Record<string, string>> = {
  ocidir: "an OCI layout directory is oci:DIR",
  "oci-layout": "an OCI layout directory is oci:DIR",
  "oci-archive": "an OCI archive is oci-archive:FILE",
  http: "write the registry reference without a scheme (--plain-http for plain HTTP)",
  https: "write the registry reference without a scheme",
};

type Result = { ref: Reference; problem?: undefined; tagDefaulted?: boolean } | { problem: string };

export function parseReference(input: string): Reference {
  const result = analyse(input);
  if (result.problem !== undefined) {
    throw new OcicompatError("INVALID_REFERENCE", result.problem, { subject: input });
  }
  return result.ref;
}

/**
 * The tag `input` writes itself, or undefined: unlike `parseReference(input).tag`, not docker's
 * default "latest" for a registry reference without one. Throws as parseReference does.
 */
export function writtenTag(input: string): string | undefined {
  const result = analyse(input);
  if (result.problem !== undefined) {
    throw new OcicompatError("INVALID_REFERENCE", result.problem, { subject: input });
  }
  return result.tagDefaulted ? undefined : result.ref.tag;
}

/**
 * A reference to a repository, layout or archive as a whole (what `ls` lists): a tag or digest in
 * `input` is refused rather than ignored.
 */
export function parseRepositoryReference(input: string): Reference {
  const ref = parseReference(input);
  const tag = writtenTag(input);
  const digest = ref.scheme === "oci-archive" ? undefined : ref.digest;
  if (tag !== undefined || digest !== undefined) {
    const named = [tag === undefined ? "" : `:${tag}`, digest === undefined ? "" : `@${digest}`];
    throw new OcicompatError(
      "INVALID_REFERENCE",
      `names ${tag === undefined ? `digest ${digest}` : `tag "${tag}"`}, but a whole repository is wanted here: leave out "${named.join("")}"`,
      { subject: input },
    );
  }
  return ref;
}

/** Why `input` is not a valid reference, or undefined when it is. */
export function referenceProblem(input: string): string | undefined {
  return analyse(input).problem;
}

/** The canonical text of a reference; parsing it gives the same reference back. */
export function formatReference(ref: Reference): string {
  switch (ref.scheme) {
    case "registry":
      return `${ref.registry}/${ref.repository}${suffix(ref.tag, ref.digest)}`;
    case "oci-layout":
      return `${LAYOUT_PREFIX}${ref.path}${suffix(ref.tag, ref.digest)}`;
    case "oci-archive":
      return `${ARCHIVE_PREFIX}${ref.path}${suffix(ref.tag, undefined)}`;
  }
}

function suffix(tag: string | undefined, digest: string | undefined): string {
  return `${tag === undefined ? "" : `:${tag}`}${digest === undefined ? "" : `@${digest}`}`;
}

function analyse(input: string): Result {
  if (input === "") return fail("reference is empty");
  if (input.trim() !== input) return fail("reference has leading or trailing whitespace");
  if (input.startsWith(DOCKER_PREFIX)) {
    const name = input.slice(DOCKER_PREFIX.length);
    return name === "" ? fail('nothing follows "docker://"') : analyseRegistry(name);
  }
  if (input.startsWith(ARCHIVE_PREFIX)) return analyseArchive(input.slice(ARCHIVE_PREFIX.length));
  if (input.startsWith(LAYOUT_PREFIX)) return analyseLayout(input.slice(LAYOUT_PREFIX.length));
  return foreignTransportProblem(input) ?? analyseRegistry(input);
}

function foreignTransportProblem(input: string): Result | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(input)?.[1];
  if (scheme !== undefined) {
    const hint = SCHEME_HINTS[scheme.toLowerCase()];
    return fail(
      `"${scheme}://" references are not supported${hint ? ` (${hint})` : ""}; the forms are ${SUPPORTED_REFERENCE_FORMS}`,
    );
  }
  const colon = input.indexOf(":");
  const transport = colon < 0 ? undefined : input.slice(0, colon);
  const hint = transport === undefined ? undefined : FOREIGN_TRANSPORTS[transport];
  if (hint === undefined) return undefined;
  // "dir:v1" is also a valid Docker Hub name: say how to mean that.
  const hubName = analyseRegistry(input).problem === undefined;
  return fail(
    `"${transport}:" references are not supported (${hint}); the forms are ${SUPPORTED_REFERENCE_FORMS}` +
      (hubName ? `; for the Docker Hub image, write docker://${input}` : ""),
  );
}

function fail(problem: string): Result {
  return { problem };
}

function analyseRegistry(input: string): Result {
  const transport = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(input);
  if (transport) {
    return fail(
      `"${transport[1]}://" cannot follow "docker://": write docker://REGISTRY/REPO[:TAG]`,
    );
  }
  if (IMAGE_ID.test(input)) {
    return fail("a 64-character hex string is an image ID, not a repository name");
  }

  let name = input;
  let digest: string | undefined;
  const at = name.indexOf("@");
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  let tag: string | undefined;
  const colon = name.indexOf(":", name.lastIndexOf("/") + 1);
  if (colon >= 0) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  if (name === "") return fail("repository name is empty");

  const { registry, remainder } = splitRegistry(name);
  const problem =
    (registry === undefined ? undefined : registryProblem(registry)) ??
    repositoryProblem(remainder) ??
    (tag === undefined ? undefined : tagProblem(tag)) ??
    (digest === undefined ? undefined : invalidDigest(digest));
  if (problem !== undefined) return fail(problem);

  let host = registry ?? DEFAULT_REGISTRY;
  if (host === LEGACY_DEFAULT_REGISTRY) host = DEFAULT_REGISTRY;
  const repository =
    host === DEFAULT_REGISTRY && !remainder.includes("/")
      ? `${OFFICIAL_NAMESPACE}/${remainder}`
      : remainder;
  const full = `${host}/${repository}`;
  if (full.length > NAME_MAX) {
    return fail(`name "${clip(full)}" is ${full.length} characters long; the limit is ${NAME_MAX}`);
  }

  const ref: Reference = { scheme: "registry", registry: host, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  if (tag === undefined && digest === undefined) {
    ref.tag = DEFAULT_TAG;
    return { ref, tagDefaulted: true };
  }
  return { ref };
}

/**
 * A fully qualified name, `host[:port]/path` with no tag or digest (what a registries.conf
 * rewrite produces), split into registry and repository with no Docker Hub defaulting; or why it
 * is not one: its first component is not a host by docker's rule, or a part is invalid.
 */
export function qualifiedNameParts(
  name: string,
): { registry: string; repository: string } | { problem: string } {
  const { registry, remainder } = splitRegistry(name);
  if (registry === undefined) {
    return {
      problem: `"${name.split("/")[0] ?? ""}" is not a registry host (one with a "." or a ":PORT", or localhost)`,
    };
  }
  const problem = registryProblem(registry) ?? repositoryProblem(remainder);
  return problem === undefined ? { registry, repository: remainder } : { problem };
}

// docker's rule: the first component names a registry only if it looks like a host (has "." or
// ":", or is "localhost"), or has uppercase letters, which repository names never do. A single
// component is always a repository, so "localhost:5000" is the repository "localhost", tag "5000".
function splitRegistry(name: string): { registry: string | undefined; remainder: string } {
  const slash = name.indexOf("/");
  if (slash < 0) return { registry: undefined, remainder: name };
  const first = name.slice(0, slash);
  const looksLikeHost =
    first === "localhost" || /[.:]/.test(first) || first !== first.toLowerCase();
  return looksLikeHost
    ? { registry: first, remainder: name.slice(slash + 1) }
    : { registry: undefined, remainder: name };
}

function analyseLayout(body: string): Result {
  const end = body.search(/[:@]/);
  const path = end < 0 ? body : body.slice(0, end);
  if (path === "") return fail('"oci:" reference has an empty directory path');
  let rest = end < 0 ? "" : body.slice(end);

  let tag: string | undefined;
  if (rest.startsWith(":")) {
    const at = rest.indexOf("@");
    tag = at < 0 ? rest.slice(1) : rest.slice(1, at);
    rest = at < 0 ? "" : rest.slice(at);
    if (tag === "" && rest !== "") {
      return fail(
        'tag is empty: nothing between ":" and "@" (write oci:DIR@DIGEST; skopeo\'s @INDEX form is not supported)',
      );
    }
    const problem = layoutTagProblem(tag);
    if (problem !== undefined) return fail(problem);
  }
  let digest: string | undefined;
  if (rest.startsWith("@")) {
    digest = rest.slice(1);
    const problem = invalidDigest(digest);
    if (problem !== undefined) return fail(problem);
  }

  const ref: Reference = { scheme: "oci-layout", path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return { ref };
}

function analyseArchive(body: string): Result {
  if (body.includes("@")) {
    return fail('"oci-archive:" references cannot carry a digest, and "@" may not appear in them');
  }
  const colon = body.indexOf(":");
  const path = colon < 0 ? body : body.slice(0, colon);
  if (path === "") return fail('"oci-archive:" reference has an empty file path');
  const ref: Reference = { scheme: "oci-archive", path };
  if (colon >= 0) {
    const tag = body.slice(colon + 1);
    const problem = layoutTagProblem(tag);
    if (problem !== undefined) return fail(problem);
    ref.tag = tag;
  }
  return { ref };
}
