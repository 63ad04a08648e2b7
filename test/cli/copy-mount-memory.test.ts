// `ocicompat copy` remembers across runs where blobs were seen (blob-locations.json in the cache
// directory): a second run copying the same layout into another repository mounts instead of
// uploading; a corrupt memory file is ignored with a warning and replaced; --no-mount-memory
// neither reads nor writes it. Real registry behind the counting proxy.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openLayout } from "../../src/content/layout.js";
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
const blobCount = image.blobs.filter((b) => !isManifestType(b.desc.mediaType)).length;
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
    const file = join(cache, "blob-locations.json");
    assert.ok(statSync(file).isFile());
    proxy.reset();
    const second = await copy("cli/b", cache);
    assert.equal(second.stderr, "");
    assert.equal(second.json.stats.mounted, blobCount);
    assert.deepEqual(uploadRequests(proxy.seen), [], "no blob bytes sent");
  });

  test("a corrupt memory file is ignored with a warning naming it, and replaced by a valid one", async () => {
    const cache = join(work.path, "cache-corrupt");
    mkdirSync(cache, { recursive: true });
    const file = join(cache, "blob-locations.json");
    writeFileSync(file, '{"version": 1, "blobs": {"sha256:');
    const r = await copy("cli/corrupt", cache);
    assert.match(
      r.stderr,
      /^ocicompat: warning: blob location memory: .*blob-locations\.json is not JSON/m,
    );
    assert.ok(r.stderr.includes(file), r.stderr);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { version: number; blobs: object };
    assert.equal(saved.version, 1);
    assert.equal(Object.keys(saved.blobs).length, blobCount);
  });

  test("--no-mount-memory neither mounts from the memory nor writes it", async () => {
    const cache = join(work.path, "cache-off");
    await copy("cli/off-a", cache);
    const file = join(cache, "blob-locations.json");
    const before = readFileSync(file, "utf8");
    proxy.reset();
    const r = await copy("cli/off-b", cache, "--no-mount-memory");
    assert.equal(r.json.stats.mounted, 0);
    assert.equal(proxy.seen.filter((s) => s.url.includes("mount=")).length, 0);
    assert.equal(readFileSync(file, "utf8"), before);
  });
});
