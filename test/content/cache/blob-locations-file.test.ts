// The blob location memory on disk: a missing file is an empty memory, a corrupt one is ignored
// with a warning and replaced, saves merge with what another process wrote meanwhile, and
// concurrent saves leave a valid file.
import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  BLOB_LOCATIONS_FILE,
  loadBlobLocations,
  saveBlobLocations,
} from "../../../src/content/cache/blob-locations-file.js";
import {
  blobLocationsOn,
  createBlobLocations,
  recordBlobLocation,
} from "../../../src/content/cache/blob-locations.js";

const root = mkdtempSync(join(tmpdir(), "blob-locations-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const fresh = (): string => join(root, String(dirs++));
const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, "0")}`;

describe("blob location memory file", () => {
  test("no file is an empty memory, without a warning", async () => {
    const warnings: string[] = [];
    const m = await loadBlobLocations(fresh(), (w) => warnings.push(w));
    assert.equal(m.seen.size, 0);
    assert.deepEqual(warnings, []);
  });

  test("what one process saves, the next loads; the file is the user's only, no temp file stays", async () => {
    const dir = fresh();
    const m = createBlobLocations();
    recordBlobLocation(m, digest(1), "reg:5000", "team/app");
    await saveBlobLocations(dir, m);
    assert.equal(m.changed, false, "saved news are no longer news");
    const back = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(back, digest(1), "reg:5000"), ["team/app"]);
    assert.equal(statSync(join(dir, BLOB_LOCATIONS_FILE)).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), [BLOB_LOCATIONS_FILE]);
  });

  test("a memory with no news is not written", async () => {
    const dir = fresh();
    await saveBlobLocations(dir, createBlobLocations());
    assert.throws(() => readdirSync(dir), /ENOENT/);
  });

  test("a corrupt file is ignored with a warning naming it, and the next save replaces it", async () => {
    for (const junk of ['{"version": 1, "blobs": {"sha256:', '{"version": 9}', "[1,2]"]) {
      const dir = fresh();
      const file = join(dir, BLOB_LOCATIONS_FILE);
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, junk);
      const warnings: string[] = [];
      const m = await loadBlobLocations(dir, (w) => warnings.push(w));
      assert.equal(m.seen.size, 0);
      assert.equal(warnings.length, 1, junk);
      assert.ok(warnings[0]!.includes(file), warnings[0]);
      recordBlobLocation(m, digest(2), "reg", "x");
      await saveBlobLocations(dir, m);
      const after = await loadBlobLocations(dir, (w) => assert.fail(w));
      assert.deepEqual(blobLocationsOn(after, digest(2), "reg"), ["x"]);
    }
  });

  test("a save keeps what another process saved since this one loaded", async () => {
    const dir = fresh();
    const mine = await loadBlobLocations(dir);
    const theirs = createBlobLocations();
    recordBlobLocation(theirs, digest(3), "reg", "theirs");
    await saveBlobLocations(dir, theirs);
    recordBlobLocation(mine, digest(4), "reg", "mine");
    await saveBlobLocations(dir, mine);
    const both = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(both, digest(3), "reg"), ["theirs"]);
    assert.deepEqual(blobLocationsOn(both, digest(4), "reg"), ["mine"]);
  });

  test("a memory loaded from the file keeps what another process saved over it since", async () => {
    const dir = fresh();
    const first = createBlobLocations();
    recordBlobLocation(first, digest(5), "reg", "first");
    await saveBlobLocations(dir, first);
    const mine = await loadBlobLocations(dir);
    const theirs = await loadBlobLocations(dir);
    recordBlobLocation(theirs, digest(6), "reg", "theirs");
    await saveBlobLocations(dir, theirs);
    recordBlobLocation(mine, digest(7), "reg", "mine");
    await saveBlobLocations(dir, mine);
    const all = await loadBlobLocations(dir);
    for (const [n, repo] of [
      [5, "first"],
      [6, "theirs"],
      [7, "mine"],
    ] as const) {
      assert.deepEqual(blobLocationsOn(all, digest(n), "reg"), [repo]);
    }
    // A second save of the same memory reads the file again: it now holds what `mine` lacks.
    recordBlobLocation(theirs, digest(8), "reg", "theirs");
    await saveBlobLocations(dir, theirs);
    recordBlobLocation(mine, digest(9), "reg", "mine");
    await saveBlobLocations(dir, mine);
    const later = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(later, digest(8), "reg"), ["theirs"]);
    assert.deepEqual(blobLocationsOn(later, digest(7), "reg"), ["mine"]);
  });

  test("the file is not read again at a save while it is the one the memory was loaded from", async () => {
    const dir = fresh();
    const file = join(dir, BLOB_LOCATIONS_FILE);
    const seed = createBlobLocations();
    recordBlobLocation(seed, digest(10), "reg", "aaaa");
    await saveBlobLocations(dir, seed);
    const second = 1_700_000_000; // a whole second, which utimes sets exactly
    utimesSync(file, second, second);
    const mine = await loadBlobLocations(dir);
    // Rewritten in place, same size and time: no writer of the memory does this (they rename), so
    // the file counts as the one loaded, and its new text is not read.
    writeFileSync(file, readFileSync(file, "utf8").replace('"reg/aaaa"', '"reg/bbbb"'));
    utimesSync(file, second, second);
    recordBlobLocation(mine, digest(11), "reg", "mine");
    await saveBlobLocations(dir, mine);
    const after = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(after, digest(10), "reg"), ["aaaa"]);
    assert.deepEqual(blobLocationsOn(after, digest(11), "reg"), ["mine"]);
  });

  test("many concurrent saves leave one valid file", async () => {
    const dir = fresh();
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const m = createBlobLocations();
        for (let j = 0; j < 200; j++) recordBlobLocation(m, digest(i * 1000 + j), "reg", `r${i}`);
        await saveBlobLocations(dir, m);
      }),
    );
    const warnings: string[] = [];
    const m = await loadBlobLocations(dir, (w) => warnings.push(w));
    assert.deepEqual(warnings, []);
    assert.ok(m.seen.size >= 200, `${m.seen.size} digests`);
    assert.deepEqual(readdirSync(dir), [BLOB_LOCATIONS_FILE]);
    JSON.parse(readFileSync(join(dir, BLOB_LOCATIONS_FILE), "utf8"));
  });
});
