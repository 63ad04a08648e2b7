// Records keyed by names that come from documents and nodes (labels, facts, NFD features). Such a
// name may be `toString`, `constructor` or `__proto__`: reading `record[name]` would find the
// inherited Object.prototype member, and writing `record[name] = x` would set the prototype. Every
// lookup by such a name goes through ownValue, every record built from them through recordOf.

/** A record's own value for `key`; inherited members such as `toString` are never found. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A record from entries, every key an own data property (`__proto__` included). */
export function recordOf<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  return Object.fromEntries(entries) as Record<string, T>;
}
