// protect's writes on the real registry (Debian docker-registry, distribution 2.8) behind the
// counting proxy: each step's writes go at once, and the steps follow one another where
// distribution 2.8's link race needs it (every `.compat` tag answered before a referrers index
// that lists its manifest is put; image manifests' keep tags before an index's that lists them);
// a refused write stops the run with nothing in flight.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { buildCompatConfig, buildCompatManifest } from "../../src/compat/build.js";
import type { ContentDescriptor } from "../../src/content/store.js";
import { EmptyDescriptor, MediaType } from "../../src/oci/media-types.js";
import { compatTag, fallbackTag, keepTag } from "../../src/ops/anchors.js";
import { protect } from "../../src/ops/protect.js";
import { blob } from "../content/layout-support.js";
import { CREATED, attachedSample, pushSample, registryStore, tagged } from "./attach-support.js";
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

/** The sample image at `repository:v1`, attached without anchors, and a store of it through the proxy. */
async function unanchored(repository: string) {
  const { image, first, second } = await attachedSample(fixture.registry.host, repository, "none");
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
    const { first, second, store } = await unanchored("pconc/refused");
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

    // What was written is complete. A second run anchors the refused site; a `.compat` tag that
    // landed already keeps its site, and `--anchor tag` adds the referrers index it lacks.
    proxy.reset();
    const again = await protect(store, "v1");
    assert.ok(again.ok);
    const completed = await protect(store, "v1", { anchor: "tag" });
    assert.ok(completed.ok);
    proxy.reset();
    for (const subject of [first, second]) {
      const listed = await tagged(store, fallbackTag(subject));
      assert.equal(listed.desc.mediaType, MediaType.ImageIndex, subject);
      assert.equal(
        (await tagged(store, compatTag(subject))).desc.mediaType,
        MediaType.ImageManifest,
      );
    }
    assert.deepEqual((await protect(store, "v1", { anchor: "tag" })).writes, []);
  });

  test("two entries naming one image with different compat manifests take turns: the first is protected, the second is a conflict", async () => {
    const image = await pushSample(fixture.registry.host, "pconc/twice", "v1");
    const direct = registryStore(fixture.registry.host, "pconc/twice");
    const compat: ContentDescriptor[] = [];
    try {
      for (const vendor of ["GenuineIntel", "AuthenticAMD"]) {
        const platform = { os: "linux", architecture: "amd64" };
        const config = buildCompatConfig([{ "oci.cpu.vendor": vendor }], platform, CREATED);
        const manifest = buildCompatManifest(config.descriptor, { created: CREATED });
        await direct.push(EmptyDescriptor, new TextEncoder().encode("{}"));
        await direct.push(config.descriptor, config.bytes);
        await direct.pushManifest(manifest.descriptor, manifest.bytes);
        compat.push(manifest.descriptor);
      }
      const entry = {
        ...image.manifests[0]!.desc,
        platform: { os: "linux", architecture: "amd64" },
      };
      const index = blob(
        MediaType.ImageIndex,
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ImageIndex,
          manifests: compat.map((c) => ({
            ...entry,
            platform: { ...entry.platform, compatibilities: c },
          })),
        }),
      );
      await direct.pushManifest(index.desc, index.bytes, "twice");
    } finally {
      await direct.close();
    }
    proxy.reset();
    const store = fixture.store("pconc/twice", proxy.host);
    const result = await protect(store, "twice");
    assert.deepEqual(
      result.entries.map((e) => e.status),
      ["protected", "conflict"],
    );
    assert.equal(puts(/\.compat$/).length, 1, "one .compat tag put");
    const subject = image.manifests[0]!.desc.digest;
    proxy.reset();
    assert.equal((await tagged(store, compatTag(subject))).desc.digest, compat[0]!.digest);
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

  test("nested indexes: each manifest's keep tag is answered before the keep tag of an index that lists it is put, nothing is refused, and the report goes depth first", async () => {
    const { image, first, second } = await unanchored("pconc/nested");
    const [m1, m2] = image.manifests.map((m) => ({
      ...m.desc,
      platform: { os: "linux", architecture: "amd64" },
    }));
    const index = (manifests: unknown[]) =>
      blob(
        MediaType.ImageIndex,
        JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests }),
      );
    // top lists [n1, n2]; n1 lists [n2, m2]; n2 lists [m1]: n2 is met inside n1 first.
    const n2 = index([m1]);
    const n1 = index([n2.desc, m2]);
    const top = index([n1.desc, n2.desc]);
    const direct = registryStore(fixture.registry.host, "pconc/nested");
    try {
      await direct.pushManifest(n2.desc, n2.bytes);
      await direct.pushManifest(n1.desc, n1.bytes);
      await direct.pushManifest(top.desc, top.bytes, "top");
    } finally {
      await direct.close();
    }
    proxy.reset();
    const store = fixture.store("pconc/nested", proxy.host);
    const result = await protect(store, "top", { images: true });
    const keepPut = (digest: string) => puts(new RegExp(`${keepTag(digest)}$`));
    assertBefore(keepPut(first), keepPut(n2.desc.digest), "m1, then n2 that lists it");
    assertBefore(keepPut(n2.desc.digest), keepPut(n1.desc.digest), "n2, then n1 that lists it");
    assertBefore(keepPut(second), keepPut(n1.desc.digest), "m2, then n1 that lists it");
    assert.deepEqual(
      proxy.seen.filter((s) => s.status >= 400 && s.status !== 404),
      [],
      "nothing refused (distribution 2.8's link race)",
    );
    assert.deepEqual(
      result.images.map((i) => [i.location, i.digest, i.status]),
      [
        ["index → manifests[0]", n1.desc.digest, "protected"],
        ["index → manifests[0] → manifests[0]", n2.desc.digest, "protected"],
        ["index → manifests[0] → manifests[0] → manifests[0]", first, "protected"],
        ["index → manifests[0] → manifests[1]", second, "protected"],
      ],
    );
    proxy.reset();
    for (const digest of [first, second, n1.desc.digest, n2.desc.digest]) {
      assert.equal((await tagged(store, keepTag(digest))).desc.digest, digest);
    }
  });
});
