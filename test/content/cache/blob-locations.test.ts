// The blob location memory's pure part: what it records, what it answers, how it merges and
// what it keeps when bounded, and which JSON it accepts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BLOB_LOCATIONS_PER_DIGEST,
  blobLocationsFromJson,
  blobLocationsOn,
  blobLocationsToJson,
  boundBlobLocations,
  createBlobLocations,
  forgetBlobLocation,
  mergeBlobLocations,
  recordBlobLocation,
} from "../../../src/content/cache/blob-locations.js";

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;

describe("blob location memory", () => {
  test("answers the repositories of the asked registry only, most recent first, without the asker", () => {
    const m = createBlobLocations();
    recordBlobLocation(m, A, "reg:5000", "team/old", 1);
    recordBlobLocation(m, A, "reg:5000", "team/new", 3);
    recordBlobLocation(m, A, "reg:5000", "team/me", 4);
    recordBlobLocation(m, A, "other:5000", "team/elsewhere", 5);
    assert.deepEqual(blobLocationsOn(m, A, "reg:5000", { except: "team/me" }), [
      "team/new",
      "team/old",
    ]);
    assert.deepEqual(blobLocationsOn(m, A, "reg:5000", { limit: 1 }), ["team/me"]);
    assert.deepEqual(blobLocationsOn(m, B, "reg:5000"), []);
    // A registry whose name is a prefix of another's is not that other.
    assert.deepEqual(blobLocationsOn(m, A, "reg:500"), []);
  });

  test("a newer sighting moves a location forward; an older one changes nothing", () => {
    const m = createBlobLocations();
    recordBlobLocation(m, A, "reg", "x", 10);
    recordBlobLocation(m, A, "reg", "y", 20);
    recordBlobLocation(m, A, "reg", "x", 30);
    assert.deepEqual(blobLocationsOn(m, A, "reg"), ["x", "y"]);
    m.changed = false;
    recordBlobLocation(m, A, "reg", "y", 5);
    assert.equal(m.changed, false);
    assert.deepEqual(blobLocationsOn(m, A, "reg"), ["x", "y"]);
  });

  test("a forgotten location is not answered, and drops an older sighting another process saved", () => {
    const stored = createBlobLocations();
    recordBlobLocation(stored, A, "reg", "x", 10);
    recordBlobLocation(stored, A, "reg", "y", 10);
    const learnt = createBlobLocations();
    forgetBlobLocation(learnt, A, "reg", "x", 20);
    assert.deepEqual(blobLocationsOn(learnt, A, "reg"), []);
    const merged = mergeBlobLocations(stored, learnt);
    assert.deepEqual(blobLocationsOn(merged, A, "reg"), ["y"]);
    // Seen there again after it was found missing: it counts again.
    recordBlobLocation(stored, A, "reg", "x", 30);
    assert.deepEqual(blobLocationsOn(mergeBlobLocations(stored, learnt), A, "reg"), ["x", "y"]);
  });

  test("merging keeps the newer sighting of each location from either side", () => {
    const stored = createBlobLocations();
    recordBlobLocation(stored, A, "reg", "x", 50);
    recordBlobLocation(stored, B, "reg", "z", 5);
    const learnt = createBlobLocations();
    recordBlobLocation(learnt, A, "reg", "x", 40);
    recordBlobLocation(learnt, A, "reg", "y", 60);
    const merged = mergeBlobLocations(stored, learnt);
    assert.equal(merged.seen.get(A)?.get("reg/x"), 50);
    assert.deepEqual(blobLocationsOn(merged, A, "reg"), ["y", "x"]);
    assert.deepEqual(blobLocationsOn(merged, B, "reg"), ["z"]);
  });

  test("bounding keeps the newest locations overall and at most a few per digest", () => {
    const m = createBlobLocations();
    for (let i = 0; i < BLOB_LOCATIONS_PER_DIGEST + 4; i++)
      recordBlobLocation(m, A, "reg", `r${i}`, 100 + i);
    recordBlobLocation(m, B, "reg", "old", 1);
    const perDigest = boundBlobLocations(m, 1000);
    assert.equal(perDigest.seen.get(A)?.size, BLOB_LOCATIONS_PER_DIGEST);
    assert.equal(blobLocationsOn(perDigest, A, "reg", { limit: 100 }).at(-1), "r4");
    const overall = boundBlobLocations(m, 3);
    assert.deepEqual(blobLocationsOn(overall, A, "reg"), ["r11", "r10", "r9"]);
    assert.equal(overall.seen.has(B), false, "the oldest went first");
    const within = createBlobLocations();
    recordBlobLocation(within, A, "reg", "x", 1);
    recordBlobLocation(within, B, "reg", "y", 2);
    assert.equal(boundBlobLocations(within, 2), within, "within both bounds: kept as it is");
    assert.equal(boundBlobLocations(within, 1).seen.has(A), false, "one over: bounded");
  });

  test("JSON round-trips, and a document of another shape is refused with a reason", () => {
    const m = createBlobLocations();
    recordBlobLocation(m, A, "reg:5000", "team/app", 7);
    const back = blobLocationsFromJson(JSON.parse(JSON.stringify(blobLocationsToJson(m))));
    assert.ok(!("problem" in back));
    assert.deepEqual(blobLocationsOn(back, A, "reg:5000"), ["team/app"]);
    for (const bad of [
      null,
      [],
      { version: 2, blobs: {} },
      { version: 1 },
      { version: 1, blobs: { "not-a-digest": {} } },
      { version: 1, blobs: { [A]: { "no-slash": 1 } } },
      { version: 1, blobs: { [A]: { "reg/x": "yesterday" } } },
    ]) {
      const parsed = blobLocationsFromJson(bad);
      assert.ok("problem" in parsed, JSON.stringify(bad));
    }
  });
});
