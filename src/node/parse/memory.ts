// Memory sources: /proc/meminfo and the huge page pools in /sys/kernel/mm/hugepages.

/** MemTotal in bytes (meminfo prints KiB and calls them kB). */
export function memTotalBytes(meminfo: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB\s*$/m.exec(meminfo);
  return m === null ? undefined : Number(m[1]) * 1024;
}

/** The page size of a pool directory, `hugepages-2048kB` → 2097152 bytes. */
export function hugePageSizeBytes(directory: string): number | undefined {
  const m = /^hugepages-(\d+)kB$/.exec(directory);
  return m === null ? undefined : Number(m[1]) * 1024;
}
