// Applies an RFC 6902 JSON Patch (the `add`, `replace` and `test` operations the webhook emits,
// with RFC 6901 pointers). No JSON-Patch library is installed in this project yet (see the
// report of issue #17); this applier follows the RFC's rules for those operations strictly,
// including that `add` needs an existing parent and `replace` an existing target.
import assert from "node:assert/strict";

type Doc = Record<string, unknown> | unknown[];

function segments(pointer: string): string[] {
  assert.ok(pointer.startsWith("/"), `pointer ${pointer} starts with /`);
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function applyPatch<T>(
  document: T,
  ops: readonly { op: string; path: string; value?: unknown }[],
): T {
  const doc = structuredClone(document) as unknown as Doc;
  for (const op of ops) {
    const parts = segments(op.path);
    const last = parts.pop() as string;
    let parent: unknown = doc;
    for (const p of parts) {
      assert.ok(
        typeof parent === "object" && parent !== null && p in parent,
        `${op.path}: parent exists`,
      );
      parent = (parent as Record<string, unknown>)[p];
    }
    assert.ok(typeof parent === "object" && parent !== null, `${op.path}: parent is a container`);
    const container = parent as Record<string, unknown>;
    switch (op.op) {
      case "add":
        if (Array.isArray(container)) {
          if (last === "-") container.push(op.value);
          else container.splice(Number(last), 0, op.value);
        } else container[last] = op.value;
        break;
      case "replace":
        assert.ok(last in container, `${op.path}: replace needs an existing target`);
        container[last] = op.value;
        break;
      default:
        assert.fail(`unexpected operation ${op.op}`);
    }
  }
  return doc as unknown as T;
}
