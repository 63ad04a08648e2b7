// containers' signature policy (containers-policy.json(5)), as skopeo applies it to the source of a
// copy: the requirements of the most specific scope that names the image (in its transport's
// section), else the transport's "" scope, else `default`; every requirement must accept. ocicompat
// verifies no signatures, so it accepts an image only where the requirements are all
// `insecureAcceptAnything`: `reject` refuses it, and a signature requirement (`signedBy`,
// `sigstoreSigned`, `signedBaseLayer`) refuses it too, saying so, instead of copying content the
// site wants verified without verifying it. Pure: the caller reads the file and resolves paths.
import { errorMessage, OcicompatError } from "../../oci/errors.js";
import { parseIJsonText } from "../../oci/ijson.js";
import { isObject } from "../../oci/json-value.js";
import type { Reference } from "../../oci/reference.js";
import {
  checkRequirement,
  checkTransportScope,
  invalidPolicy as invalid,
} from "./policy-checks.js";

/** The requirement types containers/image knows. */
const REQUIREMENT_TYPES = [
  "insecureAcceptAnything",
  "reject",
  "signedBy",
  "sigstoreSigned",
  "signedBaseLayer",
] as const;
export type RequirementType = (typeof REQUIREMENT_TYPES)[number];

export interface SignaturePolicy {
  file: string;
  default: RequirementType[];
  /** Transport name (`docker`, `oci`, `oci-archive`, ...) → scope → requirements. */
  transports: Map<string, Map<string, RequirementType[]>>;
}

/** The policy's transport section a reference falls under. */
export function transportOf(ref: Reference): string {
  return ref.scheme === "registry" ? "docker" : ref.scheme === "oci-layout" ? "oci" : "oci-archive";
}

/** The requirement list at `at`: a non-empty list of objects with a known `type`. */
function requirementsAt(value: unknown, at: string, file: string): RequirementType[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(file, `${at}: must be a non-empty list of requirements`);
  }
  return value.map((item, i) => {
    const type = isObject(item) ? item["type"] : undefined;
    if (!REQUIREMENT_TYPES.includes(type as RequirementType)) {
      throw invalid(
        file,
        `${at}[${i}].type: ${JSON.stringify(type)} is not a requirement type (${REQUIREMENT_TYPES.join(", ")})`,
      );
    }
    checkRequirement(item as Record<string, unknown>, type as string, `${at}[${i}]`, file);
    return type as RequirementType;
  });
}

/** Parses a policy file's text, as strictly as containers/image: unknown keys are errors. */
export function parseSignaturePolicy(text: string, file: string): SignaturePolicy {
  let value: unknown;
  try {
    value = parseIJsonText(text);
  } catch (err) {
    throw invalid(file, errorMessage(err));
  }
  if (!isObject(value)) throw invalid(file, "$: must be an object");
  const other = Object.keys(value).find((k) => k !== "default" && k !== "transports");
  if (other !== undefined) throw invalid(file, `$.${other}: unknown key`);
  if (value["default"] === undefined) throw invalid(file, "$.default: missing");
  const policy: SignaturePolicy = {
    file,
    default: requirementsAt(value["default"], "$.default", file),
    transports: new Map(),
  };
  const transports = value["transports"];
  if (transports === undefined) return policy;
  if (!isObject(transports)) throw invalid(file, "$.transports: must be an object");
  for (const [name, scopes] of Object.entries(transports)) {
    if (!isObject(scopes)) throw invalid(file, `$.transports.${name}: must be an object`);
    const byScope = new Map<string, RequirementType[]>();
    for (const [scope, reqs] of Object.entries(scopes)) {
      const at = `$.transports.${name}[${JSON.stringify(scope)}]`;
      checkTransportScope(name, scope, at, file);
      byScope.set(scope, requirementsAt(reqs, at, file));
    }
    policy.transports.set(name, byScope);
  }
  return policy;
}

/**
 * The scopes that may name `ref`, most specific first, as containers/image looks them up: for a
 * registry, `host/repo:tag` (or `@digest`), the repository and each parent namespace, the host,
 * then `*.domain` wildcards; for a layout or archive, its path (`resolvedPath`: absolute, symbolic
 * links resolved) and each parent directory.
 */
export function policyScopes(ref: Reference, resolvedPath?: string): string[] {
  if (ref.scheme !== "registry") {
    const scopes: string[] = [];
    for (let path = resolvedPath ?? ref.path; path.includes("/") && path !== "/";) {
      scopes.push(path);
      path = path.slice(0, path.lastIndexOf("/"));
    }
    return scopes;
  }
  const name = `${ref.registry}/${ref.repository}`;
  const identity =
    ref.digest !== undefined ? `${name}@${ref.digest}` : `${name}:${ref.tag ?? "latest"}`;
  const scopes = [identity];
  for (let ns = name; ; ns = ns.slice(0, ns.lastIndexOf("/"))) {
    scopes.push(ns);
    if (!ns.includes("/")) break;
  }
  let host = ref.registry.replace(/:\d+$/, "");
  for (let dot = host.indexOf("."); dot >= 0; dot = host.indexOf(".")) {
    host = host.slice(dot + 1);
    scopes.push(`*.${host}`);
  }
  return scopes;
}

export interface PolicyDecision {
  /** The section that applied: `transports.docker["example.com/team"]`, or `default`. */
  section: string;
  requirements: RequirementType[];
}

/** The requirements that apply to `ref`. */
export function requirementsFor(
  policy: SignaturePolicy,
  ref: Reference,
  resolvedPath?: string,
): PolicyDecision {
  const transport = transportOf(ref);
  const scopes = policy.transports.get(transport);
  if (scopes !== undefined) {
    for (const scope of [...policyScopes(ref, resolvedPath), ""]) {
      const requirements = scopes.get(scope);
      if (requirements !== undefined) {
        return { section: `transports.${transport}[${JSON.stringify(scope)}]`, requirements };
      }
    }
  }
  return { section: "default", requirements: policy.default };
}

/** Throws POLICY unless every requirement that applies to `ref` accepts it unverified. */
export function enforceSignaturePolicy(
  policy: SignaturePolicy,
  ref: Reference,
  shown: string,
  resolvedPath?: string,
): void {
  // containers/image refuses `name:tag@digest` outright; here it must pass under both names, so
  // that neither a tag's scope nor a digest's can be stepped around by writing the other too.
  const named: Reference[] =
    ref.scheme === "registry" && ref.tag !== undefined && ref.digest !== undefined
      ? [
          { scheme: "registry", registry: ref.registry, repository: ref.repository, tag: ref.tag },
          {
            scheme: "registry",
            registry: ref.registry,
            repository: ref.repository,
            digest: ref.digest,
          },
        ]
      : [ref];
  for (const one of named) enforceOne(policy, one, shown, resolvedPath);
}

function enforceOne(
  policy: SignaturePolicy,
  ref: Reference,
  shown: string,
  resolvedPath: string | undefined,
): void {
  const { section, requirements } = requirementsFor(policy, ref, resolvedPath);
  const where = `${section} of ${policy.file}`;
  if (requirements.includes("reject")) {
    throw new OcicompatError("POLICY", `the signature policy rejects it (${where})`, {
      subject: shown,
    });
  }
  const signed = requirements.filter((r) => r !== "insecureAcceptAnything");
  if (signed.length > 0) {
    throw new OcicompatError(
      "POLICY",
      `the signature policy requires ${[...new Set(signed)].join(" and ")} signatures (${where}), which ocicompat does not verify: copy it with skopeo, which does, or pass --insecure-policy to copy it unverified`,
      { subject: shown },
    );
  }
}
