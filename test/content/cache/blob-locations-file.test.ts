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
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import type * as NodeFs from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
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

/** Saves, as another process would, `[digest, repository, at?]` locations on registry "reg". */
async function seed(dir: string, ...locations: [string, string, number?][]): Promise<void> {
  const m = createBlobLocations();
  for (const [d, repository, at] of locations) recordBlobLocation(m, d, "reg", repository, at);
  await saveBlobLocations(dir, m);
}

/** How often `run` reads `path` (node:fs's readFileSync, wrapped; ES module bindings synced). */
async function readsOf(path: string, run: () => Promise<void>): Promise<number> {
  const fs = createRequire(import.meta.url)("node:fs") as typeof NodeFs;
  const original = fs.readFileSync;
  let reads = 0;
  fs.readFileSync = ((file: unknown, ...rest: unknown[]) => {
    if (typeof file === "number" ? fdPaths(file) === path : file === path) reads++;
    return (original as (...args: unknown[]) => unknown)(file, ...rest);
  }) as typeof fs.readFileSync;
  syncBuiltinESMExports();
  try {
    await run();
  } finally {
    fs.readFileSync = original;
    syncBuiltinESMExports();
  }
  return reads;
}

/** The file a descriptor of this process has open (Linux). */
function fdPaths(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

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
    await seed(dir, ...["00", "11", "22"].map((p): [string, string] => [digest(1, p), p]));
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

  test("a corrupt piece a run only looked up is replaced too, when the run saves", async () => {
    const dir = fresh();
    const file = pieceFile(dir, digest(2));
    mkdirSync(join(dir, BLOB_LOCATIONS_DIR), { recursive: true });
    writeFileSync(file, "junk");
    const m = await loadBlobLocations(dir, () => undefined);
    assert.deepEqual(blobLocationsOn(m, digest(2), "reg"), []);
    recordBlobLocation(m, digest(3, "cd"), "reg", "elsewhere");
    await saveBlobLocations(dir, m);
    const piece = JSON.parse(readFileSync(file, "utf8")) as { version: number; blobs: object };
    assert.deepEqual(piece, { version: 1, blobs: {} });
  });

  test("a directory that cannot be read is said once, not once per piece", async () => {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, BLOB_LOCATIONS_DIR), "a file where the pieces' directory should be");
    const warnings: string[] = [];
    const m = await loadBlobLocations(dir, (w) => warnings.push(w));
    for (const piece of ["00", "11", "22", "33"]) blobLocationsOn(m, digest(1, piece), "reg");
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /cannot read .*ENOTDIR/);
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
    await seed(dir, [digest(5), "first"]);
    const mine = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(mine, digest(5), "reg"), ["first"], "the piece is read now");
    const theirs = await loadBlobLocations(dir);
    recordBlobLocation(theirs, digest(6), "reg", "theirs");
    await saveBlobLocations(dir, theirs);
    recordBlobLocation(mine, digest(7), "reg", "mine");
    await saveBlobLocations(dir, mine);
    assert.deepEqual(
      blobLocationsOn(mine, digest(6), "reg"),
      ["theirs"],
      "the save's merge is kept",
    );
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

  test("a piece only looked up is not written back, so another process's forgetting stands", async () => {
    const dir = fresh();
    await seed(dir, [digest(20), "stale"]);
    const mine = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(mine, digest(20), "reg"), ["stale"]);
    const theirs = await loadBlobLocations(dir);
    forgetBlobLocation(theirs, digest(20), "reg", "stale");
    await saveBlobLocations(dir, theirs);
    recordBlobLocation(mine, digest(21, "cd"), "reg", "news elsewhere");
    await saveBlobLocations(dir, mine);
    const after = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(after, digest(20), "reg"), []);
    assert.deepEqual(blobLocationsOn(after, digest(21, "cd"), "reg"), ["news elsewhere"]);
  });

  test("a location this process found gone is dropped from the piece", async () => {
    const dir = fresh();
    await seed(dir, [digest(10), "a", 1], [digest(10), "b", 2]);
    const m = await loadBlobLocations(dir);
    forgetBlobLocation(m, digest(10), "reg", "a");
    await saveBlobLocations(dir, m);
    const back = await loadBlobLocations(dir);
    assert.deepEqual(blobLocationsOn(back, digest(10), "reg"), ["b"]);
  });

  test("a save reads a piece again only when another process has replaced it since", async () => {
    const dir = fresh();
    await seed(dir, [digest(11), "seed"]);
    const file = pieceFile(dir, digest(11));
    const mine = await loadBlobLocations(dir);
    recordBlobLocation(mine, digest(12), "reg", "mine");
    assert.equal(await readsOf(file, () => saveBlobLocations(dir, mine)), 0, "unchanged: not read");
    const theirs = await loadBlobLocations(dir);
    recordBlobLocation(theirs, digest(13), "reg", "theirs");
    await saveBlobLocations(dir, theirs);
    recordBlobLocation(mine, digest(14), "reg", "mine");
    assert.equal(await readsOf(file, () => saveBlobLocations(dir, mine)), 1, "replaced: read");
    const back = await loadBlobLocations(dir);
    for (const [n, repo] of [
      [11, "seed"],
      [12, "mine"],
      [13, "theirs"],
      [14, "mine"],
    ] as const) {
      assert.deepEqual(blobLocationsOn(back, digest(n), "reg"), [repo]);
    }
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

  test("many concurrent saves leave valid pieces, spread over the directory", async () => {
    const dir = fresh();
    const hex = (n: number): string => (n * 2654435761).toString(16).padStart(8, "0").slice(-8);
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const m = createBlobLocations();
        for (let j = 0; j < 100; j++) {
          recordBlobLocation(m, `sha256:${hex(i * 1000 + j).repeat(8)}`, "reg", `r${i}`);
        }
        await saveBlobLocations(dir, m);
      }),
    );
    const names = readdirSync(join(dir, BLOB_LOCATIONS_DIR));
    assert.ok(names.length > 50, `${names.length} pieces`);
    let digests = 0;
    const warnings: string[] = [];
    const back = await loadBlobLocations(dir, (w) => warnings.push(w));
    for (const name of names) {
      assert.match(name, /^[0-9a-f]{2}\.json$/, "no temp file stays");
      const piece = JSON.parse(readFileSync(join(dir, BLOB_LOCATIONS_DIR, name), "utf8")) as {
        version: number;
        blobs: Record<string, object>;
      };
      assert.equal(piece.version, 1);
      digests += Object.keys(piece.blobs).length;
      for (const d of Object.keys(piece.blobs)) blobLocationsOn(back, d, "reg");
    }
    assert.deepEqual(warnings, []);
    assert.ok(digests >= 100, `${digests} digests`);
  });
});
