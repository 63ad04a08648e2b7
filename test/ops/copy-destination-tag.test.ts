// copyImage asks the destination for its tag while it resolves the source (real registry, Debian
// docker-registry, behind the counting proxy): a copy the destination already holds under that
// tag ends with those two requests; a tag naming something else is moved as before; a layout,
// which checks the graph as it tags, is not asked early and still repairs what went missing.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openLayout } from "../../src/content/layout.js";
import type { RegistryStore } from "../../src/content/registry/index.js";
import { copyImage } from "../../src/ops/copy.js";
import type { CallOptions, ContentDescriptor, Store } from "../../src/content/store.js";
import { pushAll, tempDir } from "../content/layout-support.js";
import type { TestRegistry } from "../support/registry.js";
import { imageWithCompat } from "../support/sample-image.js";
import { type FaultProxy, type ProxiedRegistry, startProxiedRegistry } from "./copy-support.js";
import { pushToRegistry } from "./select-support.js";

let fixture: ProxiedRegistry;
let registry: TestRegistry;
let proxy: FaultProxy;
const first = imageWithCompat("destination-tag-a");
const second = imageWithCompat("destination-tag-b");
const work = tempDir("copy-destination-tag-");
const store = (repository: string, host = proxy.host): RegistryStore =>
  fixture.store(repository, host);

before(async () => {
  fixture = await startProxiedRegistry();
  ({ registry, proxy } = fixture);
  await pushToRegistry(registry.host, "dtag/src", first.blobs, first.index.desc, "a");
  await pushToRegistry(registry.host, "dtag/src", second.blobs, second.index.desc, "b");
});

after(async () => {
  await fixture?.close();
  work.remove();
});

describe("the destination's tag, asked at the start of a copy", () => {
  test("a copy the destination holds under its tag sends two requests at once, and nothing else", async () => {
    await copyImage({ src: store("dtag/src"), reference: "a", dst: store("dtag/held"), tag: "v1" });
    proxy.reset();
    // The source's answer is held back: the destination's HEAD must arrive before it comes.
    const arrived = new Map<string, number>();
    proxy.rule = (method, url) => {
      arrived.set(`${method} ${url}`, Date.now());
      return url.startsWith("/v2/dtag/src/") ? { kind: "delay", ms: 400 } : undefined;
    };
    const result = await copyImage({
      src: store("dtag/src"),
      reference: "a",
      dst: store("dtag/held"),
      tag: "v1",
    });
    assert.deepEqual(proxy.seen.map((s) => `${s.method} ${s.url} ${s.status}`).sort(), [
      "HEAD /v2/dtag/held/manifests/v1 200",
      "HEAD /v2/dtag/src/manifests/a 200",
    ]);
    const asked = arrived.get("HEAD /v2/dtag/held/manifests/v1")!;
    const resolved = arrived.get("HEAD /v2/dtag/src/manifests/a")!;
    assert.ok(asked < resolved + 400, "the destination was asked before the source answered");
    assert.equal(result.root.digest, first.index.desc.digest);
    assert.deepEqual(
      [result.stats.copied, result.stats.skipped, result.stats.bytesSkipped],
      [0, 1, first.index.desc.size],
    );
  });

  test("a destination tag that names another image: the copy writes what is missing and moves the tag", async () => {
    await copyImage({
      src: store("dtag/src"),
      reference: "a",
      dst: store("dtag/moved"),
      tag: "v1",
    });
    proxy.reset();
    const result = await copyImage({
      src: store("dtag/src"),
      reference: "b",
      dst: store("dtag/moved"),
      tag: "v1",
    });
    assert.ok(result.stats.copied > 0);
    assert.ok(proxy.seen.some((s) => s.method === "PUT" && s.url.endsWith("/manifests/v1")));
    const check = store("dtag/moved", registry.host);
    assert.equal((await check.resolve("v1")).digest, second.index.desc.digest);
  });

  test("a first copy asks for the destination's tag with one HEAD, which answers 404: no GET follows it", async () => {
    proxy.reset();
    await copyImage({
      src: store("dtag/src"),
      reference: "a",
      dst: store("dtag/first"),
      tag: "v1",
    });
    const byTag = proxy.seen
      .filter((s) => s.url === "/v2/dtag/first/manifests/v1")
      .map((s) => `${s.method} ${s.status}`);
    assert.deepEqual(byTag, ["HEAD 404", "PUT 201"]);
  });

  test("when the destination's tag is absent, the root's bytes are asked of the source beside the destination's presence check", async () => {
    proxy.reset();
    const arrived = new Map<string, number>();
    // The destination's answer about the root is held back: the source's GET must come before it.
    proxy.rule = (method, url) => {
      arrived.set(`${method} ${url}`, Date.now());
      return method === "HEAD" && url === `/v2/dtag/early/manifests/${first.index.desc.digest}`
        ? { kind: "delay", ms: 400 }
        : undefined;
    };
    await copyImage({
      src: store("dtag/src"),
      reference: "a",
      dst: store("dtag/early"),
      tag: "v1",
    });
    const asked = arrived.get(`HEAD /v2/dtag/early/manifests/${first.index.desc.digest}`)!;
    const read = arrived.get(`GET /v2/dtag/src/manifests/${first.index.desc.digest}`)!;
    assert.ok(asked !== undefined && read !== undefined, JSON.stringify([...arrived.keys()]));
    assert.ok(read < asked + 400, "the source was read before the destination answered");
    const check = store("dtag/early", registry.host);
    assert.equal((await check.resolve("v1")).digest, first.index.desc.digest);
  });

  test("taggedDigest: the digest from one HEAD; null for an absent tag or repository", async () => {
    const held = store("dtag/peek");
    await copyImage({ src: store("dtag/src"), reference: "a", dst: held, tag: "v1" });
    proxy.reset();
    assert.equal(await held.taggedDigest("v1"), first.index.desc.digest);
    assert.equal(await held.taggedDigest("absent"), null);
    assert.equal(await store("dtag/nowhere").taggedDigest("v1"), null);
    assert.deepEqual(
      proxy.seen.map((s) => s.method),
      ["HEAD", "HEAD", "HEAD"],
    );
  });

  test("a destination that fails: its tag is asked once, not again on a 503; the copy's own requests report the failure", async () => {
    proxy.reset();
    proxy.rule = (_method, url) =>
      url.startsWith("/v2/dtag/down/") ? { kind: "status", status: 503 } : undefined;
    const dst = fixture.store("dtag/down", proxy.host, {
      retry: { maxAttempts: 2, baseDelayMs: 1 },
    });
    await assert.rejects(copyImage({ src: store("dtag/src"), reference: "a", dst, tag: "v1" }));
    const peeks = proxy.seen.filter((s) => s.url === "/v2/dtag/down/manifests/v1");
    assert.equal(peeks.length, 1);
    assert.ok(
      proxy.seen.filter((s) => s.url.startsWith("/v2/dtag/down/manifests/sha256:")).length >= 2,
      "the copy's own HEAD was retried",
    );
  });

  test("a copy without a tag does not ask the destination for one", async () => {
    proxy.reset();
    await copyImage({ src: store("dtag/src"), reference: "a", dst: store("dtag/untagged") });
    const byTag = proxy.seen.filter(
      (s) => s.url.startsWith("/v2/dtag/untagged/manifests/") && !s.url.includes("sha256:"),
    );
    assert.deepEqual(byTag, []);
    assert.ok(proxy.seen.some((s) => s.url.startsWith("/v2/dtag/untagged/manifests/sha256:")));
  });

  test("a layout destination whose tag names the root still has its graph checked: a lost blob is sent again", async () => {
    const dir = join(work.path, "layout");
    const dst = await openLayout(dir, { create: true });
    await copyImage({ src: store("dtag/src"), reference: "a", dst, tag: "v1" });
    const layer = first.blobs.find((b) => b.desc.mediaType.includes("layer"))!;
    const [algorithm, hex] = layer.desc.digest.split(":") as [string, string];
    rmSync(join(dir, "blobs", algorithm, hex));
    const again = await copyImage({ src: store("dtag/src"), reference: "a", dst, tag: "v1" });
    assert.equal(again.stats.repaired, 1);
    assert.equal(await dst.exists(layer.desc), true);
  });

  test("a layout source's root is read while the destination's tag is asked, not after its answer", async () => {
    const { layout, root } = await layoutOf(first, "ahead-new");
    let readRoot!: () => void;
    const rootRead = new Promise<"read">((resolve) => {
      readRoot = () => resolve("read");
    });
    const watched = withRootRead(layout, root.digest, { onFetch: readRoot });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(resolve, 5000, "timeout");
    });
    const released = Promise.race([rootRead, timeout]).finally(() => clearTimeout(timer));
    proxy.reset();
    proxy.rule = (method, url) =>
      method === "HEAD" && url === "/v2/dtag/ahead-new/manifests/v1"
        ? { kind: "hold", until: released }
        : undefined;
    await copyImage({ src: watched, reference: "v1", dst: store("dtag/ahead-new"), tag: "v1" });
    assert.equal(await released, "read", "the root was read only after the tag's answer");
    assert.equal((await store("dtag/ahead-new", registry.host).resolve("v1")).digest, root.digest);
  });

  test("a copy from a layout that the destination holds under its tag sends one HEAD, and returns only once the root read ahead is done", async () => {
    const { layout, root } = await layoutOf(first, "ahead-held");
    await copyImage({ src: layout, reference: "v1", dst: store("dtag/ahead-held"), tag: "v1" });
    let done = false;
    const slow = withRootRead(layout, root.digest, { delayMs: 150, onEnd: () => (done = true) });
    proxy.reset();
    const result = await copyImage({
      src: slow,
      reference: "v1",
      dst: store("dtag/ahead-held"),
      tag: "v1",
    });
    assert.equal(done, true, "the copy returned with the source's read still under way");
    assert.deepEqual(
      proxy.seen.map((s) => `${s.method} ${s.url} ${s.status}`),
      ["HEAD /v2/dtag/ahead-held/manifests/v1 200"],
    );
    assert.deepEqual([result.stats.copied, result.stats.skipped], [0, 1]);
  });
});

/** A layout of its own holding `image`, its tag `v1` naming the image's index. */
async function layoutOf(image: typeof first, name: string) {
  const layout = await openLayout(join(work.path, name), { create: true });
  await pushAll(layout, image.blobs);
  await layout.tag(image.index.desc, "v1");
  return { layout, root: image.index.desc };
}

/** `layout`, watched as its blob `digest` is read: when asked, after an optional delay, and done. */
function withRootRead(
  layout: Store,
  digest: string,
  watch: { onFetch?: () => void; delayMs?: number; onEnd?: () => void },
): Store {
  return new Proxy(layout, {
    get(target, key) {
      if (key === "fetch") {
        return async (d: ContentDescriptor, o?: CallOptions) => {
          if (d.digest !== digest) return target.fetch(d, o);
          watch.onFetch?.();
          if (watch.delayMs !== undefined) await new Promise((r) => setTimeout(r, watch.delayMs));
          const body = await target.fetch(d, o);
          return (async function* () {
            yield* body;
            watch.onEnd?.();
          })();
        };
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
