// The mirror's configuration file (YAML or JSON), checked strictly: an unknown key or a value of
// the wrong type is an error naming the file and the key, since a typo in a node agent's config
// would otherwise silently change what every pull on the node gets. Durations stay text here; the
// CLI reads them as it reads --timeout. Command-line flags override the file.
import { OcicompatError } from "../../oci/errors.js";
import { isObject } from "../../oci/json-value.js";
import { readDocument } from "../read-document.js";
import { DEFAULT_MIRROR_HOST, DEFAULT_MIRROR_PORT } from "./server.js";

export interface MirrorFileConfig {
  listen?: string;
  upstreams?: string[];
  node?: string;
  platform?: string;
  onIncompatible?: "passthrough" | "fail";
  timeout?: string;
  verdictTtl?: string;
  cache?: boolean;
  cacheBlobs?: boolean;
  plainHttp?: boolean;
  insecure?: boolean;
  tlsVerify?: boolean;
  caFile?: string;
  /** Whose credential-helpers the upstream credentials follow; false: no registries.conf. */
  registriesConf?: string | false;
  labels?: string[];
}

type Kind = "string" | "strings" | "boolean" | "policy" | "fileOrFalse";

const KEYS: Record<keyof MirrorFileConfig, Kind> = {
  listen: "string",
  upstreams: "strings",
  node: "string",
  platform: "string",
  onIncompatible: "policy",
  timeout: "string",
  verdictTtl: "string",
  cache: "boolean",
  cacheBlobs: "boolean",
  plainHttp: "boolean",
  insecure: "boolean",
  tlsVerify: "boolean",
  caFile: "string",
  registriesConf: "fileOrFalse",
  labels: "strings",
};

function fits(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string" && value !== "";
    case "strings":
      return Array.isArray(value) && value.every((v) => typeof v === "string" && v !== "");
    case "boolean":
      return typeof value === "boolean";
    case "policy":
      return value === "passthrough" || value === "fail";
    case "fileOrFalse":
      return value === false || (typeof value === "string" && value !== "");
  }
}

const EXPECTED: Record<Kind, string> = {
  string: "a non-empty string",
  strings: "a list of non-empty strings",
  boolean: "true or false",
  policy: "passthrough or fail",
  fileOrFalse: "a file name, or false",
};

/** Checks a parsed configuration document; `file` is named in every error. */
export function checkMirrorConfig(value: unknown, file: string): MirrorFileConfig {
  if (!isObject(value)) {
    throw new OcicompatError("VALIDATION", "the mirror configuration must be a mapping", {
      subject: file,
    });
  }
  for (const [key, v] of Object.entries(value)) {
    const kind = KEYS[key as keyof MirrorFileConfig] as Kind | undefined;
    if (kind === undefined) {
      throw new OcicompatError(
        "VALIDATION",
        `$.${key}: unknown key (known: ${Object.keys(KEYS).join(", ")})`,
        { subject: file },
      );
    }
    if (!fits(kind, v)) {
      throw new OcicompatError("VALIDATION", `$.${key}: must be ${EXPECTED[kind]}`, {
        subject: file,
      });
    }
  }
  return value as MirrorFileConfig;
}

export async function loadMirrorConfig(file: string): Promise<MirrorFileConfig> {
  const { value } = await readDocument(file);
  return checkMirrorConfig(value, file);
}

/** `ADDR:PORT`, `[v6]:PORT`, `:PORT` (loopback) or `ADDR` (the default port). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2] ?? "";
  const port = m?.[3] === undefined ? DEFAULT_MIRROR_PORT : Number(m[3]);
  if (!m || port > 65535 || (host === "" && m[3] === undefined)) {
    throw new OcicompatError(
      "USAGE",
      `--listen ${JSON.stringify(text)} is not ADDR:PORT (like 127.0.0.1:${DEFAULT_MIRROR_PORT})`,
    );
  }
  return { host: host === "" ? DEFAULT_MIRROR_HOST : host, port };
}
