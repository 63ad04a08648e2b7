// containerd's hosts.toml (in a registry's directory under a hosts dir, such as
// /etc/containerd/certs.d/docker.io/hosts.toml), read as containerd v2's hosts.go reads it, so that
// ocicompat sends a registry's requests to the same mirrors, with the same TLS files, as containerd.
// Pure: text in, values out; reading the file and the certificate files it names is the caller's.
//
// Where this departs from containerd:
// * A file that does not parse (syntax, types, unknown capability) is refused; containerd logs it and
//   falls back to the directory's *.crt/*.cert files, sending requests elsewhere unnoticed.
// * `[header]` values go to the host and the token service it names, not to a redirect target on
//   another origin (Go's client copies them there).
// * A URL with user info, no host, a non-numeric port or a scheme other than http/https is refused;
//   Go's url.Parse lets these through and containerd fails later, or silently drops the part.
// * Hosts written as dotted keys or inline tables count, in file order; containerd only uses hosts
//   that have a `[host."…"]` table header.
import { posix } from "node:path";
import {
  describeTomlValue,
  isTomlTable,
  parseTomlFile,
  tomlFail,
  tomlReader,
  type TomlReader,
  type TomlTable,
} from "./toml.js";

export type HostCapability = "pull" | "resolve" | "push" | "referrers";

export interface HostsTomlHost {
  /** Where this entry was written, for messages: `server`, or `[host."https://mirror.example"]`. */
  at: string;
  /** From the URL; "https" when the value has no scheme. */
  scheme: "http" | "https";
  /** host[:port] from the URL; "" for the server entry when `server` is not set (the registry itself). */
  host: string;
  /** The API root: "/v2" by default; URL path + "/v2" (path.Clean'ed, no double "/v2"); with override_path = true, the URL path as it is (cleaned), "" for no path: the server root, as containerd leaves it. */
  apiRoot: string;
  /** Default (key absent or empty array): all four. */
  capabilities: HostCapability[];
  /** `ca`: a string or an array of strings; relative paths are joined to `dir`. */
  caFiles: string[];
  /** `client`: a string (cert and key in one file: key undefined), an array of strings (each such a file), or an array of [cert, key] pairs (key "" also means: in the cert file). Relative paths joined to `dir`. */
  clientCerts: { cert: string; key?: string }[];
  /** `skip_verify`; undefined when absent. */
  skipVerify?: boolean;
  /** `[header]`, names in lower case: sent with every request to this host and its token service. */
  headers: Record<string, string[]>;
}

export interface HostsToml {
  file: string;
  /** The [host."URL"] tables in the order they appear in the file. */
  hosts: HostsTomlHost[];
  /** The top-level entry: `server` and the top-level keys (capabilities, ca, client, skip_verify, override_path). */
  server: HostsTomlHost;
}

/** In the order ocicompat keeps them, whatever order the file lists them in. */
export const HOST_CAPABILITIES = ["pull", "resolve", "push", "referrers"] as const;

type Table = TomlTable;

function absolute(path: string, dir: string): string {
  return posix.isAbsolute(path) ? path : posix.join(dir, path);
}

type Reader = TomlReader;

const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/;
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::[0-9]+)?$/;

function apiRootOf(path: string, overridePath: boolean): string {
  if (path === "") return overridePath ? "" : "/v2";
  // Go's path.Clean, for a path that starts with "/": normalize keeps a trailing "/", Clean does not.
  const clean = posix.normalize(path).replace(/(?<=.)\/$/, "");
  if (overridePath || clean.endsWith("/v2")) return clean;
  // containerd appends to "/" as well, making "//v2", which is not the registry's /v2 root.
  return clean === "/" ? "/v2" : `${clean}/v2`;
}

function parseServerUrl(raw: string, overridePath: boolean, file: string, at: string) {
  const bad = (why: string): never => tomlFail(file, at, `${JSON.stringify(raw)}${why}`);
  const shape = URL_SHAPE.exec(raw.startsWith("http") ? raw : `https://${raw}`);
  if (shape === null) return bad(" is not a URL");
  const [, rawScheme = "", host = "", rawPath = ""] = shape;
  const scheme = rawScheme.toLowerCase();
  if (scheme !== "http" && scheme !== "https") bad(`: the scheme must be http or https`);
  if (host.includes("@")) bad(": user info is not used; remove it");
  if (!HOST_PORT.test(host)) bad(`: "${host}" is not a host name with an optional port`);
  // Kept escaped, as it goes into request URLs; Go refuses a broken escape, so this does too.
  if (/%(?![0-9A-Fa-f]{2})/.test(rawPath)) bad(": the path has an invalid %-escape");
  return { scheme: scheme as "http" | "https", host, apiRoot: apiRootOf(rawPath, overridePath) };
}

function readCapabilities(r: Reader): HostCapability[] {
  // containerd decodes into []string: a lone string is a type error there, unlike for `ca`.
  const written = r.strings("capabilities") ?? [];
  if (written.length === 0) return [...HOST_CAPABILITIES];
  const wanted = new Set<string>();
  for (const name of written) {
    const lower = name.toLowerCase();
    if (!(HOST_CAPABILITIES as readonly string[]).includes(lower)) {
      r.fail(`unknown capability "${name}" (${HOST_CAPABILITIES.join(", ")})`);
    }
    wanted.add(lower);
  }
  return HOST_CAPABILITIES.filter((c) => wanted.has(c));
}

function readClient(r: Reader, dir: string): HostsTomlHost["clientCerts"] {
  const value = r.get("client");
  if (value === undefined) return [];
  const abs = (p: string): string => absolute(p, dir);
  if (typeof value === "string") return [{ cert: abs(value) }];
  if (!Array.isArray(value)) return r.wrong("client", "a file name or an array", value);
  return value.map((item: unknown, index) => {
    if (typeof item === "string") return { cert: abs(item) };
    if (Array.isArray(item) && item.length === 2 && item.every((v) => typeof v === "string")) {
      const [cert, key] = item as [string, string];
      return key === "" ? { cert: abs(cert) } : { cert: abs(cert), key: abs(key) };
    }
    const what = `${describeTomlValue(item)}${Array.isArray(item) ? ` of ${item.length}` : ""}`;
    return r.fail(`client[${index}] must be a file name or a [cert, key] pair, not ${what}`);
  });
}

// An HTTP field name (RFC 9110 token).
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A header value without control characters (tab allowed), as HTTP requires. */
function isFieldValue(value: string): boolean {
  for (const char of value) {
    const code = char.charCodeAt(0);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return false;
  }
  return true;
}

/** `[header]`: each key a string or an array of strings, as containerd reads it. */
function readHeaders(r: Reader, file: string, at: string): Record<string, string[]> {
  const header = r.get("header");
  if (header === undefined) return {};
  if (!isTomlTable(header)) return r.wrong("header", "a table", header);
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(header)) {
    const values = typeof value === "string" ? [value] : value;
    if (!Array.isArray(values) || !values.every((v) => typeof v === "string")) {
      tomlFail(
        file,
        at,
        `header ${JSON.stringify(name)} must be a string or an array of strings, not ${describeTomlValue(value)}`,
      );
    }
    if (!FIELD_NAME.test(name))
      tomlFail(file, at, `header ${JSON.stringify(name)} is not an HTTP header name`);
    const bad = (values as string[]).find((v) => !isFieldValue(v));
    if (bad !== undefined)
      tomlFail(file, at, `header ${JSON.stringify(name)} has a value with a control character`);
    headers[name.toLowerCase()] = values as string[];
  }
  return headers;
}

// `at` names the table in key messages ("" for the top level), `entryAt` the entry (`server` or
// `[host."URL"]`); `url` is undefined for the top level without `server`.
type Entry = { table: Table; at: string; entryAt: string; url: string | undefined };

function readEntry({ table, at, entryAt, url }: Entry, file: string, dir: string): HostsTomlHost {
  const r = tomlReader(table, file, at);
  const overridePath = r.bool("override_path") ?? false;
  const capabilities = readCapabilities(r);
  const ca = r.strings("ca", "a file name or an array of file names") ?? [];
  const clientCerts = readClient(r, dir);
  const skipVerify = r.bool("skip_verify");
  // Only the type is checked: ocicompat's own connect timeout applies to every host.
  r.string("dial_timeout");
  const headers = readHeaders(r, file, at);
  // With no `server`, containerd's ConfigureHosts makes this entry the registry itself at "/v2"
  // with every capability, whatever override_path and capabilities say; TLS settings stay.
  const place =
    url === undefined
      ? { scheme: "https" as const, host: "", apiRoot: "/v2" }
      : parseServerUrl(url, overridePath, file, entryAt);
  return {
    at: entryAt,
    ...place,
    capabilities: url === undefined ? [...HOST_CAPABILITIES] : capabilities,
    caFiles: ca.map((p) => absolute(p, dir)),
    clientCerts,
    ...(skipVerify === undefined ? {} : { skipVerify }),
    headers,
  };
}

/** `dir` is the directory holding the file (relative paths in it are relative to that directory). */
export function parseHostsToml(text: string, file: string, dir: string): HostsToml {
  const top = parseTomlFile(text, file);
  const server = tomlReader(top, file, "").string("server");
  // containerd orders hosts by their `[host."…"]` headers and looks them up in `host` exactly:
  // a `Host` table never becomes a host there, so it is an unknown key here.
  const hostTable = top["host"];
  if (hostTable !== undefined && !isTomlTable(hostTable)) {
    tomlFail(
      file,
      "",
      `host must be a table of [host."URL"] tables, not ${describeTomlValue(hostTable)}`,
    );
  }
  // smol-toml keeps keys in the order they are first written, which is the headers' file order
  // (integer-like keys aside, which JavaScript lists first; no URL looks like one).
  const hosts = Object.entries(hostTable ?? {}).map(([url, value]) => {
    const at = `[host.${JSON.stringify(url)}]`;
    if (!isTomlTable(value)) tomlFail(file, at, `must be a table, not ${describeTomlValue(value)}`);
    if (url === "") tomlFail(file, at, "the host URL is empty");
    return readEntry({ table: value, at, entryAt: at, url }, file, dir);
  });
  const url = server === "" ? undefined : server;
  const serverEntry = readEntry({ table: top, at: "", entryAt: "server", url }, file, dir);
  return { file, hosts, server: serverEntry };
}
