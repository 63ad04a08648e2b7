// A copy opens the destination's upload session while it asks the source for the blob, instead of
// after the source answered: one round trip less per blob on a real network. On the real registry
// (Debian docker-registry) behind the counting proxy: the session is opened before the source's
// bytes come, used by the push, closed when the source fails, and a refused session leaves the
// source's stream released.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isCopyError } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import type { RegistryStore } from "../../src/content/registry/index.js";
import {
  fetchBytes,
  isManifestType,
  type ContentDescriptor,
  type Store,
} from "../../src/content/store.js";
import { copyImage } from "../../src/ops/copy.js";
import { pushAll, tempDir } from "../content/layout-support.js";
import type { TestRegistry } from "../support/registry.js";
import {
  bigImage,
  type FaultProxy,
  openSessions,
  type ProxiedRegistry,
  type Seen,
  sessionDeletes,
  startProxiedRegistry,
} from "./copy-support.js";

let fixture: ProxiedRegistry;
let registry: TestRegistry;
let proxy: FaultProxy;
const work = tempDir("copy-upload-session-");
const store = (repository: string): RegistryStore => fixture.store(repository, proxy.host);

async function layoutWithImage(name: string) {
  const image = bigImage(1, 2, 64 * 1024);
  const layout = await openLayout(join(work.path, name), { create: true });
  await pushAll(layout, image.blobs);
  await layout.tag(image.index.desc, "v1");
  const blobs = image.blobs.filter((b) => !isManifestType(b.desc.mediaType));
  return { layout, blobs, all: image.blobs };
}

const sessionPosts = (seen: readonly Seen[]) =>
  seen.filter((s) => s.method === "POST" && s.url.includes("/blobs/uploads/"));

/** `src` whose blob reads go through `around` (manifests are read as they are). */
function wrapFetch(
  src: Store,
  around: (desc: ContentDescriptor, fetch: () => Promise<AsyncIterable<Uint8Array>>) => unknown,
): Store {
  return {
    ...src,
    name: src.name,
    resolve: (r, o) => src.resolve(r, o),
    exists: (d, o) => src.exists(d, o),
    push: (d, b, o) => src.push(d, b, o),
    tag: (d, t, o) => src.tag(d, t, o),
    listTags: (o) => src.listTags(o),
    fetch: (d, o) =>
      isManifestType(d.mediaType)
        ? src.fetch(d, o)
        : (around(d, () => src.fetch(d, o)) as Promise<AsyncIterable<Uint8Array>>),
  };
}

/** The error a copy that must fail rejects with. */
function failureOf(copy: Promise<unknown>): Promise<unknown> {
  return copy.then(
    () => assert.fail("the copy should fail"),
    (e: unknown) => e,
  );
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

before(async () => {
  fixture = await startProxiedRegistry();
  ({ registry, proxy } = fixture);
});

after(async () => {
  await fixture?.close();
  work.remove();
});

describe("a copy's upload sessions (real registry, counting proxy)", () => {
  test("each blob's upload session is opened before the source gives its bytes, and the push uses it", async () => {
    const { layout, blobs, all } = await layoutWithImage("early");
    proxy.reset();
    let asked = 0;
    // The source answers a blob only once the destination has seen that blob's POST: a copy
    // that asked for the session after the source answered would wait here until the timeout.
    const src = wrapFetch(layout, async (_desc, fetch) => {
      asked++;
      const mine = asked;
      await until("the upload session's POST", () => sessionPosts(proxy.seen).length >= mine);
      return fetch();
    });
    const result = await copyImage({
      src,
      reference: "v1",
      dst: store("early/dst"),
      tag: "v1",
      concurrency: 1,
    });
    assert.equal(result.stats.copied, all.length, "the blobs, the manifest and the index");
    assert.equal(asked, blobs.length);
    assert.equal(sessionPosts(proxy.seen).length, blobs.length, "one session per blob");
    assert.deepEqual(sessionDeletes(proxy.seen), []);
    assert.deepEqual(openSessions(registry, "early/dst"), []);
    const check = fixture.store("early/dst", registry.host);
    for (const b of blobs) assert.equal(await check.exists(b.desc), true);
  });

  test("a source that fails after the session was opened: the error is the source's, and the session is closed", async () => {
    const { layout, blobs } = await layoutWithImage("lost");
    const gone = blobs[0]!.desc;
    const [algorithm, hex] = gone.digest.split(":") as [string, string];
    rmSync(join(work.path, "lost", "blobs", algorithm, hex));
    proxy.reset();
    const err = await failureOf(
      copyImage({
        src: layout,
        reference: "v1",
        dst: store("lost/dst"),
        tag: "v1",
        concurrency: 1,
      }),
    );
    assert.ok(isCopyError(err), String(err));
    assert.equal(err.side, "source");
    assert.match(err.message, new RegExp(gone.digest));
    const closed = sessionDeletes(proxy.seen);
    assert.ok(closed.length >= 1, JSON.stringify(proxy.seen));
    assert.ok(closed.every((d) => d.status === 204));
    assert.deepEqual(openSessions(registry, "lost/dst"), []);
  });

  test("a destination that refuses to open a session: the error is the destination's, and the source's stream is released", async () => {
    const { layout } = await layoutWithImage("refused");
    let fetched = 0;
    let released = 0;
    const src = wrapFetch(layout, async (_desc, fetch) => {
      const inner = await fetch();
      fetched++;
      return {
        [Symbol.asyncIterator]() {
          const it = inner[Symbol.asyncIterator]();
          return {
            next: () => it.next(),
            async return() {
              released++;
              return (await it.return?.()) ?? { done: true as const, value: undefined };
            },
          };
        },
      };
    });
    proxy.reset();
    proxy.rule = (method, url) =>
      method === "POST" && url.includes("/blobs/uploads/")
        ? { kind: "status", status: 403 }
        : undefined;
    const err = await failureOf(
      copyImage({
        src,
        reference: "v1",
        dst: store("refused/dst"),
        tag: "v1",
        concurrency: 1,
      }),
    );
    assert.ok(isCopyError(err), String(err));
    assert.equal(err.side, "destination");
    assert.ok(fetched >= 1);
    assert.equal(released, fetched, "every stream read for a refused session was let go");
    const posts = sessionPosts(proxy.seen);
    assert.equal(posts.length, fetched, "one refused POST per blob: a refusal is not retried");
  });

  test("a session a refused mount left is the one used: opening another is a no-op", async () => {
    const { layout, blobs } = await layoutWithImage("mounted");
    const dst = store("mounted/dst");
    const one = blobs[0]!.desc;
    proxy.reset();
    assert.equal(await dst.mount(one, "mounted/nowhere"), false);
    await dst.openUploadSession(one);
    assert.equal(sessionPosts(proxy.seen).length, 1, "only the mount's POST");
    await dst.push(one, await fetchBytes(layout, one));
    assert.equal(sessionPosts(proxy.seen).length, 1);
    assert.deepEqual(openSessions(registry, "mounted/dst"), []);
    assert.equal(await dst.exists(one), true);
  });
});
