// What containers/image refuses in a signature policy, beyond its shape: each requirement's own
// fields (signature requirements included: a policy skopeo would refuse as a whole must not let
// ocicompat copy what its other scopes accept) and each known transport's scope rules. Pure.
import { OcicompatError } from "../../oci/errors.js";
import { isObject } from "../../oci/json-value.js";
import { parseReference } from "../../oci/reference.js";

type Json = Record<string, unknown>;

export function invalidPolicy(file: string, message: string): OcicompatError {
  return new OcicompatError("VALIDATION", `invalid signature policy: ${message}`, {
    subject: file,
  });
}

/** The kinds of value a field holds: Go's string, []string, []byte (base64) and [][]byte. */
type FieldKind = "string" | "strings" | "bytes" | "bytesList" | "object";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Go's []byte in JSON: standard base64, padded. */
function isBase64(value: unknown): boolean {
  return typeof value === "string" && value.length % 4 === 0 && BASE64.test(value);
}

function fits(kind: FieldKind, value: unknown): boolean {
  const nonEmptyList = (check: (v: unknown) => boolean) =>
    Array.isArray(value) && value.length > 0 && value.every(check);
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "strings":
      return nonEmptyList((v) => typeof v === "string");
    case "bytes":
      return isBase64(value);
    case "bytesList":
      return nonEmptyList(isBase64);
    case "object":
      return isObject(value);
  }
}

const KIND_TEXT: Record<FieldKind, string> = {
  string: "a string",
  strings: "a non-empty list of strings",
  bytes: "base64 text",
  bytesList: "a non-empty list of base64 texts",
  object: "an object",
};

/** Checks `item`'s keys against `fields` (no other key, each of its kind); returns those present. */
function checkFields(
  item: Json,
  fields: Record<string, FieldKind>,
  at: string,
  file: string,
): Set<string> {
  for (const [key, value] of Object.entries(item)) {
    const kind = fields[key];
    if (kind === undefined) throw invalidPolicy(file, `${at}.${key}: unknown key`);
    if (!fits(kind, value)) throw invalidPolicy(file, `${at}.${key}: must be ${KIND_TEXT[kind]}`);
  }
  return new Set(Object.keys(item).filter((k) => item[k] !== "" && k !== "type"));
}

function exactlyOne(present: Set<string>, names: readonly string[], at: string, file: string) {
  const given = names.filter((n) => present.has(n));
  if (given.length !== 1) {
    throw invalidPolicy(file, `${at}: exactly one of ${names.join(", ")} must be given`);
  }
}

function atMostOne(present: Set<string>, names: readonly string[], at: string, file: string) {
  if (names.filter((n) => present.has(n)).length > 1) {
    throw invalidPolicy(file, `${at}: at most one of ${names.join(", ")} may be given`);
  }
}

const SIGNED_BY_KEY_TYPES = ["GPGKeys", "signedByGPGKeys", "X509Certificates", "signedByX509CAs"];
const REKOR_KEYS = [
  "rekorPublicKeyPath",
  "rekorPublicKeyPaths",
  "rekorPublicKeyData",
  "rekorPublicKeyDatas",
];

/** Checks one requirement object of a known `type`, as containers/image parses it. */
export function checkRequirement(item: Json, type: string, at: string, file: string): void {
  switch (type) {
    case "insecureAcceptAnything":
    case "reject":
      checkFields(item, { type: "string" }, at, file);
      return;
    case "signedBy": {
      const present = checkFields(
        item,
        {
          type: "string",
          keyType: "string",
          keyPath: "string",
          keyPaths: "strings",
          keyData: "bytes",
          signedIdentity: "object",
        },
        at,
        file,
      );
      if (!SIGNED_BY_KEY_TYPES.includes(item["keyType"] as string)) {
        throw invalidPolicy(
          file,
          `${at}.keyType: ${JSON.stringify(item["keyType"])} is not one of ${SIGNED_BY_KEY_TYPES.join(", ")}`,
        );
      }
      exactlyOne(present, ["keyPath", "keyPaths", "keyData"], at, file);
      if (isObject(item["signedIdentity"]))
        checkIdentity(item["signedIdentity"], `${at}.signedIdentity`, file);
      return;
    }
    case "sigstoreSigned": {
      const present = checkFields(
        item,
        {
          type: "string",
          keyPath: "string",
          keyPaths: "strings",
          keyData: "bytes",
          keyDatas: "bytesList",
          fulcio: "object",
          pki: "object",
          rekorPublicKeyPath: "string",
          rekorPublicKeyPaths: "strings",
          rekorPublicKeyData: "bytes",
          rekorPublicKeyDatas: "bytesList",
          signedIdentity: "object",
        },
        at,
        file,
      );
      exactlyOne(
        present,
        ["keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki"],
        at,
        file,
      );
      atMostOne(present, REKOR_KEYS, at, file);
      const rekor = REKOR_KEYS.some((k) => present.has(k));
      if (present.has("fulcio")) {
        if (!rekor) throw invalidPolicy(file, `${at}: fulcio needs a rekorPublicKey… key`);
        checkFulcio(item["fulcio"] as Json, `${at}.fulcio`, file);
      }
      if (present.has("pki")) {
        if (rekor) throw invalidPolicy(file, `${at}: pki takes no rekorPublicKey… key`);
        checkPki(item["pki"] as Json, `${at}.pki`, file);
      }
      if (isObject(item["signedIdentity"]))
        checkIdentity(item["signedIdentity"], `${at}.signedIdentity`, file);
      return;
    }
    case "signedBaseLayer": {
      const present = checkFields(item, { type: "string", baseLayerIdentity: "object" }, at, file);
      if (!present.has("baseLayerIdentity"))
        throw invalidPolicy(file, `${at}.baseLayerIdentity: missing`);
      checkIdentity(item["baseLayerIdentity"] as Json, `${at}.baseLayerIdentity`, file);
      return;
    }
  }
}

function checkFulcio(fulcio: Json, at: string, file: string): void {
  const present = checkFields(
    fulcio,
    { caPath: "string", caData: "bytes", oidcIssuer: "string", subjectEmail: "string" },
    at,
    file,
  );
  exactlyOne(present, ["caPath", "caData"], at, file);
  for (const key of ["oidcIssuer", "subjectEmail"]) {
    if (!present.has(key)) throw invalidPolicy(file, `${at}.${key}: missing`);
  }
}

function checkPki(pki: Json, at: string, file: string): void {
  const present = checkFields(
    pki,
    {
      caRootsPath: "string",
      caRootsData: "bytes",
      caIntermediatesPath: "string",
      caIntermediatesData: "bytes",
      subjectEmail: "string",
      subjectHostname: "string",
    },
    at,
    file,
  );
  exactlyOne(present, ["caRootsPath", "caRootsData"], at, file);
  atMostOne(present, ["caIntermediatesPath", "caIntermediatesData"], at, file);
  if (!present.has("subjectEmail") && !present.has("subjectHostname")) {
    throw invalidPolicy(file, `${at}: one of subjectEmail, subjectHostname must be given`);
  }
}

/** Whether `text` is an image name as containers/image parses one (short names normalized). */
function isImageName(text: string): boolean {
  try {
    return parseReference(`docker://${text}`).scheme === "registry";
  } catch {
    return false;
  }
}

/** Whether a name as written carries a tag or a digest. */
function hasTagOrDigest(text: string): boolean {
  return text.includes("@") || text.slice(text.lastIndexOf("/") + 1).includes(":");
}

/** A `signedIdentity` or `baseLayerIdentity`: one of containers/image's six kinds, exactly. */
function checkIdentity(identity: Json, at: string, file: string): void {
  const type = identity["type"];
  const fieldsOf: Record<string, Record<string, FieldKind>> = {
    matchExact: {},
    matchRepoDigestOrExact: {},
    matchRepository: {},
    exactReference: { dockerReference: "string" },
    exactRepository: { dockerRepository: "string" },
    remapIdentity: { prefix: "string", signedPrefix: "string" },
  };
  const fields = typeof type === "string" ? fieldsOf[type] : undefined;
  if (fields === undefined) {
    throw invalidPolicy(
      file,
      `${at}.type: ${JSON.stringify(type)} is not one of ${Object.keys(fieldsOf).join(", ")}`,
    );
  }
  const present = checkFields(identity, { type: "string", ...fields }, at, file);
  for (const key of Object.keys(fields)) {
    if (!present.has(key)) throw invalidPolicy(file, `${at}.${key}: missing`);
  }
  const reference = identity["dockerReference"];
  if (typeof reference === "string" && !(isImageName(reference) && hasTagOrDigest(reference))) {
    throw invalidPolicy(file, `${at}.dockerReference: must be an image name with a tag or digest`);
  }
  const repository = identity["dockerRepository"];
  if (typeof repository === "string" && !isImageName(repository)) {
    throw invalidPolicy(file, `${at}.dockerRepository: must be an image name`);
  }
}

const DIGEST_SHAPED = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;

/** containers/image's rule for a scope of `transport` (unknown transports take any scope). */
export function checkTransportScope(
  transport: string,
  scope: string,
  at: string,
  file: string,
): void {
  if (scope === "") return;
  const refuse = (why: string) => {
    throw invalidPolicy(file, `${at}: ${why}`);
  };
  switch (transport) {
    case "oci":
    case "oci-archive":
    case "dir":
    case "sif": {
      const canonical =
        scope.startsWith("/") &&
        scope !== "/" &&
        !scope.endsWith("/") &&
        !scope
          .split("/")
          .slice(1)
          .some((part) => part === "" || part === "." || part === "..");
      if (!canonical) refuse(`must be an absolute, canonical path other than "/"`);
      return;
    }
    case "docker-archive":
    case "tarball":
      refuse(`${transport} takes no scope but ""`);
      return;
    case "docker-daemon":
      if (DIGEST_SHAPED.test(scope)) refuse("a digest is not a docker-daemon scope");
      return;
    case "containers-storage":
      if (!scope.startsWith("[") || scope.indexOf("]") < 1) refuse("must start with [STORE]");
      return;
  }
}
