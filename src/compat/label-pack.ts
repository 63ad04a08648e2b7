// Label packs: YAML or JSON files in which a community declares its own compatibility labels
// (type, documentation, discovery command). Parsing is strict, because a typo in a pack would
// otherwise silently turn a label into an untyped string.

import { ValidationError, type ValidationIssue } from "../oci/errors.js";
import { childPath } from "../oci/json-path.js";
import { parseYaml } from "./yaml.js";
import { BUILTIN_LABELS, RESERVED_KEYS } from "./catalog.js";
import type { LabelDefinition, LabelExample } from "./label-definition.js";
import { LabelTypes, type LabelType } from "./label-types.js";

/** The only apiVersion this parser reads. It claims no DNS domain because the project owns none. */
export const LABEL_PACK_API_VERSION = "ocicompat/v1alpha1";
/**
 * The same schema under the project's former name (ocifit). Packs written for earlier builds keep
 * loading; nothing writes this value.
 */
const FORMER_LABEL_PACK_API_VERSIONS: readonly unknown[] = ["ocifit/v1alpha1"];
export const LABEL_PACK_KIND = "LabelPack";

/**
 * Pack label names: at least three dot-separated lower-case segments (a reverse-DNS prefix
 * plus a name, like `org.openmpi.version`), each of letters, digits and inner hyphens.
 */
export const PACK_LABEL_NAME =
  /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?){2,}$/;
const MAX_NAME_LENGTH = 128;
const MAX_SUMMARY_LENGTH = 200;
const MAX_TIMEOUT_MS = 300_000;

const TOP_LEVEL_FIELDS = ["apiVersion", "kind", "description", "labels"];
const LABEL_FIELDS = [
  "name",
  "type",
  "aliases",
  "summary",
  "explanation",
  "examples",
  "docs",
  "nfd",
  "discovery",
];
const EXAMPLE_FIELDS = ["value", "meaning"];
const NFD_FIELDS = ["feature", "note"];
const DISCOVERY_FIELDS = ["command", "timeoutMs"];

type Json = Record<string, unknown>;

/** Collects every problem of a pack, so one run reports them all. */
class Checker {
  readonly issues: ValidationIssue[] = [];

  fail(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  /** The object at `path`, after reporting keys outside `allowed`. */
  mapping(value: unknown, path: string, allowed: readonly string[]): Json | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.fail(path, "must be a mapping");
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.fail(childPath(path, key), `is not a known field (expected ${allowed.join(", ")})`);
      }
    }
    return value as Json;
  }

  /** A string field; YAML scalars that parsed as numbers or booleans are asked to be quoted. */
  text(
    obj: Json,
    key: string,
    path: string,
    rule: { required: boolean; oneLine?: boolean; max?: number },
  ): string | undefined {
    const at = childPath(path, key);
    const value = obj[key];
    if (value === undefined || value === null) {
      return rule.required ? this.fail(at, "is required") : undefined;
    }
    if (typeof value !== "string") {
      const scalar = typeof value === "number" || typeof value === "boolean";
      return this.fail(at, scalar ? "must be a string (quote it)" : "must be a string");
    }
    if (value.trim() === "") return this.fail(at, "must not be empty");
    if (rule.oneLine && /[\r\n]/.test(value)) return this.fail(at, "must be a single line");
    if (rule.max !== undefined && value.length > rule.max) {
      return this.fail(at, `must be at most ${rule.max} characters`);
    }
    return value.trim();
  }

  /** A list field, or undefined when absent. */
  list(obj: Json, key: string, path: string): unknown[] | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) return this.fail(childPath(path, key), "must be a list");
    return value;
  }
}

/** Built-in names and aliases: a pack may add `oci.*` labels, never redefine these. */
const BUILTIN_KEYS: ReadonlyMap<string, string> = new Map(
  BUILTIN_LABELS.flatMap((def) =>
    [def.name, ...def.aliases].map((key) => [key, def.name] as const),
  ),
);

function nameProblem(name: string): string | undefined {
  if (RESERVED_KEYS.includes(name)) return `${name} is a reserved compatibility-set key`;
  // The proposals use oci.* labels the catalog lacks (Proposal H's oci.os.openmpi); a pack may
  // declare those, but a built-in label keeps its one meaning.
  const builtin = BUILTIN_KEYS.get(name);
  if (builtin !== undefined) {
    return `${name} is the built-in label ${builtin}; a label pack can add oci.* labels but not redefine built-in ones`;
  }
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  if (!PACK_LABEL_NAME.test(name)) {
    return "must be lower-case dot-separated segments of letters, digits and inner hyphens, at least three of them (e.g. org.openmpi.version)";
  }
  return undefined;
}

function checkName(c: Checker, value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return c.fail(path, "is required");
  if (typeof value !== "string") return c.fail(path, "must be a string");
  const problem = nameProblem(value);
  return problem === undefined ? value : c.fail(path, problem);
}

function checkType(c: Checker, obj: Json, path: string): LabelType | undefined {
  const at = childPath(path, "type");
  const value = obj.type;
  if (value === undefined || value === null) return c.fail(at, "is required");
  if (typeof value === "string" && (LabelTypes as readonly string[]).includes(value)) {
    return value as LabelType;
  }
  return c.fail(at, `must be one of ${LabelTypes.join(", ")}`);
}

function checkExamples(c: Checker, obj: Json, path: string): LabelExample[] {
  const items = c.list(obj, "examples", path) ?? [];
  const out: LabelExample[] = [];
  items.forEach((item, i) => {
    const at = childPath(childPath(path, "examples"), i);
    const ex = c.mapping(item, at, EXAMPLE_FIELDS);
    if (!ex) return;
    const value = c.text(ex, "value", at, { required: true, oneLine: true });
    const meaning = c.text(ex, "meaning", at, { required: true, oneLine: true });
    if (value !== undefined && meaning !== undefined) out.push({ value, meaning });
  });
  return out;
}

function checkDocs(c: Checker, obj: Json, path: string): string | undefined {
  const docs = c.text(obj, "docs", path, { required: false, oneLine: true });
  if (docs === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(docs);
  } catch {
    return c.fail(childPath(path, "docs"), "must be an absolute http or https URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return c.fail(childPath(path, "docs"), "must be an absolute http or https URL");
  }
  return docs;
}

function checkNfd(c: Checker, obj: Json, path: string): LabelDefinition["nfd"] {
  if (obj.nfd === undefined || obj.nfd === null) return undefined;
  const at = childPath(path, "nfd");
  const nfd = c.mapping(obj.nfd, at, NFD_FIELDS);
  if (!nfd) return undefined;
  const feature = c.text(nfd, "feature", at, { required: true, oneLine: true });
  const note = c.text(nfd, "note", at, { required: false });
  if (feature === undefined) return undefined;
  return note === undefined ? { feature } : { feature, note };
}

function commandArgProblem(arg: unknown, index: number): string | undefined {
  if (typeof arg !== "string") return "must be a string";
  // exec can't pass NUL, and an empty program name can't be found.
  if (arg.includes("\0")) return "must not contain NUL";
  if (index === 0 && arg.trim() === "") return "must name a program";
  return undefined;
}

function checkDiscovery(c: Checker, obj: Json, path: string): LabelDefinition["discovery"] {
  if (obj.discovery === undefined || obj.discovery === null) return undefined;
  const at = childPath(path, "discovery");
  const discovery = c.mapping(obj.discovery, at, DISCOVERY_FIELDS);
  if (!discovery) return undefined;

  const commandAt = childPath(at, "command");
  const raw = discovery.command;
  let command: string[] | undefined;
  if (raw === undefined || raw === null) {
    c.fail(commandAt, "is required");
  } else if (!Array.isArray(raw)) {
    // A single string would have to be split, and splitting is a shell's job: refuse it.
    c.fail(commandAt, "must be a list of program and arguments, e.g. [ompi_info, --version]");
  } else if (raw.length === 0) {
    c.fail(commandAt, "must name a program");
  } else {
    const ok = raw.every((arg: unknown, i) => {
      const problem = commandArgProblem(arg, i);
      if (problem !== undefined) c.fail(childPath(commandAt, i), problem);
      return problem === undefined;
    });
    if (ok) command = raw as string[];
  }

  const timeoutAt = childPath(at, "timeoutMs");
  const timeout = discovery.timeoutMs;
  let timeoutMs: number | undefined;
  if (timeout !== undefined && timeout !== null) {
    if (
      typeof timeout !== "number" ||
      !Number.isInteger(timeout) ||
      timeout < 1 ||
      timeout > MAX_TIMEOUT_MS
    ) {
      c.fail(timeoutAt, `must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`);
    } else {
      timeoutMs = timeout;
    }
  }

  if (command === undefined) return undefined;
  return timeoutMs === undefined ? { command } : { command, timeoutMs };
}

interface CheckedLabel {
  label: LabelDefinition;
  /** Each valid name and alias with the JSONPath it was written at, for duplicate reports. */
  keys: [key: string, path: string][];
}

function checkLabel(c: Checker, item: unknown, path: string): CheckedLabel | undefined {
  const obj = c.mapping(item, path, LABEL_FIELDS);
  if (!obj) return undefined;

  const name = checkName(c, obj.name, childPath(path, "name"));
  const type = checkType(c, obj, path);
  const aliasKeys: [string, string][] = [];
  (c.list(obj, "aliases", path) ?? []).forEach((alias, i) => {
    const at = childPath(childPath(path, "aliases"), i);
    const checked = checkName(c, alias, at);
    if (checked !== undefined) aliasKeys.push([checked, at]);
  });
  const summary = c.text(obj, "summary", path, {
    required: true,
    oneLine: true,
    max: MAX_SUMMARY_LENGTH,
  });
  const explanation = c.text(obj, "explanation", path, { required: false });
  const examples = checkExamples(c, obj, path);
  const docs = checkDocs(c, obj, path);
  const nfd = checkNfd(c, obj, path);
  const discovery = checkDiscovery(c, obj, path);

  if (name === undefined || type === undefined || summary === undefined) return undefined;
  const label: LabelDefinition = {
    name,
    type,
    aliases: aliasKeys.map(([alias]) => alias),
    summary,
    // A pack may stop at the summary; `ocicompat explain` still has a sentence to show.
    explanation: explanation ?? summary,
    examples,
    source: "pack",
    ...(nfd ? { nfd } : {}),
    ...(discovery ? { discovery } : {}),
    ...(docs !== undefined ? { docs } : {}),
  };
  return { label, keys: [[name, childPath(path, "name")], ...aliasKeys] };
}

/**
 * Parses and validates one label pack. `source` names the file in errors. Every problem is
 * reported at once, each located by a JSONPath.
 */
export function parseLabelPack(text: string, source: string): LabelDefinition[] {
  const data = parseYaml(text, source);
  const c = new Checker();
  const root = c.mapping(data, "$", TOP_LEVEL_FIELDS);
  if (!root) throw new ValidationError(source, c.issues);

  const apiVersion = root.apiVersion;
  if (apiVersion === undefined || apiVersion === null) {
    c.fail("$.apiVersion", `is required (${LABEL_PACK_API_VERSION})`);
  } else if (
    apiVersion !== LABEL_PACK_API_VERSION &&
    !FORMER_LABEL_PACK_API_VERSIONS.includes(apiVersion)
  ) {
    c.fail("$.apiVersion", `must be ${LABEL_PACK_API_VERSION}`);
  }
  if (root.kind === undefined || root.kind === null) {
    c.fail("$.kind", `is required (${LABEL_PACK_KIND})`);
  } else if (root.kind !== LABEL_PACK_KIND) {
    c.fail("$.kind", `must be ${LABEL_PACK_KIND}`);
  }
  c.text(root, "description", "$", { required: false });

  const items = c.list(root, "labels", "$");
  if (items === undefined) {
    if (root.labels === undefined || root.labels === null) c.fail("$.labels", "is required");
  } else if (items.length === 0) {
    c.fail("$.labels", "must declare at least one label");
  }

  const labels: LabelDefinition[] = [];
  const firstUse = new Map<string, string>();
  (items ?? []).forEach((item, i) => {
    const path = childPath("$.labels", i);
    const checked = checkLabel(c, item, path);
    if (!checked) return;
    const { label, keys } = checked;
    for (const [key, at] of keys) {
      const earlier = firstUse.get(key);
      if (earlier !== undefined) c.fail(at, `${key} is already declared at ${earlier}`);
      else firstUse.set(key, at);
    }
    labels.push(label);
  });

  if (c.issues.length > 0) throw new ValidationError(source, c.issues);
  return labels;
}
