// protect's writes on the real registry (Debian docker-registry, distribution 2.8) behind the
// counting proxy: each step's writes go at once, and the steps follow one another where
// distribution 2.8's link race needs it (every `.compat` tag answered before a referrers index
// that lists its manifest is put; image manifests' keep tags before an index's that lists them);
// a refused write stops the run with nothing in flight.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { createRegistryStore } from "../../src/content/registry/index.js";
import { MediaType } from "../../src/oci/media-types.js";
import { compatTag, fallbackTag, keepTag } from "../../src/ops/anchors.js";
import { attach } from "../../src/ops/attach.js";
import { protect } from "../../src/ops/protect.js";
import { blob } from "../content/layout-support.js";
import { CREATED, SETS, pushSample, registryStore, tagged } from "./attach-support.js";
import {
  assertBefore,
  holdUntilAsked,
  startProxiedRegistry,
  type FaultProxy,
  type ProxiedRegistry,
  type Seen,
} from "./copy-support.js";

let fixture: ProxiedRegistry;
let proxy: FaultProxy;

before(async () => {
  fixture = await startProxiedRegistry();
  proxy = fixture.proxy;
});

after(async () => {
  await fixture.close();
});

/**
 * The sample image (two platforms) at `repository:v1`, both entries attached without anchors,
 * and a store of it through the proxy.
 */
async function unanchored(repository: string) {
  const image = await pushSample(fixture.registry.host, repository, "v1");
  const direct = registryStore(fixture.registry.host, repository);
  try {
    await attach(direct, "v1", { sets: SETS, all: true, created: CREATED, anchor: "none" });
  } finally {
    await direct.close();
  }
  const [first, second] = image.manifests.map((m) => m.desc.digest) as [string, string];
  proxy.reset();
  return { image, first, second, store: fixture.store(repository, proxy.host) };
}

const puts = (pattern: RegExp): Seen[] =>
  proxy.seen.filter((s) => s.method === "PUT" && pattern.test(s.url));

describe("protect writes each step at once", () => {
  test("the second site's .compat tag is put while the first site's is unanswered", async () => {
    const { first, second, store } = await unanchored("pconc/tags");
    const repo = "/v2/pconc/tags/manifests";
    const asked = holdUntilAsked(proxy, `PUT ${repo}/${compatTag(first)}`, [
      `PUT ${repo}/${compatTag(second)}`,
    ]);
    const result = await protect(store, "v1");
    assert.equal(await asked, "asked");
    assert.deepEqual(
      result.entries.map((e) => [e.subject, e.status]),
      [
        [first, "protected"],
        [second, "protected"],
      ],
    );
  });

  test("every .compat tag is answered before the first referrers index is put, and each subject gets both", async () => {
    const { first, second, store } = await unanchored("pconc/order");
    const result = await protect(store, "v1");
    assert.ok(result.ok);
    const tags = puts(/\.compat$/);
    const indexes = puts(/\/manifests\/sha256-[0-9a-f]{64}$/);
    assertBefore(tags, indexes, ".compat tags, then referrers indexes");
    assert.deepEqual(
      tags.map((s) => s.url.split("/").pop()).sort(),
      [compatTag(first), compatTag(second)].sort(),
    );
    assert.deepEqual(
      indexes.map((s) => s.url.split("/").pop()).sort(),
      [fallbackTag(first), fallbackTag(second)].sort(),
    );
    assert.deepEqual(
      result.writes.map((w) => [w.role, w.tag]),
      [
        ["compat-tag", compatTag(first)],
        ["compat-tag", compatTag(second)],
        ["referrers-tag", fallbackTag(first)],
        ["referrers-tag", fallbackTag(second)],
      ],
    );
  });

  test("a refused .compat tag stops protect: no referrers index is put, nothing is left in flight", async () => {
    const { store } = await unanchored("pconc/refused");
    let refused = false;
    proxy.rule = (method, url) => {
      if (method !== "PUT" || !url.endsWith(".compat") || refused) return undefined;
      refused = true;
      return {
        kind: "status",
        status: 400,
        body: { errors: [{ code: "TAG_INVALID", message: "injected" }] },
      };
    };
    await assert.rejects(protect(store, "v1"), /injected/);
    const count = proxy.seen.length;
    assert.ok(
      proxy.seen.every((s) => s.answered !== undefined),
      "every request answered",
    );
    await sleep(200);
    assert.equal(proxy.seen.length, count, "no request after protect returned");
    assert.deepEqual(puts(/\/manifests\/sha256-[0-9a-f]{64}$/), [], "no referrers index");
  });
});

describe("protect --images writes keep tags at once", () => {
  test("the second image's keep tag is put while the first image's is unanswered", async () => {
    const { first, second, store } = await unanchored("pconc/images");
    const repo = "/v2/pconc/images/manifests";
    const asked = holdUntilAsked(proxy, `PUT ${repo}/${keepTag(first)}`, [
      `PUT ${repo}/${keepTag(second)}`,
    ]);
    const result = await protect(store, "v1", { images: true });
    assert.equal(await asked, "asked");
    assert.deepEqual(
      result.images.map((i) => [i.digest, i.status]),
      [
        [first, "protected"],
        [second, "protected"],
      ],
    );
  });

  test("an image manifest's keep tag is answered before the keep tag of an index that lists it is put; nested images keep the index's order", async () => {
    const { image, first, second } = await unanchored("pconc/nested");
    // A top index listing the first image and the sample's own index (which lists both).
    const top = blob(
      MediaType.ImageIndex,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageIndex,
        manifests: [
          { ...image.manifests[0]!.desc, platform: { os: "linux", architecture: "amd64" } },
          image.index.desc,
        ],
      }),
    );
    const direct = createRegistryStore({
      registry: fixture.registry.host,
      repository: "pconc/nested",
    });
    try {
      await direct.pushManifest(top.desc, top.bytes, "top");
    } finally {
      await direct.close();
    }
    proxy.reset();
    const store = fixture.store("pconc/nested", proxy.host);
    const result = await protect(store, "top", { images: true });
    assertBefore(
      puts(new RegExp(`${keepTag(first)}$`)),
      puts(new RegExp(`${keepTag(image.index.desc.digest)}$`)),
      "the image's keep tag, then the index's",
    );
    assert.deepEqual(
      result.images.map((i) => [i.location, i.digest, i.status]),
      [
        ["index → manifests[0]", first, "protected"],
        ["index → manifests[1]", image.index.desc.digest, "protected"],
        ["index → manifests[1] → manifests[1]", second, "protected"],
      ],
    );
    proxy.reset();
    for (const digest of [first, second, image.index.desc.digest]) {
      assert.equal((await tagged(store, keepTag(digest))).desc.digest, digest);
    }
  });
});
