import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { isCacheableDigest, openCache, type CacheWarning } from "../../src/content/cache.js";
import { computeDigest } from "../../src/oci/digest.js";
import { isOcicompatError } from "../../src/oci/errors.js";

const root = mkdtempSync(join(tmpdir(), "ocicompat-cache-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `c${++dirs}`);

function blob(text: string): { bytes: Uint8Array; digest: string; hex: string } {
  const bytes = new TextEncoder().encode(text);
  const digest = computeDigest(bytes);
  return { bytes, digest, hex: digest.slice("sha256:".length) };
}

const entryPath = (dir: string, hex: string): string => join(dir, "blobs", "sha256", hex);
const same = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  a !== undefined && Buffer.from(a).equals(Buffer.from(b));
/** Makes an entry writable so a test can damage it (root does not need this, others do). */
function damage(path: string, write: (path: string) => void): void {
  chmodSync(path, 0o644);
  write(path);
}

describe("hits and misses", () => {
  test("put then get returns the same bytes, and has() says the entry exists", async () => {
    const cache = openCache({ dir: freshDir() });
    const b = blob('{"schemaVersion":2}');
    await cache.put(b.digest, b.bytes);
    assert.ok(same(await cache.get(b.digest), b.bytes));
    assert.equal(await cache.has(b.digest), true);
  });

  test("a digest never stored is a miss, and a missing cache directory is not a problem", async () => {
    const cache = openCache({ dir: freshDir() });
    const b = blob("never stored");
    assert.equal(await cache.get(b.digest), undefined);
    assert.equal(await cache.has(b.digest), false);
    assert.deepEqual(await cache.stats(), { entries: 0, bytes: 0 });
    assert.deepEqual(cache.diagnostics(), []);
  });

  test("entries live at blobs/<alg>/<hex> and are read-only once in place", async () => {
    const dir = freshDir();
    const cache = openCache({ dir });
    const b = blob("layout");
    await cache.put(b.digest, b.bytes);
    const info = statSync(entryPath(dir, b.hex));
    assert.equal(info.size, b.bytes.byteLength);
    assert.equal(info.mode & 0o222, 0, "no write permission bits");
  });

  test("sha512 content gets its own directory", async () => {
    const dir = freshDir();
    const cache = openCache({ dir });
    const bytes = new TextEncoder().encode("five twelve");
    const digest = computeDigest(bytes, "sha512");
    await cache.put(digest, bytes);
    assert.ok(existsSync(join(dir, "blobs", "sha512", digest.slice("sha512:".length))));
    assert.ok(same(await cache.get(digest), bytes));
  });

  test("a second cache object on the same directory (another process) sees the entries", async () => {
    const dir = freshDir();
    const b = blob("shared");
    await openCache({ dir }).put(b.digest, b.bytes);
    assert.ok(same(await openCache({ dir }).get(b.digest), b.bytes));
  });

  test("putting an entry that exists again is a no-op that succeeds", async () => {
    const dir = freshDir();
    const cache = openCache({ dir });
    const b = blob("twice");
    await cache.put(b.digest, b.bytes);
    await cache.put(b.digest, b.bytes);
    assert.deepEqual(await cache.stats(), { entries: 1, bytes: b.bytes.byteLength });
  });

  test("malformed, path-like or unverifiable digests are misses and never touch the file system", async () => {
    const dir = freshDir();
    const cache = openCache({ dir });
    for (const digest of [
      "sha256:../../etc/passwd",
      "nope",
      "blake3:abc",
      `sha256:${"A".repeat(64)}`,
    ]) {
      assert.equal(await cache.get(digest), undefined, digest);
      assert.equal(await cache.has(digest), false, digest);
      assert.equal(isCacheableDigest(digest), false, digest);
    }
    assert.equal(existsSync(dir), false);
  });
});

describe("verification", () => {
  test("a corrupt entry is a miss, is removed, and is reported", async () => {
    const dir = freshDir();
    const warnings: CacheWarning[] = [];
    const cache = openCache({ dir, onWarning: (w) => warnings.push(w) });
    const b = blob('{"config":"original"}');
    await cache.put(b.digest, b.bytes);
    const path = entryPath(dir, b.hex);
    damage(path, (p) => writeFileSync(p, '{"config":"tampered"}'));
    assert.equal(await cache.get(b.digest), undefined);
    assert.equal(existsSync(path), false);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.kind, "corrupt");
    assert.equal(warnings[0]?.digest, b.digest);
    assert.deepEqual(cache.diagnostics(), warnings);
  });

  test("a truncated entry (a torn write) is a miss and is removed", async () => {
    const dir = freshDir();
    const cache = openCache({ dir });
    const b = blob("x".repeat(1000));
    await cache.put(b.digest, b.bytes);
    const path = entryPath(dir, b.hex);
    damage(path, (p) => truncateSync(p, 10));
    assert.equal(await cache.get(b.digest), undefined);
    assert.equal(existsSync(path), false);
  });

  test("after removing a corrupt entry, a new put stores the content again", async () => {
    const dir = freshDir();
    const cache = openCache({ dir });
    const b = blob("again");
    await cache.put(b.digest, b.bytes);
    damage(entryPath(dir, b.hex), (p) => writeFileSync(p, "garbage"));
    assert.equal(await cache.get(b.digest), undefined);
    await cache.put(b.digest, b.bytes);
    assert.ok(same(await cache.get(b.digest), b.bytes));
  });

  test("put refuses bytes that do not match the digest, and stores nothing", async () => {
    const dir = freshDir();
    const cache = openCache({ dir });
    const b = blob("real");
    await assert.rejects(
      cache.put(b.digest, new TextEncoder().encode("fake")),
      (err) => isOcicompatError(err) && err.code === "DIGEST_MISMATCH" && err.subject === b.digest,
    );
    assert.equal(await cache.has(b.digest), false);
    assert.equal(existsSync(dir), false);
  });

  test("put refuses a malformed digest with INVALID_DIGEST", async () => {
    const cache = openCache({ dir: freshDir() });
    await assert.rejects(
      cache.put("sha256:../../x", new Uint8Array(1)),
      (err) => isOcicompatError(err) && err.code === "INVALID_DIGEST",
    );
  });
});

describe("atomic writes", () => {
  test("no temp files are left after writes", async () => {
    const dir = freshDir();
    const cache = openCache({ dir });
    for (let i = 0; i < 20; i++) {
      const b = blob(`entry ${i}`);
      await cache.put(b.digest, b.bytes);
    }
    assert.deepEqual(readdirSync(join(dir, "tmp")), []);
    assert.equal(readdirSync(join(dir, "blobs", "sha256")).length, 20);
  });

  test("many concurrent puts of the same digest in one process all succeed", async () => {
    const dir = freshDir();
    const cache = openCache({ dir });
    const b = blob("contended ".repeat(1000));
    await Promise.all(Array.from({ length: 16 }, () => cache.put(b.digest, b.bytes)));
    assert.ok(same(await cache.get(b.digest), b.bytes));
    assert.deepEqual(readdirSync(join(dir, "tmp")), []);
    assert.deepEqual(cache.diagnostics(), []);
  });
});

describe("size bounds", () => {
  test("content larger than maxEntryBytes is silently not cached", async () => {
    const dir = freshDir();
    const cache = openCache({ dir, maxEntryBytes: 10 });
    const big = blob("eleven byte");
    await cache.put(big.digest, big.bytes);
    assert.equal(await cache.has(big.digest), false);
    assert.equal(existsSync(dir), false);
    assert.deepEqual(cache.diagnostics(), []);
    const small = blob("ten bytes!");
    await cache.put(small.digest, small.bytes);
    assert.equal(await cache.has(small.digest), true);
  });

  test("an entry larger than this cache's maxEntryBytes is a miss but is left for its writer", async () => {
    const dir = freshDir();
    const b = blob("written with a larger limit");
    await openCache({ dir }).put(b.digest, b.bytes);
    assert.equal(await openCache({ dir, maxEntryBytes: 4 }).get(b.digest), undefined);
    assert.ok(existsSync(entryPath(dir, b.hex)));
  });

  test("invalid limits are a usage error", () => {
    assert.throws(
      () => openCache({ maxBytes: -1 }),
      (err) => isOcicompatError(err) && err.code === "USAGE",
    );
    assert.throws(
      () => openCache({ maxEntryBytes: 1.5 }),
      (err) => isOcicompatError(err) && err.code === "USAGE",
    );
  });
});

describe("LRU eviction", () => {
  /** Four 100-byte entries whose mtimes are 1000, 2000, 3000, 4000 seconds after the epoch. */
  async function fourEntries(dir: string) {
    const entries = ["a", "b", "c", "d"].map((name) => blob(name.repeat(100)));
    const cache = openCache({ dir });
    for (const [i, e] of entries.entries()) {
      await cache.put(e.digest, e.bytes);
      utimesSync(entryPath(dir, e.hex), 1000 * (i + 1), 1000 * (i + 1));
    }
    return entries;
  }
  const alive = (dir: string, entries: { hex: string }[]) =>
    entries.map((e) => existsSync(entryPath(dir, e.hex)));

  test("prune removes the least recently used entries first, down to maxBytes", async () => {
    const dir = freshDir();
    const entries = await fourEntries(dir);
    const result = await openCache({ dir, maxBytes: 250 }).prune();
    assert.deepEqual(result, { removed: 2, bytes: 200 });
    assert.deepEqual(alive(dir, entries), [false, false, true, true]);
  });

  test("prune does nothing while the total fits", async () => {
    const dir = freshDir();
    const entries = await fourEntries(dir);
    assert.deepEqual(await openCache({ dir, maxBytes: 400 }).prune(), { removed: 0, bytes: 0 });
    assert.deepEqual(alive(dir, entries), [true, true, true, true]);
  });

  test("a read makes an entry the most recently used", async () => {
    const dir = freshDir();
    const entries = await fourEntries(dir);
    const cache = openCache({ dir, maxBytes: 300 });
    assert.ok(await cache.get(entries[0]!.digest));
    assert.ok(statSync(entryPath(dir, entries[0]!.hex)).mtimeMs > 4000 * 1000);
    await cache.prune();
    assert.deepEqual(alive(dir, entries), [true, false, true, true]);
  });

  test("a put that takes the total over maxBytes prunes the oldest entries on its own", async () => {
    const dir = freshDir();
    const cache = openCache({ dir, maxBytes: 250 });
    const [a, b, c] = ["a", "b", "c"].map((name) => blob(name.repeat(100))) as [
      ReturnType<typeof blob>,
      ReturnType<typeof blob>,
      ReturnType<typeof blob>,
    ];
    await cache.put(a.digest, a.bytes);
    await cache.put(b.digest, b.bytes);
    utimesSync(entryPath(dir, a.hex), 1000, 1000);
    utimesSync(entryPath(dir, b.hex), 2000, 2000);
    await cache.put(c.digest, c.bytes);
    assert.deepEqual(alive(dir, [a, b, c]), [false, true, true]);
    assert.deepEqual(await cache.stats(), { entries: 2, bytes: 200 });
  });

  test("prune and stats ignore files that are not entries, and prune clears stale temp files", async () => {
    const dir = freshDir();
    const cache = openCache({ dir, maxBytes: 0 });
    mkdirSync(join(dir, "blobs", "sha256", "not-an-entry"), { recursive: true });
    writeFileSync(join(dir, "blobs", "sha256", "README"), "hello");
    mkdirSync(join(dir, "tmp"));
    const stale = join(dir, "tmp", "sha256-dead-1-abc");
    const fresh = join(dir, "tmp", "sha256-live-2-def");
    writeFileSync(stale, "x");
    writeFileSync(fresh, "y");
    const twoHoursAgo = (Date.now() - 2 * 3600 * 1000) / 1000;
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    assert.deepEqual(await cache.stats(), { entries: 0, bytes: 0 });
    assert.deepEqual(await cache.prune(), { removed: 0, bytes: 0 });
    assert.ok(existsSync(join(dir, "blobs", "sha256", "README")));
    assert.equal(existsSync(stale), false);
    assert.ok(existsSync(fresh));
  });

  test("stats counts entries and bytes", async () => {
    const dir = freshDir();
    await fourEntries(dir);
    assert.deepEqual(await openCache({ dir }).stats(), { entries: 4, bytes: 400 });
  });
});

describe("a broken cache degrades instead of failing", () => {
  // Root ignores permission bits, so an unusable directory is made by putting a file where a
  // directory must be: every mkdir, read and write under it fails with ENOTDIR.
  function unusableDir(): string {
    const file = join(root, `file${++dirs}`);
    writeFileSync(file, "not a directory");
    return join(file, "cache");
  }

  test("put is a no-op with one diagnostic, and further writes are not attempted", async () => {
    const warnings: CacheWarning[] = [];
    const cache = openCache({ dir: unusableDir(), onWarning: (w) => warnings.push(w) });
    const a = blob("a");
    const b = blob("b");
    await cache.put(a.digest, a.bytes);
    await cache.put(b.digest, b.bytes);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.kind, "io");
    assert.equal(warnings[0]?.operation, "put");
    assert.equal(warnings[0]?.code, "ENOTDIR");
    assert.match(warnings[0]?.message ?? "", /not writing to it again/);
    assert.deepEqual(cache.diagnostics(), warnings);
  });

  test("get, has, stats and prune answer a miss or nothing, with diagnostics", async () => {
    const cache = openCache({ dir: unusableDir() });
    const a = blob("a");
    assert.equal(await cache.get(a.digest), undefined);
    assert.equal(await cache.has(a.digest), false);
    assert.deepEqual(await cache.stats(), { entries: 0, bytes: 0 });
    assert.deepEqual(await cache.prune(), { removed: 0, bytes: 0 });
    const operations = cache.diagnostics().map((w) => `${w.operation}:${w.code}`);
    assert.ok(operations.includes("get:ENOTDIR"), operations.join());
    assert.ok(operations.includes("stats:ENOTDIR"), operations.join());
  });

  test("the same failure is reported once, not on every call", async () => {
    const cache = openCache({ dir: unusableDir() });
    const a = blob("a");
    for (let i = 0; i < 5; i++) await cache.get(a.digest);
    assert.equal(cache.diagnostics().length, 1);
  });

  test("an onWarning callback that throws does not break the cache", async () => {
    const cache = openCache({
      dir: unusableDir(),
      onWarning: () => {
        throw new Error("callback bug");
      },
    });
    const a = blob("a");
    await cache.put(a.digest, a.bytes);
    assert.equal(await cache.get(a.digest), undefined);
    assert.equal(cache.diagnostics().length, 2);
  });
});
