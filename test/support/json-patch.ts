// Applies the webhook's RFC 6902 JSON Patch with a maintained implementation (fast-json-patch),
// validating every operation first: an `add` without its parent or a `replace` without its target
// fails the test, as it would fail in the API server.
import jsonPatch from "fast-json-patch";

export function applyPatch<T>(
  document: T,
  ops: readonly { op: string; path: string; value?: unknown }[],
): T {
  const patch = ops as jsonPatch.Operation[];
  const problem = jsonPatch.validate(patch, document);
  if (problem) throw new Error(`invalid JSON patch: ${problem.name}: ${problem.message}`);
  return jsonPatch.applyPatch(structuredClone(document), patch, true, false).newDocument;
}
