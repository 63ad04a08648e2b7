// The checks every descriptor gets before ocicompat follows it (fetches, copies or trusts what it
// names): select, check, copy and verify must refuse exactly what `validate` refuses, or a
// malformed index would be "compatible" with exit 0 in one command and invalid in another.
import { digestProblem, RegisteredAlgorithms } from "./digest.js";
import { ValidationError, type ValidationIssue } from "./errors.js";
import { childPath } from "./json-path.js";
import { isObject } from "./json-value.js";
import type { Descriptor } from "./schema.js";

/**
 * Why the value at `path` cannot be followed as a descriptor: its media type, its digest (the
 * grammar, and an algorithm ocicompat can verify, since content it cannot hash it cannot trust)
 * and its size (a non-negative integer). Empty when it can.
 */
export function followedDescriptorIssues(value: unknown, path: string): ValidationIssue[] {
  if (!isObject(value)) return [{ path, message: "must be a descriptor object" }];
  const issues: ValidationIssue[] = [];
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== "string" || mediaType === "") {
    issues.push({ path: childPath(path, "mediaType"), message: "must be a media type string" });
  }
  if (typeof digest !== "string") {
    issues.push({ path: childPath(path, "digest"), message: "must be a digest string" });
  } else {
    const problem = digestProblem(digest);
    const algorithm = digest.slice(0, Math.max(0, digest.indexOf(":")));
    if (problem !== undefined) {
      issues.push({ path: childPath(path, "digest"), message: problem });
    } else if (!Object.hasOwn(RegisteredAlgorithms, algorithm)) {
      issues.push({
        path: childPath(path, "digest"),
        message: `algorithm ${algorithm} cannot be verified (sha256 and sha512 can), so the content it names is not followed`,
      });
    }
  }
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    issues.push({ path: childPath(path, "size"), message: "must be a non-negative integer" });
  }
  return issues;
}

/** `value` as a descriptor that may be followed; a ValidationError naming `subject` otherwise. */
export function followableDescriptor(value: unknown, path: string, subject: string): Descriptor {
  const issues = followedDescriptorIssues(value, path);
  if (issues.length > 0) throw new ValidationError(subject, issues);
  return value as Descriptor;
}
