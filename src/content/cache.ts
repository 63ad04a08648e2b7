// The content-addressed on-disk cache (src/content/cache/disk.ts) and the Store wrapper that reads
// through it (src/content/cache/store.ts).
export {
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_MAX_ENTRY_BYTES,
  defaultCacheDir,
  isCacheableDigest,
  openCache,
  type CacheOptions,
  type CacheStats,
  type CacheWarning,
  type ContentCache,
  type PruneResult,
} from "./cache/disk.js";
export { withCache } from "./cache/store.js";
