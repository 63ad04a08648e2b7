// Token scopes (docker token spec): `repository:team/app:pull,push`. A request names the scopes
// it needs; the token cache answers with any token whose scopes cover them.

export type Action = "pull" | "push" | "delete" | "*";

export function repositoryScope(repository: string, actions: readonly Action[]): string {
  return `repository:${repository}:${actions.join(",")}`;
}

export const pullScope = (repository: string): string => repositoryScope(repository, ["pull"]);
export const pushScope = (repository: string): string =>
  repositoryScope(repository, ["pull", "push"]);

interface ParsedScope {
  resource: string;
  actions: Set<string>;
}

function parseScope(scope: string): ParsedScope | undefined {
  const last = scope.lastIndexOf(":");
  const first = scope.indexOf(":");
  if (first < 0 || last === first) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(",")
    .filter((a) => a !== "");
  return { resource: scope.slice(0, last), actions: new Set(actions) };
}

/**
 * One scope per resource with the union of actions, sorted: a stable cache key and a minimal
 * token request. Scopes that do not parse are kept as they are.
 */
export function mergeScopes(scopes: Iterable<string>): string[] {
  const byResource = new Map<string, Set<string>>();
  const opaque = new Set<string>();
  for (const scope of scopes) {
    const parsed = parseScope(scope);
    if (parsed === undefined) {
      if (scope !== "") opaque.add(scope);
      continue;
    }
    let actions = byResource.get(parsed.resource);
    if (actions === undefined) {
      actions = new Set();
      byResource.set(parsed.resource, actions);
    }
    for (const a of parsed.actions) actions.add(a);
  }
  const merged = [...byResource].map(
    ([resource, actions]) => `${resource}:${[...actions].sort().join(",")}`,
  );
  return [...merged, ...opaque].sort();
}

/** Whether a token granted for `held` is good for a request needing `wanted`. */
export function scopesCover(held: readonly string[], wanted: readonly string[]): boolean {
  const have = new Map<string, Set<string>>();
  for (const scope of held) {
    const parsed = parseScope(scope);
    if (parsed === undefined) continue;
    have.set(parsed.resource, parsed.actions);
  }
  for (const scope of wanted) {
    const parsed = parseScope(scope);
    if (parsed === undefined) {
      if (!held.includes(scope)) return false;
      continue;
    }
    const actions = have.get(parsed.resource);
    if (actions === undefined) return false;
    if (actions.has("*")) continue;
    for (const a of parsed.actions) if (!actions.has(a)) return false;
  }
  return true;
}
