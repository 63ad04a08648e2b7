// Where a registry reference is read from and written to under registries.conf, as podman and
// skopeo decide it (containers/image's docker transport):
// * Reading (`pull`): the entry's mirrors allowed for this reference (by tag or by digest), in
//   order, then the entry's own location; each with the prefix rewritten to its location. The
//   first source that answers for the reference serves everything read afterwards, so one
//   image's manifests and blobs come from one place.
// * Writing, and listing tags: the reference as written, never a mirror or a rewritten location.
// * Everywhere: an entry marked `blocked` refuses the reference, and so does a source (a mirror,
//   a rewritten location) whose own location falls under a blocked entry; an `insecure` entry
//   (or mirror) skips TLS verification and may fall back to plain HTTP.
// Stricter than containers/image: a reference whose entry is blocked is refused even when its
// location rewrites it to an unblocked name (containers/image checks only the rewritten name).
import { OcicompatError, isOcicompatError, errorMessage } from "../../oci/errors.js";
import { qualifiedNameParts } from "../../oci/reference.js";
import type { ContentDescriptor, Store } from "../store.js";
import { findRegistry, pullSources } from "./registries-conf-match.js";
import type { RegistryEntry } from "./registries-conf.js";
import type { LoadedRegistriesConf } from "./registries-conf-files.js";

/** One place to talk to about a reference. */
export interface RegistrySource {
  registry: string;
  repository: string;
  /** Skip TLS verification (registries.conf `insecure`, hosts.toml `skip_verify`). */
  insecure: boolean;
  /** A mirror, not the entry's own location. */
  mirror: boolean;
  /** Why the source may not be used: it is blocked (an error naming the entry and the files). */
  blocked?: OcicompatError;
  /** How to reach it, where that differs from the client's defaults. */
  connection?: SourceConnection;
}

/** How to reach a source: registries.conf's `insecure`, or what a containerd hosts.toml says. */
export interface SourceConnection {
  /** true: HTTP; false: HTTPS; unset: the usual rule (loopback hosts speak HTTP). */
  plainHttp?: boolean;
  /** HTTPS, then plain HTTP if refused or not TLS: a registries.conf `insecure` registry. */
  plainHttpFallback?: boolean;
  apiRoot?: string;
  query?: Record<string, string>;
  tlsFiles?: { cas: string[]; clientCerts: { cert: string; key?: string }[] };
  /** Sent with every request to the host and its token service (hosts.toml [header]). */
  headers?: Record<string, string[]>;
  /** A directory of Docker-style certificate files, used as --cert-dir is. */
  certDir?: string;
}

/**
 * The sources for `registry/repository`, in the order to try them: one for a write, a list for
 * a read (`pull`). Without a configuration, the reference as written.
 */
export function registrySources(
  loaded: LoadedRegistriesConf | undefined,
  ref: { registry: string; repository: string; digest?: string },
  options: { pull: boolean },
): RegistrySource[] {
  const name = `${ref.registry}/${ref.repository}`;
  const asWritten: RegistrySource = {
    registry: ref.registry,
    repository: ref.repository,
    insecure: false,
    mirror: false,
  };
  if (loaded === undefined) return [asWritten];
  const entry = findRegistry(loaded.conf, name);
  const blockedEntry = entry?.blocked === true ? blocked(entry, name, loaded) : undefined;
  if (!options.pull || entry === undefined) {
    return [
      {
        ...asWritten,
        ...insecurity(entry?.insecure === true),
        ...(blockedEntry === undefined ? {} : { blocked: blockedEntry }),
      },
    ];
  }
  return pullSources(entry, name, ref.digest !== undefined).map((source) => {
    const { registry, repository } = splitName(source.name, entry);
    // A mirror or rewritten location under a blocked prefix of its own is refused too.
    const own = source.name === name ? undefined : findRegistry(loaded.conf, source.name);
    const refusal =
      blockedEntry ?? (own?.blocked === true ? blocked(own, source.name, loaded) : undefined);
    return {
      registry,
      repository,
      ...insecurity(source.endpoint.insecure),
      mirror: source.mirror,
      ...(refusal === undefined ? {} : { blocked: refusal }),
    };
  });
}

/** registries.conf's `insecure`: no certificate checks, and podman's fallback to plain HTTP. */
function insecurity(insecure: boolean): Pick<RegistrySource, "insecure" | "connection"> {
  return insecure ? { insecure, connection: { plainHttpFallback: true } } : { insecure };
}

function blocked(entry: RegistryEntry, name: string, loaded: LoadedRegistriesConf) {
  return new OcicompatError(
    "USAGE",
    `${name} is blocked by the registries configuration (the [[registry]] with prefix "${entry.prefix}" in ${entry.file}; read: ${loaded.where})`,
    { subject: name },
  );
}

// A rewritten name must still start with a registry host, as containers/image requires of it.
function splitName(name: string, entry: RegistryEntry): { registry: string; repository: string } {
  const parts = qualifiedNameParts(name);
  if ("problem" in parts) {
    throw new OcicompatError(
      "USAGE",
      `${entry.file}: the [[registry]] with prefix "${entry.prefix}" rewrites the reference to ${name}, which is not a valid image name: ${parts.problem}`,
      { subject: entry.file },
    );
  }
  return parts;
}

/** What was tried before a source answered, for a warning. */
export interface FailedSource {
  source: RegistrySource;
  error: unknown;
}

/**
 * The first of `sources` whose store resolves `reference`, with that resolution kept (the store
 * answers it again without a request). All failing: the last source's error, with the others'
 * named, as containers/image reports it. Only cancellation stops the search: any other failure
 * (blocked, unreachable, not found, refused credentials) passes on to the next source.
 */
export async function firstAnswering(
  sources: readonly RegistrySource[],
  reference: string,
  storeFor: (source: RegistrySource) => Promise<Store>,
  signal?: AbortSignal,
): Promise<{ store: Store; source: RegistrySource; failed: FailedSource[] }> {
  const failed: FailedSource[] = [];
  for (const source of sources) {
    try {
      if (source.blocked) throw source.blocked;
      const store = await storeFor(source);
      const desc = await store.resolve(reference, { signal });
      return { store: pinned(store, reference, desc), source, failed };
    } catch (err) {
      if (signal?.aborted || (isOcicompatError(err) && err.code === "CANCELLED")) throw err;
      failed.push({ source, error: err });
    }
  }
  const last = failed[failed.length - 1];
  if (last === undefined) throw new OcicompatError("INTERNAL", "no registry source to try");
  if (failed.length === 1 || !isOcicompatError(last.error)) throw last.error;
  const others = failed
    .slice(0, -1)
    .map((f) => `[${f.source.registry}/${f.source.repository}: ${errorMessage(f.error)}]`)
    .join(" ");
  throw new OcicompatError(
    last.error.code,
    `${last.error.message} (mirrors also failed: ${others})`,
    {
      ...(last.error.subject === undefined ? {} : { subject: last.error.subject }),
      cause: last.error,
    },
  );
}

function pinned(store: Store, reference: string, desc: ContentDescriptor): Store {
  const view = Object.create(store) as Store;
  view.resolve = (ref, options) =>
    ref === reference ? Promise.resolve(desc) : store.resolve(ref, options);
  return view;
}
