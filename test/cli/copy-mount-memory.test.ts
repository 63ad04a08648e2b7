// `ocicompat copy` remembers across runs where blobs were seen (blob-locations/XX.json in the
// cache directory): a second run copying the same layout into another repository mounts instead of
// uploading; a corrupt memory file is ignored with a warning and replaced; --no-mount-memory
// neither reads nor writes it. Real registry behind the counting proxy.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openLayout } from "../../src/content/layout.js";
import { BLOB_LOCATIONS_DIR, pieceOf } from "../../src/content/cache/blob-locations-file.js";
import { isManifestType } from "../../src/content/store.js";
import { pushAll, tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { bigImage, startFaultProxy, uploadRequests, type FaultProxy } from "../ops/copy-support.js";
import { runCliAsync } from "../ops/select-support.js";
import { hasStackTrace } from "./run-cli.js";

let registry: TestRegistry;
let proxy: FaultProxy;
const work = tempDir("ocicompat-cli-mount-memory-");
const image = bigImage(2, 2, 64 * 1024);
const blobs = image.blobs.filter((b) => !isManifestType(b.desc.mediaType));
const blobCount = blobs.length;

/** The memory's pieces in `cache`, name → text. */
function pieces(cache: string): Map<string, string> {
  const dir = join(cache, BLOB_LOCATIONS_DIR);
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), "utf8")]));
}
const layout = join(work.path, "layout");

before(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  const l = await openLayout(layout, { create: true });
  await pushAll(l, image.blobs);
  await l.tag(image.index.desc, "v1");
});

after(async () => {
  await proxy?.close();
  await registry?.stop();
  work.remove();
});

interface CopyJson {
  stats: { mounted: number; copied: number };
}

/** Spawned asynchronously: the counting proxy runs in this process. */
async function copy(dst: string, cacheDir: string, ...flags: string[]) {
  const r = await runCliAsync(
    ["copy", "--output", "json", ...flags, `oci:${layout}:v1`, `${proxy.host}/${dst}:v1`],
    { OCICOMPAT_CACHE_DIR: cacheDir },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
  return { ...r, json: JSON.parse(r.stdout) as CopyJson };
}

describe("ocicompat copy with the blob location memory", async () => {
  test("a second run into another repository of the registry mounts every blob it saw in the first", async () => {
    const cache = join(work.path, "cache-two-runs");
    const first = await copy("cli/a", cache);
    assert.equal(first.json.stats.mounted, 0);
    const piece = join(cache, BLOB_LOCATIONS_DIR, `${pieceOf(blobs[0]!.desc.digest)}.json`);
    assert.ok(statSync(piece).isFile());
    proxy.reset();
    const second = await copy("cli/b", cache);
    assert.equal(second.stderr, "");
    assert.equal(second.json.stats.mounted, blobCount);
    assert.deepEqual(uploadRequests(proxy.seen), [], "no blob bytes sent");
  });

  test("a corrupt piece of the memory is ignored with a warning naming it, and replaced by a valid one", async () => {
    const cache = join(work.path, "cache-corrupt");
    mkdirSync(join(cache, BLOB_LOCATIONS_DIR), { recursive: true });
    const file = join(cache, BLOB_LOCATIONS_DIR, `${pieceOf(blobs[0]!.desc.digest)}.json`);
    writeFileSync(file, '{"version": 1, "blobs": {"sha256:');
    const r = await copy("cli/corrupt", cache);
    assert.match(
      r.stderr,
      /^ocicompat: warning: blob location memory: .*blob-locations\/[0-9a-f]{2}\.json is not JSON/m,
    );
    assert.ok(r.stderr.includes(file), r.stderr);
    let saved = 0;
    for (const text of pieces(cache).values()) {
      const piece = JSON.parse(text) as { version: number; blobs: object };
      assert.equal(piece.version, 1);
      saved += Object.keys(piece.blobs).length;
    }
    assert.equal(saved, blobCount);
  });

  test("--no-mount-memory neither mounts from the memory nor writes it", async () => {
    const cache = join(work.path, "cache-off");
    await copy("cli/off-a", cache);
    const before = pieces(cache);
    proxy.reset();
    const r = await copy("cli/off-b", cache, "--no-mount-memory");
    assert.equal(r.json.stats.mounted, 0);
    assert.equal(proxy.seen.filter((s) => s.url.includes("mount=")).length, 0);
    assert.deepEqual(pieces(cache), before);
  });
});
