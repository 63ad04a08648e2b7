// The content-addressed on-disk cache (src/content/cache/disk.ts, with its directory and entry
// names in cache-dir.ts and its warnings in warnings.ts) and the Store wrapper that reads through
// it (src/content/cache/store.ts).
export {
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_MAX_ENTRY_BYTES,
  openCache,
  type CacheOptions,
  type CacheStats,
  type ContentCache,
  type PruneResult,
} from "./cache/disk.js";
export { defaultCacheDir, isCacheableDigest } from "./cache/cache-dir.js";
export { type CacheWarning } from "./cache/warnings.js";
export { withCache } from "./cache/store.js";
