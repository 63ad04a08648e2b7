// Which registries.conf entry an image name falls under, and where its pulls go, as
// containers/image v5 decides (pkg/sysregistriesv2: refMatchingPrefix, FindRegistry,
// PullSourcesFromReference), so a mirror or block set up for podman holds for ocicompat too.
// Names are "host[:port]/path" without tag or digest; whether the reference is digested is passed
// separately, since that alone decides which mirrors may serve it. Pure: values in, values out.
import { OcicompatError } from "../../oci/errors.js";
import type { RegistriesConf, RegistryEndpoint, RegistryEntry } from "./registries-conf.js";

export interface PullSource {
  /** the rewritten name, "host[:port]/path" */
  name: string;
  /** the endpoint it comes from (a mirror, or the entry itself) */
  endpoint: RegistryEndpoint;
  mirror: boolean;
}

function atBoundary(name: string, index: number): boolean {
  // ":" lets "example.com" match "example.com:5000"; containers/image calls that unintended but
  // keeps it, and so matching it keeps both tools sending the same names to the same place.
  const next = name[index];
  return next === undefined || next === ":" || next === "/" || next === "@";
}

/**
 * How much of `name` the `prefix` matches, or -1: containers/image's refMatchingPrefix. A plain
 * prefix matches itself or itself followed by ":", "/" or "@"; "*.example.com" matches any
 * subdomain of example.com (not example.com itself), in the host part only.
 */
export function refMatchingPrefix(name: string, prefix: string): number {
  if (prefix.startsWith("*.")) {
    const suffix = prefix.slice(1);
    const index = name.indexOf(suffix);
    if (index === -1 || name.slice(0, index).includes("/")) return -1;
    const end = index + suffix.length;
    return atBoundary(name, end) ? end : -1;
  }
  if (!name.startsWith(prefix)) return -1;
  return atBoundary(name, prefix.length) ? prefix.length : -1;
}

/** The entry whose prefix matches `name` ("host[:port]/path", no tag or digest), longest prefix wins; undefined if none. */
export function findRegistry(conf: RegistriesConf, name: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  // Longest as written, so "*.example.com" outranks "example.com" by its two characters, and a
  // tie goes to the entry sorted first, as in containers/image.
  let bestLength = 0;
  for (const entry of conf.registries) {
    if (refMatchingPrefix(name, entry.prefix) !== -1 && entry.prefix.length > bestLength) {
      best = entry;
      bestLength = entry.prefix.length;
    }
  }
  return best;
}

function mirrorServes(mirror: RegistryEndpoint, digested: boolean): boolean {
  if (mirror.pullFromMirror === "digest-only") return digested;
  if (mirror.pullFromMirror === "tag-only") return !digested;
  return true;
}

/** Mirrors allowed for this reference kind, in order, then the primary location; with no entry, [{ name, primary with insecure false }]. */
export function pullSources(
  entry: RegistryEntry | undefined,
  name: string,
  digested: boolean,
): PullSource[] {
  if (entry === undefined) {
    const slash = name.indexOf("/");
    const host = slash === -1 ? name : name.slice(0, slash);
    return [{ name, endpoint: { location: host, insecure: false }, mirror: false }];
  }
  const matched = refMatchingPrefix(name, entry.prefix);
  if (matched === -1) {
    throw new OcicompatError(
      "INTERNAL",
      `${entry.file}: registry prefix ${JSON.stringify(entry.prefix)} does not match ${JSON.stringify(name)}; pull sources asked for the wrong entry`,
      { subject: entry.file },
    );
  }
  // A tag can move; mirror-by-digest-only keeps tag pulls on the primary, where the tag is
  // authoritative. The per-mirror pull-from-mirror refines that and cannot be combined with it.
  const mirrors = entry.mirrorByDigestOnly
    ? digested
      ? entry.mirrors
      : []
    : entry.mirrors.filter((mirror) => mirrorServes(mirror, digested));
  const rewrite = (endpoint: RegistryEndpoint): string =>
    // An empty location is a wildcard prefix's primary: the name's own host is the registry.
    endpoint.location === "" ? name : endpoint.location + name.slice(matched);
  const primary: RegistryEndpoint = { location: entry.location, insecure: entry.insecure };
  return [
    ...mirrors.map((endpoint) => ({ name: rewrite(endpoint), endpoint, mirror: true })),
    { name: rewrite(primary), endpoint: primary, mirror: false },
  ];
}
