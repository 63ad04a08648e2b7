// containers-registries.conf(5), read as containers/image v5 (pkg/sysregistriesv2) reads it, so
// that ocicompat and podman, skopeo, buildah and CRI-O see the same registries, mirrors and blocks
// on one machine. Parsing and merging only; matching a name to an entry is in
// registries-conf-match.ts. Pure: text in, values out; finding the files is the caller's job.
//
// Where this departs from containers/image it is in the messages only (file and entry named), plus:
// * `unqualified-search-registries`, `short-name-mode`, `additional-layer-store-auth-helper` and
//   `[aliases]` are type-checked and otherwise ignored; ocicompat only takes fully qualified names.
//   `credential-helpers` is kept, with the file that set it (content/auth/helper-list.ts).
// * Two spellings of one key in one table (`location` and `Location`) are an error; Go's decoder
//   takes either, whichever its map iteration meets last.
import { definesNoRegistries } from "./registries-conf-scan.js";
import {
  describeTomlValue,
  parseTomlFile,
  tomlFail,
  tomlReader,
  type TomlReader,
  type TomlTable,
} from "./toml.js";

export type PullFromMirror = "all" | "digest-only" | "tag-only";

export interface RegistryEndpoint {
  /** host[:port][/path], no scheme, trailing "/" removed; "" only for a wildcard prefix's primary. */
  location: string;
  insecure: boolean;
  /** mirrors only; undefined = "all" */
  pullFromMirror?: PullFromMirror;
}

export interface RegistryEntry extends RegistryEndpoint {
  /** as written, trailing "/" removed; defaults to location; may be "*.example.com" */
  prefix: string;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: RegistryEndpoint[];
  /** the file this entry came from, for messages */
  file: string;
}

export interface RegistriesConf {
  /** unique by prefix, sorted by prefix (string order), as containers/image keeps them */
  registries: RegistryEntry[];
  /** `credential-helpers`, when a file sets a non-empty list (the last such file wins) */
  credentialHelpers?: { names: string[]; file: string };
}

const PULL_FROM_MIRROR: readonly string[] = ["all", "digest-only", "tag-only"];

type Table = TomlTable;

/** One endpoint as written, before normalisation; `at` names it in messages. */
interface RawEndpoint {
  location: string;
  insecure: boolean;
  pullFromMirror: string;
  at: string;
}

interface RawEntry extends RawEndpoint {
  prefix: string;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: RawEndpoint[];
}

function registryLabel(index: number, prefix: string, location: string): string {
  const base = `[[registry]] ${index + 1}`;
  if (prefix !== "") return `${base} (prefix ${JSON.stringify(prefix)})`;
  if (location !== "") return `${base} (location ${JSON.stringify(location)})`;
  return base;
}

function readV2(tables: Table[], file: string): RawEntry[] {
  return tables.map((table, index) => {
    // The label needs prefix and location before their types are checked; take strings only.
    const text = (key: string): string => {
      const value = Object.entries(table).find(([k]) => k.toLowerCase() === key)?.[1];
      return typeof value === "string" ? value : "";
    };
    const at = registryLabel(index, text("prefix"), text("location"));
    const r = tomlReader(table, file, at);
    const mirrorTables = r.tables("mirror", "an array of tables ([[registry.mirror]])") ?? [];
    const mirrors = mirrorTables.map((mirror, j): RawEndpoint => {
      const mirrorAt = `${at}: [[registry.mirror]] ${j + 1}`;
      const m = tomlReader(mirror, file, mirrorAt);
      return {
        location: m.string("location") ?? "",
        insecure: m.bool("insecure") ?? false,
        pullFromMirror: m.string("pull-from-mirror") ?? "",
        at: mirrorAt,
      };
    });
    return {
      prefix: r.string("prefix") ?? "",
      location: r.string("location") ?? "",
      insecure: r.bool("insecure") ?? false,
      blocked: r.bool("blocked") ?? false,
      mirrorByDigestOnly: r.bool("mirror-by-digest-only") ?? false,
      pullFromMirror: r.string("pull-from-mirror") ?? "",
      mirrors,
      at,
    };
  });
}

/** The v1 lists that are present (an empty array counts: containers/image tests key presence). */
function readV1(top: TomlReader, file: string): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  const v1 = top.table("registries");
  if (v1 === undefined) return lists;
  const r = tomlReader(v1, file, "[registries]");
  for (const name of ["search", "insecure", "block"]) {
    const list = r.table(name);
    if (list === undefined) continue;
    const values = tomlReader(list, file, `[registries.${name}]`).strings("registries");
    if (values !== undefined) lists.set(name, values);
  }
  return lists;
}

/** v1 block and insecure lists as v2 entries, merged by location, block list first. */
function convertV1(lists: Map<string, string[]>, file: string): RawEntry[] {
  const byLocation = new Map<string, RawEntry>();
  for (const [name, flag] of [
    ["block", "blocked"],
    ["insecure", "insecure"],
  ] as const) {
    (lists.get(name) ?? []).forEach((value, index) => {
      const at = `[registries.${name}] registries entry ${index + 1}`;
      const location = parseLocation(value, "location", file, at);
      const entry = byLocation.get(location) ?? {
        prefix: location,
        location,
        insecure: false,
        blocked: false,
        mirrorByDigestOnly: false,
        pullFromMirror: "",
        mirrors: [],
        at,
      };
      entry[flag] = true;
      byLocation.set(location, entry);
    });
  }
  return [...byLocation.values()];
}

/** containers/image's parseLocation: trailing "/" dropped, no http:// or https://. */
function parseLocation(value: string, key: string, file: string, at: string): string {
  const trimmed = value.replace(/\/+$/, "");
  if (trimmed.startsWith("http://") || trimmed.startsWith("https://")) {
    tomlFail(
      file,
      at,
      `${key} ${JSON.stringify(value)} must not have a URI scheme (URI schemes are not supported; write host[:port][/path])`,
    );
  }
  return trimmed;
}

function normalise(raw: RawEntry, file: string): RegistryEntry {
  const at = raw.at;
  const location = parseLocation(raw.location, "location", file, at);
  let prefix: string;
  if (raw.prefix === "") {
    if (location === "") tomlFail(file, at, "neither prefix nor location is set");
    prefix = location;
  } else {
    prefix = parseLocation(raw.prefix, "prefix", file, at);
    // Only a wildcard prefix may go without a location: its names are pulled as they are.
    if (!prefix.startsWith("*.") && location === "") {
      tomlFail(
        file,
        at,
        `location is not set, which only a wildcard prefix ("*.example.com") allows, and prefix ${JSON.stringify(prefix)} is not one`,
      );
    }
  }
  if (prefix.startsWith("*.") && /[/@:]/.test(prefix)) {
    tomlFail(
      file,
      at,
      `wildcard prefix ${JSON.stringify(prefix)} must be "*.example.com": no "/", "@" or ":"`,
    );
  }
  if (raw.pullFromMirror !== "") {
    tomlFail(
      file,
      at,
      "pull-from-mirror is for [[registry.mirror]] entries, not the registry itself",
    );
  }
  const mirrors = raw.mirrors.map((mirror): RegistryEndpoint => {
    const mirrorLocation = parseLocation(mirror.location, "location", file, mirror.at);
    if (mirrorLocation === "") tomlFail(file, mirror.at, "location is not set");
    if (raw.mirrorByDigestOnly && mirror.pullFromMirror !== "") {
      tomlFail(
        file,
        mirror.at,
        "pull-from-mirror cannot be set when the registry sets mirror-by-digest-only = true",
      );
    }
    const endpoint: RegistryEndpoint = { location: mirrorLocation, insecure: mirror.insecure };
    if (mirror.pullFromMirror !== "") {
      if (!PULL_FROM_MIRROR.includes(mirror.pullFromMirror)) {
        tomlFail(
          file,
          mirror.at,
          `pull-from-mirror ${JSON.stringify(mirror.pullFromMirror)} is not one of "all", "digest-only", "tag-only"`,
        );
      }
      endpoint.pullFromMirror = mirror.pullFromMirror as PullFromMirror;
    }
    return endpoint;
  });
  return {
    prefix,
    location,
    insecure: raw.insecure,
    blocked: raw.blocked,
    mirrorByDigestOnly: raw.mirrorByDigestOnly,
    mirrors,
    file,
  };
}

/**
 * One registry may back several prefixes (each with its own mirrors), but it is either secure or
 * not, blocked or not: entries sharing a location (or, without one, a prefix) must agree.
 */
function checkConflicts(entries: RegistryEntry[], raws: RawEntry[], file: string): void {
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const key = entry.location === "" ? entry.prefix : entry.location;
    const firstIndex = seen.get(key);
    if (firstIndex === undefined) {
      seen.set(key, index);
      return;
    }
    const first = entries[firstIndex] as RegistryEntry;
    for (const setting of ["insecure", "blocked"] as const) {
      if (first[setting] !== entry[setting]) {
        const firstAt = (raws[firstIndex] as RawEntry).at;
        tomlFail(
          file,
          (raws[index] as RawEntry).at,
          `registry ${JSON.stringify(key)} is defined multiple times with conflicting '${setting}' setting (${setting} = ${entry[setting]} here, ${first[setting]} in ${firstAt})`,
        );
      }
    }
  });
}

/** Unique by prefix and sorted, as containers/image keeps registries. */
function sortedByPrefix(entries: Iterable<RegistryEntry>): RegistryEntry[] {
  return [...entries].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}

/** Parse one file. dropIn: true for files from a registries.conf.d directory (v1 format refused there). */
export function parseRegistriesConf(
  text: string,
  file: string,
  options?: { dropIn?: boolean },
): RegistriesConf {
  // Debian's registries.conf (all comments) and podman's shortnames.conf define no registry.
  if (definesNoRegistries(text)) return { registries: [] };
  const top = tomlReader(parseTomlFile(text, file), file, "");
  const registryTables = top.tables("registry", "an array of tables ([[registry]])");
  // Read for their types only: a value Go could not decode fails the whole file there.
  top.strings("unqualified-search-registries");
  const helpers = top.strings("credential-helpers");
  const shortNameMode = top.string("short-name-mode") ?? "";
  const layerStoreHelper = top.string("additional-layer-store-auth-helper") ?? "";
  const aliases = top.table("aliases");
  for (const [name, value] of Object.entries(aliases ?? {})) {
    if (typeof value !== "string") {
      tomlFail(
        file,
        "[aliases]",
        `${JSON.stringify(name)} must be a string, not ${describeTomlValue(value)}`,
      );
    }
  }

  const v1 = readV1(top, file);
  let raws: RawEntry[];
  if (v1.size > 0) {
    const v1Keys = [...v1.keys()].map((name) => `[registries.${name}]`).join(", ");
    if (options?.dropIn === true) {
      tomlFail(
        file,
        "",
        `a registries.conf.d drop-in must use the v2 format, but sets ${v1Keys} (v1)`,
      );
    }
    // Go's "is it set" test: an empty string is unset, a present array or table is set.
    const v2Keys = [
      ...["registry", "unqualified-search-registries", "credential-helpers", "aliases"].filter(
        (key) => top.has(key),
      ),
      ...(shortNameMode === "" ? [] : ["short-name-mode"]),
      ...(layerStoreHelper === "" ? [] : ["additional-layer-store-auth-helper"]),
    ];
    if (v2Keys.length > 0) {
      tomlFail(
        file,
        "",
        `mixing v1 (${v1Keys}) and v2 (${v2Keys.join(", ")}) keys is not supported; use the v2 format only`,
      );
    }
    raws = convertV1(v1, file);
  } else {
    raws = readV2(registryTables ?? [], file);
  }

  const entries = raws.map((raw) => normalise(raw, file));
  checkConflicts(entries, raws, file);
  // The first entry for a prefix wins; containers/image drops later ones without a word.
  const byPrefix = new Map<string, RegistryEntry>();
  for (const entry of entries) {
    if (!byPrefix.has(entry.prefix)) byPrefix.set(entry.prefix, entry);
  }
  // An empty list counts as unset, as in containers/image (which then reads the auth files).
  return {
    registries: sortedByPrefix(byPrefix.values()),
    ...(helpers === undefined || helpers.length === 0
      ? {}
      : { credentialHelpers: { names: helpers, file } }),
  };
}

/**
 * A drop-in's entries replace the base's entries with the same prefix; the rest are kept; result
 * sorted by prefix. A drop-in's `credential-helpers` replaces the base's.
 */
export function mergeRegistriesConf(base: RegistriesConf, dropIn: RegistriesConf): RegistriesConf {
  const byPrefix = new Map<string, RegistryEntry>();
  for (const entry of [...base.registries, ...dropIn.registries]) byPrefix.set(entry.prefix, entry);
  const helpers = dropIn.credentialHelpers ?? base.credentialHelpers;
  return {
    registries: sortedByPrefix(byPrefix.values()),
    ...(helpers === undefined ? {} : { credentialHelpers: helpers }),
  };
}
