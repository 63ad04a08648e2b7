// The manifests a repository store read or wrote lately, by digest, so that a walk that meets one
// again (a copy's resolve, then its fetch) does not ask the registry twice. Bounded by count and
// by bytes: a store lives as long as its user (the mirror keeps 32 of them for its whole life),
// and manifests may be up to the 4 MiB limit each, so a count alone let 128 wide indexes per
// repository hold hundreds of MiB.
export const MANIFEST_MEMO_ENTRIES = 128;
export const MANIFEST_MEMO_BYTES = 2 * 1024 * 1024;

export interface RememberedManifest {
  mediaType: string;
  bytes: Uint8Array;
}

export interface ManifestMemo {
  /** Oldest first. */
  readonly entries: Map<string, RememberedManifest>;
  bytes: number;
}

export function createManifestMemo(): ManifestMemo {
  return { entries: new Map(), bytes: 0 };
}

export function recallManifest(memo: ManifestMemo, digest: string): RememberedManifest | undefined {
  return memo.entries.get(digest);
}

export function forgetManifest(memo: ManifestMemo, digest: string): void {
  const entry = memo.entries.get(digest);
  if (entry === undefined) return;
  memo.entries.delete(digest);
  memo.bytes -= entry.bytes.byteLength;
}

/** Keeps `bytes` as the newest entry, dropping the oldest past either bound; one larger than the byte bound is not kept. */
export function rememberManifest(
  memo: ManifestMemo,
  digest: string,
  manifest: RememberedManifest,
  limits: { entries: number; bytes: number } = {
    entries: MANIFEST_MEMO_ENTRIES,
    bytes: MANIFEST_MEMO_BYTES,
  },
): void {
  forgetManifest(memo, digest);
  if (manifest.bytes.byteLength > limits.bytes) return;
  memo.entries.set(digest, manifest);
  memo.bytes += manifest.bytes.byteLength;
  while (memo.entries.size > limits.entries || memo.bytes > limits.bytes) {
    const oldest = memo.entries.keys().next().value;
    if (oldest === undefined) break;
    forgetManifest(memo, oldest);
  }
}
