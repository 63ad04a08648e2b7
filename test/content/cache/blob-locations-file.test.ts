// The blob location memory on disk, in pieces (blob-locations/XX.json): a missing piece is empty,
// a corrupt one is ignored with a warning and replaced, a lookup reads only its digest's piece,
// saves write only the pieces with news and merge with what another process wrote meanwhile, and
// concurrent saves leave valid pieces.
import assert from "node:assert/strict";
import {
  existsSync,
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
  BLOB_LOCATIONS_DIR,
  BLOB_LOCATIONS_PER_PIECE,
  LEGACY_BLOB_LOCATIONS_FILE,
  loadBlobLocations,
  pieceOf,
  saveBlobLocations,
} from "../../../src/content/cache/blob-locations-file.js";
import {
  blobLocationsOn,
  createBlobLocations,
  forgetBlobLocation,
  recordBlobLocation,
} from "../../../src/content/cache/blob-locations.js";

const root = mkdtempSync(join(tmpdir(), "blob-locations-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const fresh = (): string => join(root, String(dirs++));
/** A digest whose value starts with `piece` (two hex digits), then `n`. */
const digest = (n: number, piece = "ab"): string =>
  `sha256:${piece}${n.toString(16).padStart(62, "0")}`;
const pieceFile = (dir: string, d: string): string =>
  join(dir, BLOB_LOCATIONS_DIR, `${pieceOf(d)}.json`);

describe("blob location memory file", () => {
  test("a digest's piece is named by the first two hex digits of its value", () => {
    assert.equal(pieceOf(digest(1, "3f")), "3f");
    assert.equal(pieceOf(`sha256:${"A".repeat(64)}`), "aa");
    assert.equal(pieceOf("sha256:zz"), "other");
  });

  test("no file is an empty memory, without a warning", async () => {
    const warnings: string[] = [];
    const m = await loadBlobLocations(fresh(), (w) => warnings.push(w));
    assert.deepEqual(blobLocationsOn(m, digest(1), "reg"), []);
    assert.deepEqual(warnings, []);
  });

  test("what one process saves, the next loads; the piece is the user's only, no temp file stays", async () => {
    const dir = fresh();
    const m = createBlobLocations();
    recordBlobLocation(m, digest(1), "reg:5000", "team/app");
    await saveBlobLocations(dir, m);
    assert.equal(m.changed, false, "saved news are no longer news");
    const back = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(back, digest(1), "reg:5000"), ["team/app"]);
    assert.equal(statSync(pieceFile(dir, digest(1))).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), [BLOB_LOCATIONS_DIR]);
    assert.deepEqual(readdirSync(join(dir, BLOB_LOCATIONS_DIR)), ["ab.json"]);
  });

  test("a memory with no news is not written", async () => {
    const dir = fresh();
    await saveBlobLocations(dir, createBlobLocations());
    assert.throws(() => readdirSync(dir), /ENOENT/);
  });

  test("a lookup reads only its digest's piece, and a save writes only the pieces with news", async () => {
    const dir = fresh();
    const seed = createBlobLocations();
    for (const piece of ["00", "11", "22"])
      recordBlobLocation(seed, digest(1, piece), "reg", piece);
    await saveBlobLocations(dir, seed);
    // Pieces this run never touches may be anything: they are not read, so no warning.
    writeFileSync(pieceFile(dir, digest(1, "11")), "not json");
    const warnings: string[] = [];
    const m = await loadBlobLocations(dir, (w) => warnings.push(w));
    assert.deepEqual(blobLocationsOn(m, digest(1, "00"), "reg"), ["00"]);
    assert.equal(m.seen.has(digest(1, "22")), false, "the piece 22 is not read");
    recordBlobLocation(m, digest(2, "33"), "reg", "new");
    const untouched = statSync(pieceFile(dir, digest(1, "00"))).mtimeMs;
    await saveBlobLocations(dir, m);
    assert.deepEqual(warnings, []);
    assert.equal(readFileSync(pieceFile(dir, digest(1, "11")), "utf8"), "not json");
    assert.equal(statSync(pieceFile(dir, digest(1, "00"))).mtimeMs, untouched, "looked up only");
    const back = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(back, digest(2, "33"), "reg"), ["new"]);
    assert.deepEqual(blobLocationsOn(back, digest(1, "22"), "reg"), ["22"]);
  });

  test("a corrupt piece is ignored with a warning naming it, and the next save replaces it", async () => {
    for (const junk of ['{"version": 1, "blobs": {"sha256:', '{"version": 9}', "[1,2]"]) {
      const dir = fresh();
      const file = pieceFile(dir, digest(2));
      mkdirSync(join(dir, BLOB_LOCATIONS_DIR), { recursive: true });
      writeFileSync(file, junk);
      const warnings: string[] = [];
      const m = await loadBlobLocations(dir, (w) => warnings.push(w));
      recordBlobLocation(m, digest(2), "reg", "x");
      assert.equal(warnings.length, 1, junk);
      assert.ok(warnings[0]!.includes(file), warnings[0]);
      await saveBlobLocations(dir, m);
      const again = await loadBlobLocations(dir, (w) => assert.fail(w));
      assert.deepEqual(blobLocationsOn(again, digest(2), "reg"), ["x"]);
    }
  });

  test("a save keeps what another process saved since this one loaded", async () => {
    const dir = fresh();
    const mine = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(mine, digest(3), "reg"), [], "the piece is read, empty");
    const theirs = createBlobLocations();
    recordBlobLocation(theirs, digest(3), "reg", "theirs");
    await saveBlobLocations(dir, theirs);
    recordBlobLocation(mine, digest(4), "reg", "mine");
    await saveBlobLocations(dir, mine);
    const both = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(both, digest(3), "reg"), ["theirs"]);
    assert.deepEqual(blobLocationsOn(both, digest(4), "reg"), ["mine"]);
  });

  test("a memory read from a piece keeps what another process saved over it since, and so does its next save", async () => {
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
    recordBlobLocation(theirs, digest(8), "reg", "theirs");
    await saveBlobLocations(dir, theirs);
    recordBlobLocation(mine, digest(9), "reg", "mine");
    await saveBlobLocations(dir, mine);
    const later = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(later, digest(8), "reg"), ["theirs"]);
    assert.deepEqual(blobLocationsOn(later, digest(9), "reg"), ["mine"]);
  });

  test("a location this process found gone is dropped from the piece", async () => {
    const dir = fresh();
    const seed = createBlobLocations();
    recordBlobLocation(seed, digest(10), "reg", "a", 1);
    recordBlobLocation(seed, digest(10), "reg", "b", 2);
    await saveBlobLocations(dir, seed);
    const m = await loadBlobLocations(dir);
    forgetBlobLocation(m, digest(10), "reg", "a");
    await saveBlobLocations(dir, m);
    const back = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(back, digest(10), "reg"), ["b"]);
  });

  test("a piece is not read again at a save while it is the file it was read from", async () => {
    const dir = fresh();
    const seed = createBlobLocations();
    recordBlobLocation(seed, digest(11), "reg", "aaaa");
    await saveBlobLocations(dir, seed);
    const file = pieceFile(dir, digest(11));
    const second = 1_700_000_000; // a whole second, which utimes sets exactly
    utimesSync(file, second, second);
    const mine = await loadBlobLocations(dir);
    recordBlobLocation(mine, digest(12), "reg", "mine");
    // Rewritten in place, same size and time: no writer of the memory does this (they rename), so
    // the piece counts as the one read, and its new text is not read.
    writeFileSync(file, readFileSync(file, "utf8").replace('"reg/aaaa"', '"reg/bbbb"'));
    utimesSync(file, second, second);
    await saveBlobLocations(dir, mine);
    const back = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(back, digest(11), "reg"), ["aaaa"]);
    assert.deepEqual(blobLocationsOn(back, digest(12), "reg"), ["mine"]);
  });

  test("a piece keeps its newest locations, at most its share of the memory's bound", async () => {
    const dir = fresh();
    const m = createBlobLocations();
    for (let i = 0; i < BLOB_LOCATIONS_PER_PIECE + 5; i++) {
      recordBlobLocation(m, digest(100 + i), "reg", `r${i}`, 1000 + i);
    }
    await saveBlobLocations(dir, m);
    const saved = JSON.parse(readFileSync(pieceFile(dir, digest(100)), "utf8")) as {
      blobs: Record<string, object>;
    };
    assert.equal(Object.keys(saved.blobs).length, BLOB_LOCATIONS_PER_PIECE);
    const back = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(back, digest(100), "reg"), [], "the oldest went");
    assert.deepEqual(blobLocationsOn(back, digest(144), "reg"), ["r44"]);
  });

  test("the single file of earlier versions is removed at the first save", async () => {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, LEGACY_BLOB_LOCATIONS_FILE), '{"version": 1, "blobs": {}}');
    const m = await loadBlobLocations(dir, (w) => assert.fail(w));
    recordBlobLocation(m, digest(13), "reg", "x");
    await saveBlobLocations(dir, m);
    assert.equal(existsSync(join(dir, LEGACY_BLOB_LOCATIONS_FILE)), false);
  });

  test("many concurrent saves leave valid pieces", async () => {
    const dir = fresh();
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const m = createBlobLocations();
        for (let j = 0; j < 200; j++) {
          recordBlobLocation(
            m,
            `sha256:${(i * 1000 + j).toString(16).padStart(64, "7")}`,
            "reg",
            `r${i}`,
          );
        }
        await saveBlobLocations(dir, m);
      }),
    );
    const names = readdirSync(join(dir, BLOB_LOCATIONS_DIR));
    assert.ok(names.length > 0);
    for (const name of names) {
      assert.match(name, /^[0-9a-f]{2}\.json$|^other\.json$/, "no temp file stays");
      const piece = JSON.parse(readFileSync(join(dir, BLOB_LOCATIONS_DIR, name), "utf8")) as {
        version: number;
      };
      assert.equal(piece.version, 1);
    }
  });
});
