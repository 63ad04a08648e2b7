// JSONPath strings locate problems for users: `$.manifests[2].platform["os.features"]`.

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function formatJsonPath(segments: readonly PathSegment[]): string {
  return segments.reduce<string>(childPath, "$");
}

/** The path of `key` inside the value at `parent`. */
export function childPath(parent: string, key: PathSegment): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return IDENTIFIER.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * Turns a JSON Pointer into path segments, using the document to tell array indexes from
 * object keys that happen to be digits.
 */
export function pointerToSegments(pointer: string, document: unknown): PathSegment[] {
  if (pointer === "" || pointer === "/") return pointer === "/" ? [""] : [];
  const raw = pointer
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  const segments: PathSegment[] = [];
  let node: unknown = document;
  for (const part of raw) {
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(part)) {
      const index = Number(part);
      segments.push(index);
      node = node[index];
    } else {
      segments.push(part);
      node =
        node !== null && typeof node === "object" && Object.hasOwn(node, part)
          ? (node as Record<string, unknown>)[part]
          : undefined;
    }
  }
  return segments;
}
