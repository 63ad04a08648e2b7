// copy with a blob location memory, on the real registry (Debian docker-registry, distribution
// 2.8) behind the counting proxy: an image copied from a layout into a second repository is
// mounted from the first, not uploaded; a stale location falls back to an upload into the session
// the refused mount opened; sessions no push uses are closed.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  blobLocationsOn,
  createBlobLocations,
  recordBlobLocation,
  type BlobLocations,
} from "../../src/content/cache/blob-locations.js";
import { openLayout } from "../../src/content/layout.js";
import type { RegistryStore } from "../../src/content/registry/index.js";
import { isManifestType, type Store } from "../../src/content/store.js";
import { MediaType } from "../../src/oci/media-types.js";
import { copyImage, type CopyRequest } from "../../src/ops/copy.js";
import { pushAll, tempDir } from "../content/layout-support.js";
import type { TestRegistry } from "../support/registry.js";
import {
  bigImage,
  type FaultProxy,
  holdUntilAsked,
  openSessions,
  type ProxiedRegistry,
  type Seen,
  sessionDeletes,
  startProxiedRegistry,
  uploadRequests,
} from "./copy-support.js";

let fixture: ProxiedRegistry;
let registry: TestRegistry;
let proxy: FaultProxy;
const work = tempDir("copy-mount-memory-");
function store(repository: string, memory?: BlobLocations, host = proxy.host): RegistryStore {
  return fixture.store(repository, host, memory ? { blobLocations: memory } : {});
}

/** Copies `layout`'s `v1` to `repository:v1` through the proxy, with `memory` when given. */
function copyV1(
  layout: Store,
  repository: string,
  memory?: BlobLocations,
  extra: Partial<CopyRequest> = {},
) {
  return copyImage({
    src: layout,
    reference: "v1",
    dst: store(repository, memory),
    tag: "v1",
    ...extra,
  });
}

/**
 * A layout holding a fresh image (random layers, so no other test shares its digests) whose tag
 * `v1` names its index, or with `platforms` 1 its one image manifest.
 */
async function layoutWithImage(name: string, platforms = 2) {
  const image = bigImage(platforms, 2, 64 * 1024);
  const layout = await openLayout(join(work.path, name), { create: true });
  await pushAll(layout, image.blobs);
  const manifest = image.blobs.find((b) => b.desc.mediaType === MediaType.ImageManifest)!;
  await layout.tag(platforms === 1 ? manifest.desc : image.index.desc, "v1");
  const blobs = image.blobs.filter((b) => !isManifestType(b.desc.mediaType));
  return { image, manifest, layout, blobs };
}

const blobHeads = (seen: readonly Seen[]) =>
  seen.filter((s) => s.method === "HEAD" && s.url.includes("/blobs/"));
const mounts = (seen: readonly Seen[]) => seen.filter((s) => s.url.includes("mount="));
/** The mount request of `digest` into `repository` from `from`, as the proxy sees it. */
const mountRequest = (repository: string, digest: string, from: string) =>
  `POST /v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
/** Upload sessions a mount did not open: a POST without `mount=`. */
const plainPosts = (seen: readonly Seen[]) =>
  seen.filter(
    (s) => s.method === "POST" && s.url.includes("/blobs/uploads/") && !s.url.includes("mount="),
  );

before(async () => {
  fixture = await startProxiedRegistry();
  ({ registry, proxy } = fixture);
});

after(async () => {
  await fixture?.close();
  work.remove();
});

describe("copy with a blob location memory (real registry, counting proxy)", () => {
  test("a layout copied into a second repository mounts every blob from the first: no upload bodies", async () => {
    const { layout, blobs } = await layoutWithImage("twice");
    const memory = createBlobLocations();
    await copyV1(layout, "mem/a", memory);
    for (const b of blobs)
      assert.deepEqual(blobLocationsOn(memory, b.desc.digest, proxy.host), ["mem/a"]);

    proxy.reset();
    const result = await copyV1(layout, "mem/b", memory);
    assert.equal(result.stats.mounted, blobs.length);
    assert.deepEqual(uploadRequests(proxy.seen), [], "no blob bytes sent");
    assert.deepEqual(blobHeads(proxy.seen), [], "mounted without asking first");
    const tried = mounts(proxy.seen);
    assert.equal(tried.length, blobs.length);
    assert.ok(
      tried.every((m) => m.status === 201 && m.url.includes("from=mem%2Fa")),
      JSON.stringify(tried),
    );
    const b = store("mem/b", undefined, registry.host);
    for (const blob of blobs) assert.equal(await b.exists(blob.desc), true);
    assert.equal((await b.resolve("v1")).digest, (await layout.resolve("v1")).digest);
  });

  test("a blob the memory saw in the destination repository itself is asked for, not mounted: present, skipped", async () => {
    const { manifest, layout, blobs } = await layoutWithImage("here", 1);
    const memory = createBlobLocations();
    await copyV1(layout, "here/a", memory);
    await copyV1(layout, "here/b", memory);
    // here/b keeps the blobs but loses the manifest (and with it the tag).
    await store("here/b", undefined, registry.host).delete(manifest.desc);

    proxy.reset();
    const result = await copyV1(layout, "here/b", memory);
    assert.deepEqual(mounts(proxy.seen), [], "no mount for blobs remembered here");
    assert.equal(blobHeads(proxy.seen).length, blobs.length);
    assert.deepEqual([result.stats.copied, result.stats.skipped], [1, blobs.length]);
    assert.deepEqual(uploadRequests(proxy.seen), []);
  });

  test("a first mount refused for a blob the destination holds all the same: its presence is asked, the session closed, nothing uploaded", async () => {
    const { layout, blobs } = await layoutWithImage("held", 1);
    // The blobs are in held/dst, put there without the memory, which places them elsewhere.
    const dst = store("held/dst", undefined, registry.host);
    for (const b of blobs) await dst.push(b.desc, b.bytes);
    const memory = createBlobLocations();
    for (const b of blobs) recordBlobLocation(memory, b.desc.digest, proxy.host, "held/never");

    proxy.reset();
    const result = await copyV1(layout, "held/dst", memory);
    assert.deepEqual([result.stats.mounted, result.stats.skipped], [0, blobs.length]);
    const refused = mounts(proxy.seen);
    assert.equal(refused.length, blobs.length);
    assert.ok(refused.every((m) => m.status === 202));
    assert.equal(blobHeads(proxy.seen).length, blobs.length);
    assert.deepEqual(uploadRequests(proxy.seen), []);
    assert.equal(sessionDeletes(proxy.seen).length, blobs.length);
    assert.deepEqual(openSessions(registry, "held/dst"), []);
    for (const b of blobs)
      assert.deepEqual(blobLocationsOn(memory, b.desc.digest, proxy.host), ["held/dst"]);
  });

  test("the mounts of a new root's blobs go out beside the root's own presence check, not after its answer", async () => {
    const { manifest, layout, blobs } = await layoutWithImage("early-mounts", 1);
    const memory = createBlobLocations();
    await copyV1(layout, "early/a", memory);
    const released = holdUntilAsked(
      proxy,
      `HEAD /v2/early/b/manifests/${manifest.desc.digest}`,
      blobs.map((b) => mountRequest("early/b", b.desc.digest, "early/a")),
    );
    const result = await copyV1(layout, "early/b", memory);
    assert.equal(await released, "asked", "the blobs were mounted only after the root's answer");
    assert.equal(result.stats.mounted, blobs.length);
    assert.deepEqual(blobHeads(proxy.seen), []);
    assert.equal(mounts(proxy.seen).length, blobs.length);
  });

  test("mounts sent early for a root the destination turns out to hold: none counted, refused ones' sessions closed, all settled before the copy returns", async () => {
    const { manifest, layout, blobs } = await layoutWithImage("early-held", 1);
    // The image is at the destination under another tag; the memory places its blobs only in a
    // repository that does not hold them, so each early mount is refused (202, a session open).
    const dst = store("early-held/dst", undefined, registry.host);
    await copyImage({ src: layout, reference: "v1", dst, tag: "old" });
    const memory = createBlobLocations();
    for (const b of blobs) recordBlobLocation(memory, b.desc.digest, proxy.host, "early-held/none");
    const released = holdUntilAsked(
      proxy,
      `HEAD /v2/early-held/dst/manifests/${manifest.desc.digest}`,
      blobs.map((b) => mountRequest("early-held/dst", b.desc.digest, "early-held/none")),
    );
    const result = await copyV1(layout, "early-held/dst", memory);
    assert.equal(await released, "asked");
    assert.deepEqual([result.stats.copied, result.stats.skipped, result.stats.mounted], [0, 1, 0]);
    assert.ok(mounts(proxy.seen).every((m) => m.status === 202));
    assert.equal(sessionDeletes(proxy.seen).length, blobs.length);
    assert.deepEqual(openSessions(registry, "early-held/dst"), []);
    assert.deepEqual(uploadRequests(proxy.seen), []);
    assert.ok(
      proxy.seen.every((s) => s.status !== 0),
      "an answer still on its way",
    );
    assert.equal((await dst.resolve("v1")).digest, manifest.desc.digest);
  });

  test("without a memory (and no mountFrom) the same copy uploads: no mount is tried", async () => {
    const { layout, blobs } = await layoutWithImage("no-memory");
    await copyV1(layout, "nomem/a");
    proxy.reset();
    const result = await copyV1(layout, "nomem/b");
    assert.equal(result.stats.mounted, 0);
    assert.deepEqual(mounts(proxy.seen), []);
    assert.equal(plainPosts(proxy.seen).length, blobs.length);
  });

  test("a stale location (the blob deleted from it) costs one refused mount; the blob goes up in that mount's session", async () => {
    const { layout, blobs } = await layoutWithImage("stale");
    const memory = createBlobLocations();
    await copyV1(layout, "stale/a", memory);
    const gone = blobs[0]!;
    await store("stale/a", undefined, registry.host).delete(gone.desc);

    proxy.reset();
    const result = await copyV1(layout, "stale/b", memory);
    assert.equal(result.stats.mounted, blobs.length - 1);
    const refused = mounts(proxy.seen).filter((m) => m.status === 202);
    assert.equal(refused.length, 1);
    assert.ok(refused[0]!.url.includes(encodeURIComponent(gone.desc.digest)));
    assert.deepEqual(
      plainPosts(proxy.seen),
      [],
      "the refused mount's session was used, not a new one",
    );
    const puts = proxy.seen.filter((s) => s.method === "PUT" && s.url.includes("/blobs/uploads/"));
    assert.equal(puts.length, 1);
    assert.equal(puts[0]!.status, 201);
    assert.deepEqual(sessionDeletes(proxy.seen), []);
    assert.equal(await store("stale/b", undefined, registry.host).exists(gone.desc), true);
    assert.deepEqual(
      blobLocationsOn(memory, gone.desc.digest, proxy.host),
      ["stale/b"],
      "stale/a forgotten",
    );
    assert.deepEqual(openSessions(registry, "stale/b"), []);
  });

  test("when a second remembered repository lends the blob, the first one's refused-mount session is closed", async () => {
    const { layout, blobs } = await layoutWithImage("second");
    const memory = createBlobLocations();
    await copyV1(layout, "second/real", memory);
    const one = blobs[0]!;
    // A location seen more recently than the real one, which does not hold the blob.
    recordBlobLocation(memory, one.desc.digest, proxy.host, "second/never", Date.now() + 1000);

    proxy.reset();
    const result = await copyV1(layout, "second/dst", memory);
    assert.equal(result.stats.mounted, blobs.length);
    const forOne = mounts(proxy.seen).filter((m) =>
      m.url.includes(encodeURIComponent(one.desc.digest)),
    );
    assert.deepEqual(
      forOne.map((m) => [new URL(m.url, "http://x").searchParams.get("from"), m.status]),
      [
        ["second/never", 202],
        ["second/real", 201],
      ],
    );
    assert.equal(sessionDeletes(proxy.seen).length, 1);
    assert.ok(sessionDeletes(proxy.seen).every((d) => d.status === 204));
    assert.deepEqual(uploadRequests(proxy.seen), []);
    assert.deepEqual(openSessions(registry, "second/dst"), []);
  });

  test("a refused mount whose push never comes (the source lost the blob) has its session closed", async () => {
    const { layout, blobs } = await layoutWithImage("lost");
    const memory = createBlobLocations();
    const one = blobs[0]!;
    recordBlobLocation(memory, one.desc.digest, proxy.host, "lost/never");
    for (const b of blobs.slice(1))
      recordBlobLocation(memory, b.desc.digest, proxy.host, "lost/never");
    const [algorithm, hex] = one.desc.digest.split(":") as [string, string];
    rmSync(join(work.path, "lost", "blobs", algorithm, hex));

    proxy.reset();
    await assert.rejects(copyV1(layout, "lost/dst", memory, { concurrency: 1 }));
    const refused = mounts(proxy.seen).filter((m) => m.status === 202);
    assert.ok(refused.length >= 1);
    // Every session a refused mount opened was either used by a push or closed.
    const closed = sessionDeletes(proxy.seen);
    assert.ok(closed.length >= 1, JSON.stringify(proxy.seen));
    assert.deepEqual(openSessions(registry, "lost/dst"), []);
  });

  test("the store's closeUploadSession closes what a refused mount opened; a failing close is no error", async () => {
    const { blobs } = await layoutWithImage("direct");
    const dst = store("direct/dst");
    proxy.reset();
    assert.equal(await dst.mount(blobs[0]!.desc, "direct/nowhere"), false);
    assert.equal(openSessions(registry, "direct/dst").length, 1);
    await dst.closeUploadSession(blobs[0]!.desc);
    assert.equal(sessionDeletes(proxy.seen).length, 1);
    assert.deepEqual(openSessions(registry, "direct/dst"), []);
    // Nothing left to close: no request.
    await dst.closeUploadSession(blobs[0]!.desc);
    assert.equal(sessionDeletes(proxy.seen).length, 1);
    // The registry refuses the DELETE: still no error.
    assert.equal(await dst.mount(blobs[1]!.desc, "direct/nowhere"), false);
    proxy.rule = (m) => (m === "DELETE" ? { kind: "status", status: 500 } : undefined);
    await dst.closeUploadSession(blobs[1]!.desc);
    assert.equal(sessionDeletes(proxy.seen).at(-1)?.status, 500);
  });
});
