// Digests per the image-spec grammar: algorithm ":" encoded. Registered algorithms (sha256,
// sha512) need lowercase hex of the exact length; other algorithms pass when grammatical, since
// the spec lets implementations ignore what they do not know.
import { createHash, type Hash } from "node:crypto";
import { OcicompatError } from "./errors.js";

const DIGEST_GRAMMAR = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export const RegisteredAlgorithms = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
} as const;

export type RegisteredAlgorithm = keyof typeof RegisteredAlgorithms;

export interface ParsedDigest {
  algorithm: string;
  encoded: string;
  registered: boolean;
}

function isRegistered(algorithm: string): algorithm is RegisteredAlgorithm {
  return Object.hasOwn(RegisteredAlgorithms, algorithm);
}

/** Why `value` is not a valid digest, or undefined when it is. */
export function digestProblem(value: string): string | undefined {
  const m = DIGEST_GRAMMAR.exec(value);
  if (!m) {
    if (!value.includes(":")) return `"${clip(value)}" is not a digest: expected ALGORITHM:ENCODED`;
    return `"${clip(value)}" does not match the digest grammar ALGORITHM:ENCODED`;
  }
  const algorithm = m[1] as string;
  const encoded = m[2] as string;
  if (isRegistered(algorithm) && !RegisteredAlgorithms[algorithm].test(encoded)) {
    const hexLength = algorithm === "sha256" ? 64 : 128;
    return `${algorithm} digest must be ${hexLength} lowercase hex characters, got ${encoded.length} characters "${clip(encoded)}"`;
  }
  return undefined;
}

export function parseDigest(value: string): ParsedDigest {
  const problem = digestProblem(value);
  if (problem !== undefined)
    throw new OcicompatError("INVALID_DIGEST", problem, { subject: value });
  const colon = value.indexOf(":");
  const algorithm = value.slice(0, colon);
  return { algorithm, encoded: value.slice(colon + 1), registered: isRegistered(algorithm) };
}

export function isDigest(value: string): boolean {
  return digestProblem(value) === undefined;
}

export function computeDigest(
  bytes: Uint8Array,
  algorithm: RegisteredAlgorithm = "sha256",
): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/** Incremental hashing for streams: feed chunks, then read the digest once. */
export interface Digester {
  update(chunk: Uint8Array): void;
  digest(): string;
}

export function createDigester(algorithm: RegisteredAlgorithm = "sha256"): Digester {
  const hash: Hash = createHash(algorithm);
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => `${algorithm}:${hash.digest("hex")}`,
  };
}

/** The algorithm of a digest, if ocicompat can compute it. */
export function registeredAlgorithmOf(digest: string): RegisteredAlgorithm {
  const { algorithm } = parseDigest(digest);
  if (!isRegistered(algorithm)) {
    throw new OcicompatError(
      "UNSUPPORTED",
      `cannot verify content: digest algorithm "${algorithm}" is not supported (sha256, sha512 are)`,
      { subject: digest },
    );
  }
  return algorithm;
}

/** Throws DIGEST_MISMATCH (or SIZE_MISMATCH) unless `bytes` is the content `digest` names. */
export function verifyContent(
  bytes: Uint8Array,
  expected: { digest: string; size?: number },
): void {
  if (expected.size !== undefined && bytes.byteLength !== expected.size) {
    throw new OcicompatError(
      "SIZE_MISMATCH",
      `content is ${bytes.byteLength} bytes, descriptor says ${expected.size}`,
      { subject: expected.digest },
    );
  }
  const actual = computeDigest(bytes, registeredAlgorithmOf(expected.digest));
  if (actual !== expected.digest) {
    throw new OcicompatError(
      "DIGEST_MISMATCH",
      `content digest is ${actual}, expected ${expected.digest}`,
      { subject: expected.digest },
    );
  }
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
