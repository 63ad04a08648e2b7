// What a request to the mirror asks for, from its method, path and query alone (no I/O).
//
// Two mirror conventions name the upstream:
// * containerd (hosts.toml) keeps the repository path and adds `?ns=<upstream host>`;
// * containers (registries.conf `[[registry.mirror]]`) sends the same repository path, or the path
//   under a namespace prefix when the mirror's `location` has one (`127.0.0.1:5090/quay.io`).
// So: `ns` when present; else a first path component that is a configured upstream; else the
// first configured upstream (the default). An upstream that is not configured is refused: the
// mirror is not an open proxy.
import { isDigest } from "../../oci/digest.js";

export type MirrorRoute =
  | { kind: "ping" }
  | { kind: "healthz" }
  | { kind: "metrics" }
  | { kind: "manifest"; upstream: string; repository: string; reference: string; byDigest: boolean }
  | { kind: "blob"; upstream: string; repository: string; digest: string }
  | { kind: "error"; error: DistributionErrorAnswer };

/** An error answer in the distribution spec's shape: status, code, message. */
export interface DistributionErrorAnswer {
  status: number;
  code: string;
  message: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const MAX_NAME = 255;
const SERVED_METHODS = new Set(["GET", "HEAD"]);

/** The upstream name a client or configuration gives, as the mirror compares it. */
export function normalizeUpstream(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower === "index.docker.io" || lower === "registry-1.docker.io" ? "docker.io" : lower;
}

function fail(status: number, code: string, message: string): MirrorRoute {
  return { kind: "error", error: { status, code, message } };
}

function validRepository(path: string): boolean {
  return (
    path.length > 0 && path.length <= MAX_NAME && path.split("/").every((c) => COMPONENT.test(c))
  );
}

/**
 * Routes one request. `upstreams` are the configured upstream hosts (normalised, the default
 * first); `target` is the request's path and query as received.
 */
export function routeRequest(
  method: string,
  target: string,
  upstreams: readonly string[],
): MirrorRoute {
  let url: URL;
  try {
    url = new URL(target, "http://mirror.invalid");
  } catch {
    return fail(400, "NAME_INVALID", `cannot parse the request target ${JSON.stringify(target)}`);
  }
  const path = url.pathname;
  if (!SERVED_METHODS.has(method)) {
    return fail(
      405,
      "UNSUPPORTED",
      `${method} is not served: ocicompat mirror is read-only and answers GET and HEAD only`,
    );
  }
  if (path === "/healthz") return { kind: "healthz" };
  if (path === "/metrics") return { kind: "metrics" };
  if (path === "/v2" || path === "/v2/") return { kind: "ping" };
  const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
  if (!m) {
    return fail(
      404,
      "UNSUPPORTED",
      `${path} is not served: the mirror answers /v2/<name>/manifests/<reference> and /v2/<name>/blobs/<digest>`,
    );
  }
  const [, name = "", what, reference = ""] = m;
  const ns = url.searchParams.get("ns");
  const chosen = chooseUpstream(name, ns, upstreams);
  if ("error" in chosen) return { kind: "error", error: chosen.error };
  const { upstream, repository } = chosen;
  if (!validRepository(repository)) {
    return fail(400, "NAME_INVALID", `${JSON.stringify(repository)} is not a repository name`);
  }
  const byDigest = isDigest(reference);
  if (what === "blobs") {
    if (!byDigest) {
      return fail(400, "DIGEST_INVALID", `${JSON.stringify(reference)} is not a digest`);
    }
    return { kind: "blob", upstream, repository, digest: reference };
  }
  if (!byDigest && !TAG.test(reference)) {
    return fail(
      400,
      "MANIFEST_INVALID",
      `${JSON.stringify(reference)} is neither a tag nor a digest`,
    );
  }
  return { kind: "manifest", upstream, repository, reference, byDigest };
}

function chooseUpstream(
  name: string,
  ns: string | null,
  upstreams: readonly string[],
): { upstream: string; repository: string } | { error: DistributionErrorAnswer } {
  if (ns !== null) {
    const wanted = normalizeUpstream(ns);
    if (!upstreams.includes(wanted)) return { error: notConfigured(ns) };
    return { upstream: wanted, repository: name };
  }
  const slash = name.indexOf("/");
  if (slash > 0) {
    const first = normalizeUpstream(name.slice(0, slash));
    if (upstreams.includes(first)) return { upstream: first, repository: name.slice(slash + 1) };
  }
  const fallback = upstreams[0];
  if (fallback === undefined) return { error: notConfigured("(none)") };
  return { upstream: fallback, repository: name };
}

function notConfigured(upstream: string): DistributionErrorAnswer {
  return {
    status: 403,
    code: "DENIED",
    message: `upstream ${JSON.stringify(upstream)} is not configured on this mirror (--upstream or the config file's upstreams)`,
  };
}

/**
 * The media types an `Accept` header admits, or undefined when it admits any (no header, or a
 * wildcard). Entries with `q=0` are refused ones, not admitted ones.
 */
export function acceptedMediaTypes(
  accept: string | readonly string[] | undefined,
): Set<string> | undefined {
  if (accept === undefined) return undefined;
  const values = typeof accept === "string" ? [accept] : accept;
  const types = new Set<string>();
  for (const part of values.flatMap((v) => v.split(","))) {
    const [type = "", ...params] = part.split(";").map((s) => s.trim());
    if (type === "") continue;
    if (params.some((p) => /^q\s*=\s*0(?:\.0*)?$/.test(p))) continue;
    if (type === "*/*" || type === "application/*") return undefined;
    types.add(type.toLowerCase());
  }
  return types.size === 0 ? undefined : types;
}
