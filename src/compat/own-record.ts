// Records keyed by names that come from documents and nodes (labels, facts, NFD features). Such a
// name may be `toString`, `constructor` or `__proto__`: reading `record[name]` would find the
// inherited Object.prototype member, and writing `record[name] = x` would set the prototype. Every
// lookup by such a name goes through ownValue, every record built from them through recordOf.

/** A record's own value for `key`; inherited members such as `toString` are never found. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Above this many keys, a record is built as a dictionary from the start (see recordOf). */
const LARGE_RECORD = 128;

/** A record from entries, every key an own data property (`__proto__` included). */
export function recordOf<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const list = Array.isArray(entries)
    ? (entries as readonly (readonly [string, T])[])
    : [...entries];
  if (list.length <= LARGE_RECORD) return Object.fromEntries(list) as Record<string, T>;
  // V8 gives an object a new hidden class for each key added, copying the key list each time,
  // until ~1,000 keys: Object.fromEntries of a kernel config's ~1,600 options took ~6 ms, most of
  // a `discover`. Deleting a key that is not the last makes an object a dictionary, which takes
  // each key at constant cost (~1 ms for the same record).
  const out: Record<string, T> = { a: undefined as T, b: undefined as T };
  delete out["a"];
  delete out["b"];
  for (const [key, value] of list) {
    if (key === "__proto__") {
      Object.defineProperty(out, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else {
      out[key] = value;
    }
  }
  return out;
}
