// copy through a loopback fault proxy in front of the real registry: dropped connections, 5xx
// bursts, 429 with Retry-After, truncated and corrupted bodies. Copy retries what is temporary and
// fails clearly on what is not; the destination tag is written only over a complete graph.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { createRegistryStore, type RegistryStore } from "../../src/content/registry/index.js";
import { isOcicompatError } from "../../src/oci/errors.js";
import { copyImage } from "../../src/ops/copy.js";
import { rejectsWith } from "../content/layout-support.js";
import type { TestRegistry } from "../support/registry.js";
import {
  bigImage,
  type Fault,
  type FaultProxy,
  type ProxiedRegistry,
  startProxiedRegistry,
} from "./copy-support.js";
import { pushToRegistry } from "./select-support.js";

let fixture: ProxiedRegistry;
let registry: TestRegistry;
let proxy: FaultProxy;
const image = bigImage(2, 2, 256 * 1024);
const layer = image.layers[0]!;
let n = 0;

function store(repository: string, host: string): RegistryStore {
  return fixture.store(repository, host, {
    retry: { baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 2000 },
  });
}

/** The first `count` requests matching `method` and `path` get `fault`; the rest pass. */
function first(count: number, method: string, path: string | RegExp, fault: Fault): void {
  let left = count;
  proxy.rule = (m, url) => {
    const hit = m === method && (typeof path === "string" ? url.includes(path) : path.test(url));
    if (!hit || left <= 0) return undefined;
    left--;
    return fault;
  };
}

/** Copies faults/src:v1 through the proxy into a fresh repository; returns it. */
async function copyThroughProxy(throughDst = false): Promise<RegistryStore> {
  const name = `faults/dst-${++n}`;
  const dst = store(name, throughDst ? proxy.host : registry.host);
  await copyImage({
    src: store("faults/src", proxy.host),
    reference: "v1",
    dst,
    tag: "v1",
    concurrency: 2,
  });
  return dst;
}

async function assertComplete(dst: RegistryStore): Promise<void> {
  for (const b of image.blobs) assert.equal(await dst.exists(b.desc), true, b.desc.digest);
  assert.equal((await dst.resolve("v1")).digest, image.index.desc.digest);
}

async function assertUntagged(repository: string): Promise<void> {
  const dst = store(repository, registry.host);
  await rejectsWith(dst.resolve("v1"), "NOT_FOUND");
  assert.equal(await dst.exists(image.index.desc), false, "the index was not written");
}

before(async () => {
  fixture = await startProxiedRegistry();
  ({ registry, proxy } = fixture);
  await pushToRegistry(registry.host, "faults/src", image.blobs, image.index.desc, "v1");
});

after(async () => {
  await fixture?.close();
});

describe("copy (loopback fault proxy)", () => {
  beforeEach(() => proxy.reset());

  test("a connection dropped mid-blob is resumed and the copy completes (loopback fault proxy)", async () => {
    first(1, "GET", `/blobs/${layer.desc.digest}`, { kind: "drop", after: 64 * 1024 });
    const dst = await copyThroughProxy();
    const reads = proxy.seen.filter((s) => s.method === "GET" && s.url.includes(layer.desc.digest));
    assert.equal(reads.length, 2, "one broken read, one resumed read");
    await assertComplete(dst);
  });

  test("500/503 bursts on blob reads and manifest writes are retried (loopback fault proxy)", async () => {
    let left = 6;
    proxy.rule = (m, url) => {
      const hit =
        (m === "GET" && url.includes("/blobs/")) || (m === "PUT" && url.includes("/manifests/"));
      if (!hit || left <= 0) return undefined;
      return { kind: "status", status: left-- % 2 === 0 ? 503 : 500 };
    };
    const dst = await copyThroughProxy(true);
    assert.equal(proxy.seen.filter((s) => s.status >= 500).length, 6);
    await assertComplete(dst);
  });

  test("a large blob's streamed push that fails with 500 is copied again from the source; a lasting 500 fails with no tag (loopback fault proxy)", async () => {
    // Above 1 MiB the registry store streams the blob in one PUT, which it cannot repeat itself.
    const large = bigImage(1, 1, 3 * 1024 * 1024);
    await pushToRegistry(registry.host, "faults/large", large.blobs, large.index.desc, "v1");
    let progress = 0;
    const copyLarge = async (name: string): Promise<RegistryStore> => {
      const dst = store(name, proxy.host);
      progress = 0;
      await copyImage({
        src: store("faults/large", registry.host),
        reference: "v1",
        dst,
        tag: "v1",
        progress: { onProgress: (_d, bytes) => (progress += bytes) },
      });
      return dst;
    };
    // The layer's PUT, not the config's (a small blob, sent from memory and repeated by the store).
    const layerPut = new RegExp(
      `/blobs/uploads/.*digest=sha256%3A${large.layers[0]!.desc.digest.slice(7)}`,
    );
    const isLargePut = (m: string, url: string) => m === "PUT" && layerPut.test(url);
    first(1, "PUT", layerPut, { kind: "status", status: 500 });
    const dst = await copyLarge("faults/large-dst-1");
    const puts = proxy.seen.filter((s) => isLargePut(s.method, s.url));
    assert.deepEqual(
      puts.map((s) => s.status),
      [500, 201],
      "one failed streamed PUT, one repeated from the source",
    );
    for (const b of large.blobs) assert.equal(await dst.exists(b.desc), true, b.desc.digest);
    assert.equal((await dst.resolve("v1")).digest, large.index.desc.digest);
    const total = large.blobs.reduce((sum, b) => sum + b.desc.size, 0);
    assert.equal(progress, total, "the repeated push's bytes are counted once");
    proxy.reset();

    proxy.rule = (m, url) => (isLargePut(m, url) ? { kind: "status", status: 500 } : undefined);
    await assert.rejects(copyLarge("faults/large-dst-2"), (err: { code?: string }) => {
      assert.ok(isOcicompatError(err), String(err));
      return true;
    });
    assert.equal(proxy.seen.filter((s) => isLargePut(s.method, s.url)).length, 3, "three attempts");
    await rejectsWith(store("faults/large-dst-2", registry.host).resolve("v1"), "NOT_FOUND");
  });

  test("429 with Retry-After is waited out (loopback fault proxy)", async () => {
    first(2, "HEAD", "/faults/dst-", {
      kind: "status",
      status: 429,
      headers: { "retry-after": "1" },
    });
    const started = Date.now();
    const dst = await copyThroughProxy(true);
    assert.ok(Date.now() - started >= 900, "Retry-After was honoured");
    assert.equal(proxy.seen.filter((s) => s.status === 429).length, 2);
    await assertComplete(dst);
  });

  test("a body truncated once is resumed; truncated every time fails with no tag (loopback fault proxy)", async () => {
    first(1, "GET", `/blobs/${layer.desc.digest}`, { kind: "truncate", after: 1000 });
    await assertComplete(await copyThroughProxy());
    const reads = proxy.seen.filter((s) => s.method === "GET" && s.url.includes(layer.desc.digest));
    assert.equal(reads.length, 2, "one short read, one resumed read");
    proxy.reset();

    proxy.rule = (m, url) =>
      m === "GET" && url.includes(`/blobs/${layer.desc.digest}`)
        ? { kind: "truncate", after: 1000 }
        : undefined;
    await assert.rejects(copyThroughProxy(), (err: { code?: string; message?: string }) => {
      assert.match(String(err.code), /SIZE_MISMATCH|UNREACHABLE/);
      assert.match(String(err.message), /bytes/);
      return true;
    });
    await assertUntagged(`faults/dst-${n}`);
  });

  test("a flipped byte fails with DIGEST_MISMATCH and nothing is tagged (loopback fault proxy)", async () => {
    proxy.rule = (m, url) =>
      m === "GET" && url.includes(`/blobs/${layer.desc.digest}`)
        ? { kind: "flip", at: 12345 }
        : undefined;
    await rejectsWith(copyThroughProxy(), "DIGEST_MISMATCH", new RegExp(layer.desc.digest));
    await assertUntagged(`faults/dst-${n}`);
    assert.equal(await store(`faults/dst-${n}`, registry.host).exists(layer.desc), false);

    // Once the fault is gone, the same copy completes.
    proxy.reset();
    const dst = store(`faults/dst-${n}`, registry.host);
    await copyImage({ src: store("faults/src", proxy.host), reference: "v1", dst, tag: "v1" });
    await assertComplete(dst);
  });

  test(
    "a destination that refuses a chunked upload before reading it: the copy fails and the source lets go of its stream (loopback fault proxy)",
    { timeout: 30_000 }, // a source stream left open made close() wait forever
    async () => {
      proxy.rule = (m, url) =>
        m === "POST" && url.includes("/faults/refused/blobs/uploads/")
          ? { kind: "status", status: 403 }
          : undefined;
      const src = createRegistryStore({ registry: registry.host, repository: "faults/src" });
      const dst = createRegistryStore({
        registry: proxy.host,
        repository: "faults/refused",
        chunkSize: 1024, // every layer takes the chunked path, which POSTs before reading
        retry: { baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 2000 },
      });
      try {
        await assert.rejects(
          copyImage({ src, reference: "v1", dst, tag: "v1", concurrency: 2 }),
          (err: unknown) => isOcicompatError(err) && err.code === "AUTH",
        );
      } finally {
        await Promise.all([src.close(), dst.close()]);
      }
    },
  );
});
