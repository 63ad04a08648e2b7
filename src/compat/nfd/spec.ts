// NFD's image-compatibility specification (v1alpha1, docs/usage/image-compatibility.md of
// kubernetes-sigs/node-feature-discovery): `version` and `compatibilities[]` of
// `{rules, weight, tag, description}`, where rules are NodeFeatureRule rules (`name`,
// `matchFeatures`, `matchAny`). Read into a typed value with every problem located by JSON path.
//
// compspec/ocifit-k8s writes the same document with `matchExpressions` as a list of
// `{key, op, value}` and no `feature`, matched against the node's labels; it is read as a term on
// NFD's `local.label` feature (the labels a node publishes through NFD), with a warning.
import type { ValidationIssue } from "../../oci/errors.js";
import { formatJsonPath, type PathSegment } from "../../oci/json-path.js";
import { isObject } from "../../oci/json-value.js";
import { expressionProblem, type NfdExpression, type NfdOp } from "./expression.js";

export const NFD_SPEC_VERSION = "v1alpha1";
export const NFD_ARTIFACT_TYPE = "application/vnd.nfd.image-compatibility.v1alpha1";
export const NFD_SPEC_MEDIA_TYPE = "application/vnd.nfd.image-compatibility.spec.v1alpha1+yaml";
/** The feature ocifit-k8s's feature-less list-form expressions are read against. */
export const NODE_LABEL_FEATURE = "local.label";

export interface NfdTerm {
  feature: string;
  /** name → expression, in document order. */
  expressions: readonly (readonly [string, NfdExpression])[];
  matchName?: NfdExpression;
}

export interface NfdRule {
  name: string;
  /** All must match. */
  matchFeatures: readonly NfdTerm[];
  /** When not empty, one element (all of its terms) must match. */
  matchAny: readonly (readonly NfdTerm[])[];
}

export interface NfdCompatibility {
  index: number;
  rules: readonly NfdRule[];
  weight: number;
  tag?: string;
  description?: string;
}

export interface NfdSpec {
  version: string;
  compatibilities: readonly NfdCompatibility[];
}

export interface NfdSpecReading {
  spec?: NfdSpec;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** Whether a parsed document is shaped like an NFD spec: a version and rules in its sets. */
export function looksLikeNfdSpec(value: unknown): boolean {
  if (!isObject(value) || typeof value["version"] !== "string") return false;
  const list = value["compatibilities"];
  return Array.isArray(list) && list.some((c) => isObject(c) && "rules" in c);
}

class Reader {
  readonly errors: ValidationIssue[] = [];
  readonly warnings: ValidationIssue[] = [];

  error(at: readonly PathSegment[], message: string): void {
    this.errors.push({ path: formatJsonPath(at), message });
  }

  warn(at: readonly PathSegment[], message: string): void {
    this.warnings.push({ path: formatJsonPath(at), message });
  }

  /** `value` as a list of strings; integers and booleans are read as text, with a warning. */
  values(raw: unknown, at: readonly PathSegment[]): string[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      this.error(at, "must be an array of strings");
      return [];
    }
    return raw.map((v: unknown, i) => {
      if (typeof v === "string") return v;
      if (typeof v === "boolean" || (typeof v === "number" && Number.isInteger(v))) {
        this.warn([...at, i], `is the ${typeof v} ${String(v)}; NFD values are strings`);
        return String(v);
      }
      this.error([...at, i], "must be a string");
      return "";
    });
  }

  /**
   * NFD decodes specs with Go's encoding/json, which matches field names without regard to case:
   * `MatchExpressions` is a requirement there. Reading it as an unknown key here would drop the
   * requirement, so a field spelt in another case is an error, never ignored.
   */
  fieldCase(
    raw: Record<string, unknown>,
    at: readonly PathSegment[],
    known: readonly string[],
  ): void {
    for (const key of Object.keys(raw)) {
      if (known.includes(key)) continue;
      const meant = known.find((k) => k.toLowerCase() === key.toLowerCase());
      if (meant !== undefined) {
        this.error(
          [...at, key],
          `is spelt ${meant} in NFD, which reads field names regardless of case; write ${meant}`,
        );
      }
    }
  }

  expression(raw: unknown, at: readonly PathSegment[]): NfdExpression | undefined {
    if (!isObject(raw)) {
      this.error(at, "must be an object {op, value}");
      return undefined;
    }
    this.fieldCase(raw, at, ["op", "value", "key", "type"]);
    if (raw["type"] !== undefined) {
      // NFD (after v0.17) compares Gt/Lt/GtLt as versions with `type: version`; as integers here
      // the answer would differ, so the expression is refused rather than read another way.
      this.error([...at, "type"], "typed comparisons (type: version) are not supported");
      return undefined;
    }
    const op = raw["op"];
    if (typeof op !== "string") {
      this.error([...at, "op"], "must be a string");
      return undefined;
    }
    const value = this.values(raw["value"], [...at, "value"]);
    const problem = expressionProblem(op, value);
    if (problem !== undefined) {
      this.error(at, problem);
      return undefined;
    }
    return { op: op as NfdOp, value };
  }

  term(raw: unknown, at: readonly PathSegment[]): NfdTerm | undefined {
    if (!isObject(raw)) {
      this.error(at, "must be an object {feature, matchExpressions, matchName}");
      return undefined;
    }
    this.fieldCase(raw, at, ["feature", "matchExpressions", "matchName"]);
    const expr = raw["matchExpressions"];
    let feature = raw["feature"];
    const expressions: [string, NfdExpression][] = [];
    if (Array.isArray(expr)) {
      // ocifit-k8s's list form: [{key, op, value}] over the node's labels.
      if (feature === undefined) {
        this.warn(
          [...at, "matchExpressions"],
          `is a list of {key, op, value} (compspec/ocifit-k8s) with no feature: read as expressions on the node's labels (NFD feature ${NODE_LABEL_FEATURE})`,
        );
        feature = NODE_LABEL_FEATURE;
      }
      expr.forEach((item: unknown, i) => {
        const where = [...at, "matchExpressions", i];
        const key = isObject(item) ? item["key"] : undefined;
        if (typeof key !== "string") return this.error([...where, "key"], "must be a string");
        const e = this.expression(item, where);
        if (e) expressions.push([key, e]);
      });
    } else if (isObject(expr)) {
      for (const [name, e] of Object.entries(expr)) {
        const read = this.expression(e, [...at, "matchExpressions", name]);
        if (read) expressions.push([name, read]);
      }
    } else if (expr !== undefined && expr !== null) {
      this.error([...at, "matchExpressions"], "must be a map of name to {op, value}");
    }
    if (typeof feature !== "string" || feature === "") {
      this.error([...at, "feature"], "must name an NFD feature such as cpu.cpuid or pci.device");
      return undefined;
    }
    const term: NfdTerm = { feature, expressions };
    if (raw["matchName"] !== undefined && raw["matchName"] !== null) {
      const m = this.expression(raw["matchName"], [...at, "matchName"]);
      if (m) term.matchName = m;
    }
    return term;
  }

  terms(raw: unknown, at: readonly PathSegment[]): NfdTerm[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      this.error(at, "must be an array of feature matchers");
      return [];
    }
    return raw.flatMap((t: unknown, i) => this.term(t, [...at, i]) ?? []);
  }

  rule(raw: unknown, at: readonly PathSegment[]): NfdRule | undefined {
    if (!isObject(raw)) {
      this.error(at, "must be a NodeFeatureRule rule {name, matchFeatures, matchAny}");
      return undefined;
    }
    this.fieldCase(raw, at, ["name", "matchFeatures", "matchAny"]);
    for (const key of Object.keys(raw)) {
      if (key.startsWith("match") && key !== "matchFeatures" && key !== "matchAny")
        this.error(
          [...at, key],
          `is not an NFD matcher (NFD rules match with matchFeatures and matchAny); ocicompat cannot evaluate it`,
        );
    }
    const name = raw["name"];
    if (name !== undefined && typeof name !== "string")
      this.error([...at, "name"], "must be a string");
    const matchFeatures = this.terms(raw["matchFeatures"], [...at, "matchFeatures"]);
    const anyRaw = raw["matchAny"];
    const matchAny: NfdTerm[][] = [];
    if (Array.isArray(anyRaw)) {
      anyRaw.forEach((el: unknown, i) => {
        const where = [...at, "matchAny", i];
        if (!isObject(el)) return this.error(where, "must be an object {matchFeatures}");
        matchAny.push(this.terms(el["matchFeatures"], [...where, "matchFeatures"]));
      });
    } else if (anyRaw !== undefined && anyRaw !== null) {
      this.error([...at, "matchAny"], "must be an array of {matchFeatures}");
    }
    if (matchFeatures.length === 0 && matchAny.length === 0 && this.errors.length === 0)
      this.error(at, "has neither matchFeatures nor matchAny, so it would match every node");
    return { name: typeof name === "string" ? name : "", matchFeatures, matchAny };
  }

  compatibility(raw: unknown, index: number): NfdCompatibility | undefined {
    const at = ["compatibilities", index];
    if (!isObject(raw)) {
      this.error(at, "must be an object {rules, weight, tag, description}");
      return undefined;
    }
    this.fieldCase(raw, at, ["rules", "weight", "tag", "description"]);
    const rulesRaw = raw["rules"];
    if (!Array.isArray(rulesRaw) || rulesRaw.length === 0) {
      this.error([...at, "rules"], "must be a non-empty array of NodeFeatureRule rules");
    }
    const rules = (Array.isArray(rulesRaw) ? rulesRaw : []).flatMap(
      (r: unknown, i) => this.rule(r, [...at, "rules", i]) ?? [],
    );
    const weight = raw["weight"] ?? 0;
    if (typeof weight !== "number" || !Number.isInteger(weight))
      this.error([...at, "weight"], "must be an integer");
    const out: NfdCompatibility = {
      index,
      rules,
      weight: typeof weight === "number" && Number.isInteger(weight) ? weight : 0,
    };
    for (const key of ["tag", "description"] as const) {
      const v = raw[key];
      if (v === undefined) continue;
      if (typeof v === "string") out[key] = v;
      else this.error([...at, key], "must be a string");
    }
    return out;
  }
}

/** Reads an NFD image-compatibility spec; `spec` is set only when there are no errors. */
export function readNfdSpec(value: unknown): NfdSpecReading {
  const r = new Reader();
  if (!isObject(value)) {
    r.error([], "must be an object {version, compatibilities}");
    return { errors: r.errors, warnings: r.warnings };
  }
  const version = value["version"];
  if (typeof version !== "string") r.error(["version"], "must be a string");
  else if (version !== NFD_SPEC_VERSION)
    r.warn(["version"], `"${version}" is not ${NFD_SPEC_VERSION}; read as ${NFD_SPEC_VERSION}`);
  const list = value["compatibilities"];
  if (!Array.isArray(list) || list.length === 0) {
    r.error(["compatibilities"], "must be a non-empty array");
    return { errors: r.errors, warnings: r.warnings };
  }
  const compatibilities = list.flatMap((c: unknown, i) => r.compatibility(c, i) ?? []);
  const reading: NfdSpecReading = { errors: r.errors, warnings: r.warnings };
  if (r.errors.length === 0)
    reading.spec = { version: typeof version === "string" ? version : "", compatibilities };
  return reading;
}
