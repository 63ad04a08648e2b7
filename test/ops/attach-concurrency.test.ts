// attach and detach on the real registry (Debian docker-registry, distribution 2.8) behind the
// counting proxy: each step's writes go at once, the steps still follow one another (every write
// of a step answered before the next step's first request), an anchor tag is read with one GET
// (which a registry's lying HEAD cannot fool), entries naming one image take turns, and a failed
// write stops the run with nothing in flight.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { MediaType } from "../../src/oci/media-types.js";
import { compatTag, fallbackTag } from "../../src/ops/anchors.js";
import { attach } from "../../src/ops/attach.js";
import { attachNfd, nfdTag } from "../../src/ops/attach/nfd.js";
import { detach } from "../../src/ops/detach.js";
import { blob } from "../content/layout-support.js";
import {
  CREATED,
  SETS,
  entries,
  pushListedSignature,
  pushSample,
  tagged,
} from "./attach-support.js";
import {
  assertBefore,
  holdUntilAsked,
  startProxiedRegistry,
  type FaultProxy,
  type ProxiedRegistry,
  type Seen,
} from "./copy-support.js";

const NFD_SPEC = readFileSync(
  new URL("../fixtures/interop/nfd-image-compatibility.yaml", import.meta.url),
);
let fixture: ProxiedRegistry;
let proxy: FaultProxy;

before(async () => {
  fixture = await startProxiedRegistry();
  proxy = fixture.proxy;
});

after(async () => {
  await fixture.close();
});

/** The sample image (two platforms) at `repository:v1`, and a store of it through the proxy. */
async function sample(repository: string) {
  const image = await pushSample(fixture.registry.host, repository, "v1");
  proxy.reset();
  return { image, store: fixture.store(repository, proxy.host) };
}

const path = (s: Seen): string => s.url.replace(/\?.*$/, "");
const isAnchor = (s: Seen): boolean => /\/manifests\/sha256-/.test(path(s));

describe("attach's steps: each step's writes at once, the steps in turn", () => {
  test("every blob is stored before a compat manifest is sent, every manifest before an anchor, every anchor before the index", async () => {
    const { store } = await sample("conc/order");
    const result = await attach(store, "v1", { sets: SETS, all: true, created: CREATED });
    assert.equal(result.entries.length, 2);
    const seen = [...proxy.seen];
    const blobs = seen.filter((s) => s.url.includes("/blobs/"));
    const manifests = seen.filter(
      (s) => s.method === "PUT" && s.url.includes("/manifests/sha256:"),
    );
    const anchors = seen.filter(isAnchor);
    const recheck = seen.filter((s) => s.method === "HEAD" && path(s).endsWith("/manifests/v1"));
    const index = seen.filter((s) => s.method === "PUT" && path(s).endsWith("/manifests/v1"));
    assert.equal(manifests.length, 2, "one compat manifest per entry");
    assertBefore(blobs, manifests, "blobs, then manifests");
    assertBefore(manifests, anchors, "manifests, then anchors");
    // distribution 2.8's link race: no referrers index is put while a .compat tag is put again.
    const anchorPuts = anchors.filter((s) => s.method === "PUT");
    assertBefore(
      anchorPuts.filter((s) => path(s).endsWith(".compat")),
      anchorPuts.filter((s) => !path(s).endsWith(".compat")),
      ".compat tags, then referrers indexes",
    );
    assertBefore(anchors, recheck.slice(-1), "anchors, then the tag's check");
    assertBefore(recheck.slice(-1), index, "the check, then the index");
    // The report lists the writes by step and, within a step, by entry: the same on every run.
    assert.deepEqual(
      result.writes.map((w) => `${w.action} ${w.role} ${w.tag ?? w.descriptor.digest}`),
      [
        `blob empty ${result.writes[0]!.descriptor.digest}`,
        `blob config ${result.writes[1]!.descriptor.digest}`,
        `blob config ${result.writes[2]!.descriptor.digest}`,
        ...result.entries.map((e) => `manifest compat-manifest ${e.compatManifest.digest}`),
        ...result.entries.map((e) => `tag compat-tag ${compatTag(e.manifest.digest)}`),
        ...result.entries.map((e) => `tag referrers-tag ${fallbackTag(e.manifest.digest)}`),
        `tag index v1`,
      ],
    );
  });

  test("the second entry's compat manifest is sent while the first's is still unanswered", async () => {
    const { image, store } = await sample("conc/manifests");
    const [first, second] = image.manifests.map((m) => m.desc.digest);
    const puts = holdFirstManifestPut();
    const result = await attach(store, "v1", { sets: SETS, all: true, created: CREATED });
    assert.equal(puts.length, 2, "two compat manifests");
    const [heldPut, otherPut] = puts.map((url) => proxy.seen.find((s) => s.url === url)!);
    assert.ok(
      otherPut!.arrived < heldPut!.answered!,
      "the second PUT arrived before the first was answered",
    );
    assert.deepEqual(
      result.entries.map((e) => e.manifest.digest),
      [first, second],
    );
  });

  test("the anchors of all entries are asked at once, the .compat tags beside the referrers indexes", async () => {
    const { image, store } = await sample("conc/anchors");
    const [first, second] = image.manifests.map((m) => m.desc.digest) as [string, string];
    const repo = "/v2/conc/anchors/manifests";
    const asked = holdUntilAsked(proxy, `GET ${repo}/${compatTag(first)}`, [
      `GET ${repo}/${compatTag(second)}`,
      `GET ${repo}/${fallbackTag(first)}`,
      `GET ${repo}/${fallbackTag(second)}`,
    ]);
    await attach(store, "v1", { sets: SETS, all: true, created: CREATED });
    assert.equal(await asked, "asked");
  });

  test("an anchor tag is read with one GET, whose 404 says it is absent", async () => {
    const { store } = await sample("conc/absent");
    await attach(store, "v1", { sets: SETS, platform: "linux/amd64", created: CREATED });
    const anchors = proxy.seen.filter(isAnchor);
    assert.deepEqual(
      anchors.map((s) => `${s.method} ${s.status}`).sort(),
      ["GET 404", "GET 404", "PUT 201", "PUT 201"],
      "the .compat tag and the referrers index: read once, written once, nothing sent again",
    );
  });

  test("a registry whose HEAD wrongly answers 404 for tags cannot make attach drop the signature its referrers index lists", async () => {
    const { image, store } = await sample("conc/lying");
    const subject = image.manifests[0]!.desc;
    const signature = await pushListedSignature(store, subject);
    proxy.reset();
    proxy.rule = (method, url) =>
      method === "HEAD" && url.includes("/manifests/sha256-")
        ? { kind: "status", status: 404, body: { errors: [{ code: "MANIFEST_UNKNOWN" }] } }
        : undefined;
    const result = await attach(store, "v1", {
      sets: SETS,
      platform: "linux/amd64",
      created: CREATED,
    });
    proxy.reset();
    const listed = await tagged(store, fallbackTag(subject.digest));
    assert.deepEqual(
      entries(listed.doc).map((e) => e["digest"]),
      [signature.digest, result.entries[0]!.compatManifest.digest],
    );
  });

  test("a concurrency that is not an integer of at least 1 is refused before any request", async () => {
    const { store } = await sample("conc/bound");
    await assert.rejects(attach(store, "v1", { sets: SETS, all: true, concurrency: 0 }), {
      code: "USAGE",
    });
    assert.deepEqual(proxy.seen, []);
  });

  test("the tag is read with one GET, and checked with one HEAD just before the index is put", async () => {
    const { store } = await sample("conc/tagread");
    await attach(store, "v1", { sets: SETS, platform: "linux/amd64", created: CREATED });
    const onTag = proxy.seen.filter((s) => path(s).endsWith("/manifests/v1"));
    assert.deepEqual(
      onTag.map((s) => s.method),
      ["GET", "HEAD", "PUT"],
    );
    assert.equal(proxy.seen[0], onTag[0], "the GET is the first request");
  });

  test("a present .compat tag is still read and kept: re-attach writes the keep tag before moving it", async () => {
    const { store } = await sample("conc/again");
    const firstRun = await attach(store, "v1", { sets: SETS, all: true, created: CREATED });
    proxy.reset();
    const again = await attach(store, "v1", {
      sets: [{ "oci.cpu.features": "AVX512F" }],
      all: true,
      created: CREATED,
    });
    for (const [i, entry] of again.entries.entries()) {
      const keep = entry.anchors.keptPrevious;
      assert.ok(keep !== undefined, `entry ${i} kept its previous compat manifest`);
      const keptNow = await tagged(store, keep);
      assert.equal(keptNow.desc.digest, firstRun.entries[i]!.compatManifest.digest);
      const keepPut = proxy.seen.find((s) => s.method === "PUT" && path(s).endsWith(`/${keep}`));
      const compatPut = proxy.seen.find(
        (s) => s.method === "PUT" && path(s).endsWith(`/${compatTag(entry.manifest.digest)}`),
      );
      assert.ok(keepPut!.answered! < compatPut!.arrived, "keep tag written before the move");
    }
  });

  test("--dry-run lists the writes a re-attach of two entries then makes, in the same order", async () => {
    const { store } = await sample("conc/dry");
    await attach(store, "v1", { sets: SETS, all: true, created: CREATED });
    const again = { sets: [{ "oci.cpu.features": "AVX512F" }], all: true, created: CREATED };
    const planned = await attach(store, "v1", { ...again, dryRun: true });
    const done = await attach(store, "v1", again);
    const roles = (writes: readonly { role: string; tag?: string }[]) =>
      writes.map((w) => `${w.role} ${w.tag ?? ""}`);
    assert.ok(done.writes.filter((w) => w.role === "keep-tag").length === 2, "two keep tags");
    assert.deepEqual(roles(planned.writes), roles(done.writes));
  });

  test("entries naming one image take turns: its referrers index is written once and lists one compat manifest", async () => {
    const { image, store } = await sample("conc/twice");
    const manifest = image.manifests[0]!.desc;
    const twice = blob(
      MediaType.ImageIndex,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageIndex,
        manifests: [
          { ...manifest, platform: { os: "linux", architecture: "amd64" } },
          { ...manifest, platform: { os: "linux", architecture: "amd64" } },
        ],
      }),
    );
    await store.pushManifest(twice.desc, twice.bytes, "twice");
    proxy.reset();
    const result = await attach(store, "twice", { sets: SETS, all: true, created: CREATED });
    assert.equal(result.entries.length, 2);
    const referrerWrites = result.writes.filter((w) => w.role === "referrers-tag");
    assert.equal(referrerWrites.length, 1, "the second entry found the index already listing it");
    const listed = await tagged(store, fallbackTag(manifest.digest));
    assert.deepEqual(
      entries(listed.doc).map((e) => e["digest"]),
      [result.entries[0]!.compatManifest.digest],
    );
  });

  test("a refused compat manifest stops the attach: no anchor, the tag unmoved, nothing left in flight", async () => {
    const { image, store } = await sample("conc/refused");
    let refused = false;
    proxy.rule = (method, url) => {
      if (method !== "PUT" || !url.includes("/manifests/sha256:") || refused) return undefined;
      refused = true;
      return {
        kind: "status",
        status: 400,
        body: { errors: [{ code: "MANIFEST_INVALID", message: "injected" }] },
      };
    };
    await assert.rejects(attach(store, "v1", { sets: SETS, all: true, created: CREATED }));
    const count = proxy.seen.length;
    assert.ok(
      proxy.seen.every((s) => s.answered !== undefined),
      "every request answered",
    );
    await sleep(200);
    assert.equal(proxy.seen.length, count, "no request after the attach returned");
    assert.ok(!proxy.seen.some(isAnchor), "no anchor");
    proxy.reset();
    assert.equal((await tagged(store, "v1")).desc.digest, image.index.desc.digest);
  });
});

describe("attach --format nfd: the same steps", () => {
  test("both artifacts are put at once, and each tag before the referrers index that lists it, nothing sent twice", async () => {
    const { image, store } = await sample("conc/nfd");
    const [first, second] = image.manifests.map((m) => m.desc.digest) as [string, string];
    const puts = holdFirstManifestPut();
    const result = await attachNfd(store, "v1", {
      specFor: () => NFD_SPEC,
      all: true,
      created: CREATED,
    });
    const [heldPut, otherPut] = puts.map((url) => proxy.seen.find((s) => s.url === url)!);
    assert.ok(otherPut!.arrived < heldPut!.answered!, "the second artifact did not wait");
    for (const subject of [first, second]) {
      const tagPut = proxy.seen.filter(
        (s) => s.method === "PUT" && path(s).endsWith(nfdTag(subject)),
      );
      const listPut = proxy.seen.filter(
        (s) => s.method === "PUT" && path(s).endsWith(`/${fallbackTag(subject)}`),
      );
      assert.equal(tagPut.length, 1);
      assert.equal(listPut.length, 1, "the referrers index put once: no link race to recover from");
      assert.ok(tagPut[0]!.answered! < listPut[0]!.arrived);
    }
    assert.deepEqual(
      result.writes.map((w) => w.role),
      [
        "empty",
        "compat-blob",
        "compat-manifest",
        "compat-manifest",
        "compat-tag",
        "compat-tag",
        "referrers-tag",
        "referrers-tag",
      ],
    );
  });
});

describe("detach: the entries' anchors at once", () => {
  test("the referrers indexes of both entries are asked at once, and both lose their compat manifest", async () => {
    const { image, store } = await sample("conc/detach");
    await attach(store, "v1", { sets: SETS, all: true, created: CREATED });
    const [first, second] = image.manifests.map((m) => m.desc.digest) as [string, string];
    const repo = "/v2/conc/detach/manifests";
    const asked = holdUntilAsked(proxy, `GET ${repo}/${fallbackTag(first)}`, [
      `GET ${repo}/${fallbackTag(second)}`,
    ]);
    const result = await detach(store, "v1", { all: true });
    assert.equal(await asked, "asked");
    assert.deepEqual(
      result.writes.map((w) => `${w.role} ${w.tag}`),
      ["index v1", `referrers-tag ${fallbackTag(first)}`, `referrers-tag ${fallbackTag(second)}`],
    );
    for (const subject of [first, second]) {
      const listed = await tagged(store, fallbackTag(subject));
      assert.deepEqual(entries(listed.doc), []);
    }
  });
});

/**
 * Holds the first manifest PUT by digest until a second one arrives (or 5 s pass); the digests
 * are known only once planned. Returns the PUTs' URLs as they arrive.
 */
function holdFirstManifestPut(): string[] {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const puts: string[] = [];
  proxy.rule = (method, url) => {
    if (method !== "PUT" || !url.includes("/manifests/sha256:")) return undefined;
    puts.push(url);
    if (puts.length === 1) return { kind: "hold", until: Promise.race([released, sleep(5000)]) };
    release();
    return undefined;
  };
  return puts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
